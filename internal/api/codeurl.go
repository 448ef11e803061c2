package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/lambdad/lambdad/internal/awserr"
	"github.com/lambdad/lambdad/internal/store"
)

// codePath is where lambdad serves code zips for GetFunction's
// Code.Location. Like AWS's pre-signed S3 URLs, each URL is signed and
// expires; no SigV4 header is needed to follow it.
const codePath = "/_lambdad/code/"

// codeLocation returns a time-limited URL on this server, as seen by the
// client (its Host header), that downloads the zip with digest d.
func (s *Server) codeLocation(r *http.Request, d store.Digest) string {
	expires := s.cfg.Now().Add(s.cfg.CodeURLTTL).Unix()
	return "http://" + r.Host + codePath + d.Hex() +
		"?X-Lambdad-Expires=" + strconv.FormatInt(expires, 10) +
		"&X-Lambdad-Signature=" + s.codeSignature(d.Hex(), expires)
}

func (s *Server) codeSignature(digest string, expires int64) string {
	m := hmac.New(sha256.New, s.codeKey[:])
	m.Write([]byte(digest))
	m.Write([]byte{0})
	m.Write([]byte(strconv.FormatInt(expires, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

// downloadCode serves a zip named by a URL from codeLocation. A bad or
// expired signature gets 403, as an expired S3 pre-signed URL does.
func (s *Server) downloadCode(w http.ResponseWriter, r *http.Request) {
	digest := r.PathValue("digest")
	q := r.URL.Query()
	expires, err := strconv.ParseInt(q.Get("X-Lambdad-Expires"), 10, 64)
	want := s.codeSignature(digest, expires)
	if err != nil || !hmac.Equal([]byte(want), []byte(q.Get("X-Lambdad-Signature"))) {
		writeError(w, s.log, "", awserr.New(awserr.AccessDenied, "Request signature does not match"))
		return
	}
	if s.cfg.Now().Unix() > expires {
		writeError(w, s.log, "", awserr.New(awserr.AccessDenied, "Request has expired"))
		return
	}
	d, err := store.ParseHex(digest)
	if err != nil {
		writeError(w, s.log, "", awserr.New(awserr.ResourceNotFound, "The specified key does not exist."))
		return
	}
	body, size, err := s.reg.OpenCode(r.Context(), d)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, s.log, "", awserr.New(awserr.ResourceNotFound, "The specified key does not exist."))
		return
	}
	if err != nil {
		writeError(w, s.log, "", err)
		return
	}
	defer body.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	if _, err := io.Copy(w, body); err != nil {
		s.log.Debug("code download interrupted", "digest", digest, "err", err)
	}
}
