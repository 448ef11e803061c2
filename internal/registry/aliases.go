package registry

// Alias is a named pointer to a published version (or $LATEST), optionally
// routing a share of invocations to a second version. Aliases are replaced
// whole, never changed.
type Alias struct {
	Name string `json:"name"`
	// FunctionVersion is the version the alias points to.
	FunctionVersion string `json:"functionVersion"`
	Description     string `json:"description,omitempty"`
	// Weights is RoutingConfig.AdditionalVersionWeights: the share (0–1)
	// of invocations that go to another version; nil when none.
	Weights    map[string]float64 `json:"weights,omitempty"`
	RevisionID string             `json:"revisionId"`
}
