package api

import "net/http"

// getAccountSettings serves GetAccountSettings: the account's limits and
// usage.
func getAccountSettings(s *Server, w http.ResponseWriter, r *http.Request, c *call) error {
	return writeJSON(w, http.StatusOK, s.reg.AccountSettings(c.Account))
}
