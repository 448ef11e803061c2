package async

import "testing"

func TestLineage(t *testing.T) {
	tests := []struct {
		name, trace string
		n           int
		next        string
	}{
		{"none", "", 0, "Lineage=lambdad:1"},
		{"root only", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1", 0, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1;Lineage=lambdad:1"},
		{"ours", "Root=1-a-b;Parent=c;Sampled=0;Lineage=lambdad:15", 15, "Root=1-a-b;Parent=c;Sampled=0;Lineage=lambdad:16"},
		{"with AWS entries", "Root=1-a-b;Lineage=a87bd80c:1|lambdad:3", 3, "Root=1-a-b;Lineage=a87bd80c:1|lambdad:4"},
		{"foreign only", "Root=1-a-b;Lineage=a87bd80c:7", 0, "Root=1-a-b;Lineage=a87bd80c:7|lambdad:1"},
		{"garbage", "Lineage=lambdad:x", 0, "Lineage=lambdad:1"},
		{"negative", "Lineage=lambdad:-3", 0, "Lineage=lambdad:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := Lineage(tc.trace); n != tc.n {
				t.Errorf("Lineage = %d, want %d", n, tc.n)
			}
			next := WithLineage(tc.trace, Lineage(tc.trace)+1)
			if next != tc.next {
				t.Errorf("WithLineage = %q, want %q", next, tc.next)
			}
			if Lineage(next) != tc.n+1 {
				t.Errorf("Lineage(next) = %d", Lineage(next))
			}
		})
	}
	if !Recursive("Lineage=lambdad:16", "Terminate") || Recursive("Lineage=lambdad:15", "Terminate") || Recursive("Lineage=lambdad:99", "Allow") {
		t.Error("Recursive")
	}
}

// FuzzLineage checks that WithLineage always yields a header whose lineage
// reads back.
func FuzzLineage(f *testing.F) {
	f.Add("Root=1-a-b;Lineage=a87bd80c:1|lambdad:3", 4)
	f.Add("", 0)
	f.Add(";;Lineage=;", 1)
	f.Fuzz(func(t *testing.T, trace string, n int) {
		if n < 0 {
			n = -n
		}
		if n < 0 {
			return
		}
		_ = Lineage(trace)
		if got := Lineage(WithLineage(trace, n)); got != n {
			t.Fatalf("Lineage(WithLineage(%q, %d)) = %d", trace, n, got)
		}
	})
}
