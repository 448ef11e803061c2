package api

import (
	"net/http"

	"github.com/lambdad/lambdad/internal/registry"
)

// putFunctionEventInvokeConfig serves PutFunctionEventInvokeConfig: the
// config replaces the qualifier's whole config.
func putFunctionEventInvokeConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.EventInvokeConfigInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.PutFunctionEventInvokeConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// updateFunctionEventInvokeConfig serves UpdateFunctionEventInvokeConfig:
// the members given replace those of the existing config.
func updateFunctionEventInvokeConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.EventInvokeConfigInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.UpdateFunctionEventInvokeConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getFunctionEventInvokeConfig serves GetFunctionEventInvokeConfig.
func getFunctionEventInvokeConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetFunctionEventInvokeConfig(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteFunctionEventInvokeConfig serves DeleteFunctionEventInvokeConfig: 204.
func deleteFunctionEventInvokeConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteFunctionEventInvokeConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// listFunctionEventInvokeConfigs serves ListFunctionEventInvokeConfigs.
func listFunctionEventInvokeConfigs(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 50)
	if err != nil {
		return err
	}
	out, err := s.reg.ListFunctionEventInvokeConfigs(c.Account, registry.ListEventInvokeConfigsInput{
		FunctionName: r.PathValue("FunctionName"),
		Marker:       r.URL.Query().Get("Marker"),
		MaxItems:     maxItems,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// putFunctionRecursionConfig serves PutFunctionRecursionConfig.
func putFunctionRecursionConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.RecursionConfig
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.PutFunctionRecursionConfig(r.Context(), c.Account, r.PathValue("FunctionName"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getFunctionRecursionConfig serves GetFunctionRecursionConfig.
func getFunctionRecursionConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetFunctionRecursionConfig(c.Account, r.PathValue("FunctionName"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}
