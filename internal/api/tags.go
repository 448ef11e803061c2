package api

import "net/http"

// tagResource serves TagResource: 204.
func tagResource(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		Tags map[string]string `json:"Tags"`
	}
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	if err := s.reg.TagResource(r.Context(), c.Account, r.PathValue("Resource"), in.Tags); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// untagResource serves UntagResource: the keys are repeated tagKeys query
// parameters. 204.
func untagResource(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	keys := r.URL.Query()["tagKeys"] // nil when absent: AWS's "must not be null"
	if err := s.reg.UntagResource(r.Context(), c.Account, r.PathValue("Resource"), keys); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// listTags serves ListTags.
func listTags(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.ListTags(c.Account, r.PathValue("Resource"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
