package api

import (
	"net/http"

	"github.com/lambdad/lambdad/internal/registry"
)

// provisionedRoutes are the provisioned concurrency operations. The model
// gives ListProvisionedConcurrencyConfigs the path of
// GetProvisionedConcurrencyConfig with List=ALL in the query, so one route
// serves both.
var provisionedRoutes = []route{
	{"PUT", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "PutProvisionedConcurrencyConfig", 0, putProvisionedConcurrencyConfig},
	{"GET", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "GetProvisionedConcurrencyConfig", 0, getProvisionedConcurrencyConfig},
	{"DELETE", "/2019-09-30/functions/{FunctionName}/provisioned-concurrency", "DeleteProvisionedConcurrencyConfig", 0, deleteProvisionedConcurrencyConfig},
}

// putProvisionedConcurrencyConfig serves PutProvisionedConcurrencyConfig:
// 202 with the config, IN_PROGRESS until its environments are initialised.
func putProvisionedConcurrencyConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	var in struct {
		ProvisionedConcurrentExecutions *int `json:"ProvisionedConcurrentExecutions"`
	}
	if err := decodeJSON(c.Body, &in); err != nil {
		return err
	}
	out, err := s.reg.PutProvisionedConcurrencyConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier"), in.ProvisionedConcurrentExecutions)
	if err != nil {
		return err
	}
	s.fillProvisioned(out)
	if out.Status == registry.ProvisionedFailed {
		// A new config starts over; a failure of the old one is history.
		out.Status, out.StatusReason = registry.ProvisionedInProgress, ""
	}
	return writeJSON(w, http.StatusAccepted, out)
}

// getProvisionedConcurrencyConfig serves GetProvisionedConcurrencyConfig,
// and ListProvisionedConcurrencyConfigs when the query has List=ALL.
func getProvisionedConcurrencyConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	if q.Get("List") == "ALL" {
		return listProvisionedConcurrencyConfigs(s, w, r, c)
	}
	out, err := s.reg.GetProvisionedConcurrencyConfig(c.Account, r.PathValue("FunctionName"), q.Get("Qualifier"))
	if err != nil {
		return err
	}
	s.fillProvisioned(out)
	return writeJSON(w, http.StatusOK, out)
}

// listProvisionedConcurrencyConfigs serves ListProvisionedConcurrencyConfigs.
func listProvisionedConcurrencyConfigs(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	maxItems, _, err := queryInt(r, "MaxItems", "maxItems", 1, 50)
	if err != nil {
		return err
	}
	out, err := s.reg.ListProvisionedConcurrencyConfigs(c.Account, registry.ListProvisionedInput{
		FunctionName: r.PathValue("FunctionName"),
		Marker:       r.URL.Query().Get("Marker"),
		MaxItems:     maxItems,
	})
	if err != nil {
		return err
	}
	for _, cfg := range out.ProvisionedConcurrencyConfigs {
		s.fillProvisioned(cfg)
	}
	return writeJSON(w, http.StatusOK, out)
}

// deleteProvisionedConcurrencyConfig serves DeleteProvisionedConcurrencyConfig:
// 204. The provisioner releases the environments.
func deleteProvisionedConcurrencyConfig(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.reg.DeleteProvisionedConcurrencyConfig(r.Context(), c.Account, r.PathValue("FunctionName"), r.URL.Query().Get("Qualifier")); err != nil {
		return err
	}
	return writeEmpty(w, http.StatusNoContent)
}

// fillProvisioned sets the allocation and status of c from the scheduler's
// live count of provisioned environments.
func (s *Server) fillProvisioned(c *registry.ProvisionedConcurrencyConfig) {
	c.Fill(func(version string) registry.ProvisionedAllocation {
		if s.sched == nil {
			return registry.ProvisionedAllocation{}
		}
		p := s.sched.Provisioned(c.Account, c.Function, version)
		return registry.ProvisionedAllocation{Allocated: p.Allocated, Failure: p.Failure}
	})
}
