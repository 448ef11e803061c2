package api

import (
	"net/http"

	"github.com/lambdad/lambdad/internal/registry"
)

// createFunction serves CreateFunction: 201 with the new function's
// configuration (State Pending, as AWS answers).
func createFunction(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.CreateFunctionInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.CreateFunction(r.Context(), c.Account, &in)
	if err != nil {
		return err
	}
	s.prepareCode(r.Context(), out.CodeSha256)
	s.prepareLayers(r.Context(), c.Account, out)
	return writeJSON(w, http.StatusCreated, out)
}

// listFunctions serves ListFunctions: one page of at most 50 functions.
func listFunctions(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 10000)
	if err != nil {
		return err
	}
	out, err := s.reg.ListFunctions(c.Account, registry.ListFunctionsInput{
		Marker:          q.Get("Marker"),
		MaxItems:        maxItems,
		FunctionVersion: q.Get("FunctionVersion"),
		MasterRegion:    q.Get("MasterRegion"),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getFunction serves GetFunction; Code.Location is a signed download URL
// served by this server.
func getFunction(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetFunction(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	out.Code.Location = s.codeLocation(r, out.CodeDigest)
	return writeJSON(w, http.StatusOK, out)
}

// getFunctionConfiguration serves GetFunctionConfiguration.
func getFunctionConfiguration(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetFunctionConfiguration(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// updateFunctionCode serves UpdateFunctionCode.
func updateFunctionCode(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.UpdateFunctionCodeInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.UpdateFunctionCode(r.Context(), c.Account, r.PathValue("FunctionName"), &in)
	if err != nil {
		return err
	}
	s.prepareCode(r.Context(), out.CodeSha256)
	return writeJSON(w, http.StatusOK, out)
}

// updateFunctionConfiguration serves UpdateFunctionConfiguration.
func updateFunctionConfiguration(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.UpdateFunctionConfigurationInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.UpdateFunctionConfiguration(r.Context(), c.Account, r.PathValue("FunctionName"), &in)
	if err != nil {
		return err
	}
	s.prepareLayers(r.Context(), c.Account, out)
	return writeJSON(w, http.StatusOK, out)
}

// deleteFunction serves DeleteFunction: 204 (the model says 200; AWS and
// the SDKs use 204).
func deleteFunction(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteFunction(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}
