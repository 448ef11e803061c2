package api

import (
	"net/http"

	"github.com/lambdad/lambdad/internal/registry"
)

// policyRoutes are the operations on functions' resource-based policies.
var policyRoutes = []route{
	{"POST", "/2015-03-31/functions/{FunctionName}/policy", "AddPermission", 0, addPermission},
	{"GET", "/2015-03-31/functions/{FunctionName}/policy", "GetPolicy", 0, getPolicy},
	{"DELETE", "/2015-03-31/functions/{FunctionName}/policy/{StatementId}", "RemovePermission", 0, removePermission},
}

// addPermission serves AddPermission: 201 with the statement added.
func addPermission(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.AddPermissionInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.AddPermission(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// getPolicy serves GetPolicy.
func getPolicy(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetPolicy(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// removePermission serves RemovePermission: 204.
func removePermission(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if err := s.reg.RemovePermission(r.Context(), c.Account, r.PathValue("FunctionName"), r.PathValue("StatementId"), q.Get("Qualifier"), q.Get("RevisionId")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}
