package store

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Digest is the sha256 of a blob's content, its key in Blobs.
type Digest [32]byte

// Sum returns the digest of data.
func Sum(data []byte) Digest { return sha256.Sum256(data) }

// ParseHex parses the 64 lower- or upper-case hex digits that Hex returns.
func ParseHex(s string) (Digest, error) {
	var d Digest
	if len(s) != hex.EncodedLen(len(d)) {
		return Digest{}, fmt.Errorf("parse digest %q: want %d hex digits", s, hex.EncodedLen(len(d)))
	}
	if _, err := hex.Decode(d[:], []byte(s)); err != nil {
		return Digest{}, fmt.Errorf("parse digest %q: %w", s, err)
	}
	return d, nil
}

// Hex is the lower-case hex form, used as the blob's object name.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// Base64 is the standard, padded base64 of the binary digest: the form AWS
// reports as CodeSha256.
func (d Digest) Base64() string { return base64.StdEncoding.EncodeToString(d[:]) }

// String returns Hex.
func (d Digest) String() string { return d.Hex() }

// objectDigest is the form the JetStream object store records in
// ObjectInfo.Digest: "SHA-256=" and URL-safe base64.
func (d Digest) objectDigest() string {
	return "SHA-256=" + base64.URLEncoding.EncodeToString(d[:])
}
