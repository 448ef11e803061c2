package api

import (
	"net/http"

	"github.com/lambdad/lambdad/internal/registry"
)

// versionRoutes are the operations on published versions and aliases.
var versionRoutes = []route{
	{"POST", "/2015-03-31/functions/{FunctionName}/versions", "PublishVersion", 0, publishVersion},
	{"GET", "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction", 0, listVersionsByFunction},

	{"POST", "/2015-03-31/functions/{FunctionName}/aliases", "CreateAlias", 0, createAlias},
	{"GET", "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases", 0, listAliases},
	{"GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias", 0, getAlias},
	{"PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias", 0, updateAlias},
	{"DELETE", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "DeleteAlias", 0, deleteAlias},
}

// publishVersion serves PublishVersion: 201 with the version's
// configuration.
func publishVersion(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.PublishVersionInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.PublishVersion(r.Context(), c.Account, r.PathValue("FunctionName"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// listVersionsByFunction serves ListVersionsByFunction.
func listVersionsByFunction(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 10000)
	if err != nil {
		return err
	}
	out, err := s.reg.ListVersionsByFunction(c.Account, r.PathValue("FunctionName"), registry.ListVersionsInput{
		Marker:   r.URL.Query().Get("Marker"),
		MaxItems: maxItems,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// createAlias serves CreateAlias: 201 with the alias.
func createAlias(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.AliasInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.CreateAlias(r.Context(), c.Account, r.PathValue("FunctionName"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, out)
}

// listAliases serves ListAliases.
func listAliases(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 10000)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out, err := s.reg.ListAliases(c.Account, r.PathValue("FunctionName"), registry.ListAliasesInput{
		FunctionVersion: q.Get("FunctionVersion"),
		Marker:          q.Get("Marker"),
		MaxItems:        maxItems,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getAlias serves GetAlias.
func getAlias(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetAlias(c.Account, r.PathValue("FunctionName"), r.PathValue("Name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// updateAlias serves UpdateAlias.
func updateAlias(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.AliasInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	in.Name = nil // the path names the alias
	out, err := s.reg.UpdateAlias(r.Context(), c.Account, r.PathValue("FunctionName"), r.PathValue("Name"), &in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteAlias serves DeleteAlias: 204.
func deleteAlias(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteAlias(r.Context(), c.Account, r.PathValue("FunctionName"), r.PathValue("Name")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}
