package api

import "net/http"

// putFunctionConcurrency serves PutFunctionConcurrency: 200 with the
// reservation.
func putFunctionConcurrency(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions"`
	}
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.PutFunctionConcurrency(r.Context(), c.Account, r.PathValue("FunctionName"), in.ReservedConcurrentExecutions)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getFunctionConcurrency serves GetFunctionConcurrency: {} when the
// function reserves nothing.
func getFunctionConcurrency(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetFunctionConcurrency(c.Account, r.PathValue("FunctionName"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteFunctionConcurrency serves DeleteFunctionConcurrency: 204.
func deleteFunctionConcurrency(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteFunctionConcurrency(r.Context(), c.Account, r.PathValue("FunctionName")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}
