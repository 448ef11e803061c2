package api

import (
	"net"
	"net/http"
	"strconv"

	"github.com/lambdad/lambdad/internal/registry"
)

// createFunctionURLConfig serves CreateFunctionUrlConfig: 201.
func createFunctionURLConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.URLConfigInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.CreateFunctionURLConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), &in)
	if err != nil {
		return err
	}
	out.FunctionUrl = s.functionURL(r, out.URLID)
	return writeJSON(w, http.StatusCreated, out)
}

// updateFunctionURLConfig serves UpdateFunctionUrlConfig.
func updateFunctionURLConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in registry.URLConfigInput
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.UpdateFunctionURLConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), &in)
	if err != nil {
		return err
	}
	out.FunctionUrl = s.functionURL(r, out.URLID)
	return writeJSON(w, http.StatusOK, out)
}

// getFunctionURLConfig serves GetFunctionUrlConfig.
func getFunctionURLConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	out, err := s.reg.GetFunctionURLConfig(c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"))
	if err != nil {
		return err
	}
	out.FunctionUrl = s.functionURL(r, out.URLID)
	return writeJSON(w, http.StatusOK, out)
}

// deleteFunctionURLConfig serves DeleteFunctionUrlConfig: 204.
func deleteFunctionURLConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteFunctionURLConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// listFunctionURLConfigs serves ListFunctionUrlConfigs.
func listFunctionURLConfigs(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 50)
	if err != nil {
		return err
	}
	out, err := s.reg.ListFunctionURLConfigs(c.Account, registry.ListURLConfigsInput{
		FunctionName: r.PathValue("FunctionName"),
		Marker:       r.URL.Query().Get("Marker"),
		MaxItems:     maxItems,
	})
	if err != nil {
		return err
	}
	for _, u := range out.FunctionUrlConfigs {
		u.FunctionUrl = s.functionURL(r, u.URLID)
	}
	return writeJSON(w, http.StatusOK, out)
}

// functionURL is the FunctionUrl of url-id id:
// http://<id>.lambda-url.<region>.localhost:<port>/, on the port lambdad's
// API listens on (Config.URLPort; without one, the port the request r came
// to). Any client resolves *.localhost to the loopback address; the path
// form /_lambdad/urls/<id>/ on the API's own address serves the same URL
// to clients that do not (see urlserve.go).
func (s *Server) functionURL(r *http.Request, id string) string {
	port := ""
	if s.cfg.URLPort != 0 {
		port = strconv.Itoa(s.cfg.URLPort)
	} else if _, p, err := net.SplitHostPort(r.Host); err == nil {
		port = p
	}
	u := "http://" + id + ".lambda-url." + s.cfg.Region + ".localhost"
	if port != "" && port != "80" {
		u += ":" + port
	}
	return u + "/"
}
