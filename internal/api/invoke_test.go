package api

import (
	"regexp"
	"testing"
)

func TestTraceID(t *testing.T) {
	if got := traceID("Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"); got != "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1" {
		t.Errorf("caller's header not kept: %q", got)
	}
	re := regexp.MustCompile(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0$`)
	a, b := traceID(""), traceID("")
	if !re.MatchString(a) || !re.MatchString(b) || a == b {
		t.Errorf("generated trace ids %q, %q", a, b)
	}
}
