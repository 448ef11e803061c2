package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/lambdad/lambdad/internal/awserr"
)

// createMany creates n functions named prefix000... in parallel.
func (e *env) createMany(prefix string, n int) []string {
	e.t.Helper()
	names := make([]string, n)
	zip := makeZip(e.t, map[string]string{"index.py": "x"})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 8)
	for i := range n {
		names[i] = fmt.Sprintf("%s%03d", prefix, i)
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := e.reg.CreateFunction(context.Background(), testAccount, inputWithZip(names[i], zip)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Fatal(err)
	}
	return names
}

// listAll pages through ListFunctions with maxItems, calling between after
// each page, and returns the names in the order listed.
func (e *env) listAll(maxItems int, between func(page int)) []string {
	e.t.Helper()
	var got []string
	marker := ""
	for page := 0; ; page++ {
		if page > 1000 {
			e.t.Fatal("pagination does not end")
		}
		out, err := e.reg.ListFunctions(testAccount, ListFunctionsInput{Marker: marker, MaxItems: maxItems})
		if err != nil {
			e.t.Fatal(err)
		}
		limit := maxItems
		if limit == 0 || limit > 50 {
			limit = 50
		}
		if len(out.Functions) > limit {
			e.t.Fatalf("page of %d functions, want at most %d", len(out.Functions), limit)
		}
		for _, f := range out.Functions {
			if f.State != "" || f.LastUpdateStatus != "" {
				e.t.Errorf("listed %s with state fields %q/%q", f.FunctionName, f.State, f.LastUpdateStatus)
			}
			got = append(got, f.FunctionName)
		}
		if out.NextMarker == "" {
			return got
		}
		if out.NextMarker == marker {
			e.t.Fatalf("marker %q returned twice", marker)
		}
		marker = out.NextMarker
		if between != nil {
			between(page)
		}
	}
}

func TestListFunctionsPagination(t *testing.T) {
	e := newEnv(t)
	want := e.createMany("fn", 120)
	for _, maxItems := range []int{0, 1, 7, 50, 51, 10000} {
		t.Run(fmt.Sprint("MaxItems=", maxItems), func(t *testing.T) {
			if got := e.listAll(maxItems, nil); !slices.Equal(got, want) {
				t.Errorf("listed %d functions, want the %d in order:\n%v", len(got), len(want), got)
			}
		})
	}
	// Functions of another account stay out of the listing.
	if _, err := e.reg.CreateFunction(t.Context(), "210987654321", createInput(t, "fn000")); err != nil {
		t.Fatal(err)
	}
	if got := e.listAll(50, nil); len(got) != 120 {
		t.Errorf("listed %d functions", len(got))
	}
}

// TestListFunctionsStableUnderChanges creates and deletes functions between
// pages: every function that exists throughout the listing is listed exactly
// once, and nothing is listed twice.
func TestListFunctionsStableUnderChanges(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	stable := e.createMany("m", 120) // m000..m119
	doomed := e.createMany("d", 10)  // d000..d009 sort before every m
	created := 0
	got := e.listAll(13, func(page int) {
		// Delete one of the doomed and create functions around the cursor
		// (a000 sorts first, z000 last).
		if page < len(doomed) {
			if err := e.reg.DeleteFunction(ctx, testAccount, doomed[page], ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{fmt.Sprintf("a%03d", page), fmt.Sprintf("m%03da", page*13), fmt.Sprintf("z%03d", page)} {
			if _, err := e.reg.CreateFunction(ctx, testAccount, createInput(t, name)); err != nil {
				t.Fatal(err)
			}
			created++
		}
	})
	seen := map[string]int{}
	for _, n := range got {
		seen[n]++
		if seen[n] > 1 {
			t.Errorf("%s listed twice", n)
		}
	}
	for _, n := range stable {
		if seen[n] != 1 {
			t.Errorf("%s, present throughout, listed %d times", n, seen[n])
		}
	}
	if !slices.IsSorted(got) {
		t.Error("listing is not in name order")
	}
	if created == 0 {
		t.Fatal("no changes made between pages")
	}
}

func TestListFunctionsQuery(t *testing.T) {
	e := newEnv(t)
	e.create("one")
	all, err := e.reg.ListFunctions(testAccount, ListFunctionsInput{FunctionVersion: "ALL"})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Functions) != 1 || all.Functions[0].FunctionArn != arnPrefix+"one:$LATEST" {
		t.Errorf("FunctionVersion=ALL: %+v", all.Functions)
	}
	def, err := e.reg.ListFunctions(testAccount, ListFunctionsInput{})
	if err != nil || def.Functions[0].FunctionArn != arnPrefix+"one" {
		t.Errorf("default listing: %+v %v", def, err)
	}
	edge, err := e.reg.ListFunctions(testAccount, ListFunctionsInput{MasterRegion: "us-east-1", FunctionVersion: "ALL"})
	if err != nil || len(edge.Functions) != 0 || edge.Functions == nil {
		t.Errorf("MasterRegion listing: %+v %v", edge, err)
	}
	empty, err := e.reg.ListFunctions("210987654321", ListFunctionsInput{})
	if err != nil || empty.Functions == nil || len(empty.Functions) != 0 || empty.NextMarker != "" {
		t.Errorf("empty account: %+v %v", empty, err)
	}

	tests := []struct {
		name      string
		in        ListFunctionsInput
		code, msg string
	}{
		{"function version", ListFunctionsInput{FunctionVersion: "invalid"}, awserr.Validation,
			"1 validation error detected: Value 'invalid' at 'functionVersion' failed to satisfy constraint: Member must satisfy enum value set: [ALL]"},
		{"max items", ListFunctionsInput{MaxItems: 10001}, awserr.Validation,
			"1 validation error detected: Value '10001' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 10000"},
		{"master region", ListFunctionsInput{MasterRegion: "mars"}, awserr.Validation,
			`1 validation error detected: Value 'mars' at 'masterRegion' failed to satisfy constraint: Member must satisfy regular expression pattern: ALL|[a-z]{2}(-gov)?-[a-z]+-\d{1}`},
		{"marker", ListFunctionsInput{Marker: "!!"}, awserr.InvalidParameterValue, "Invalid Marker: !!"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.reg.ListFunctions(testAccount, tc.in)
			wantAWSError(t, err, tc.code, tc.msg)
		})
	}
}

func TestListFunctionsOutputAppendJSON(t *testing.T) {
	cfg := &FunctionConfiguration{FunctionName: "f", FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:f"}
	out := &ListFunctionsOutput{Functions: []ListedFunction{listedFunction(cfg), {FunctionConfiguration: cfg}}, NextMarker: "m\"x"}
	want, err := json.Marshal(struct {
		Functions  []*FunctionConfiguration
		NextMarker string
	}{[]*FunctionConfiguration{cfg, cfg}, "m\"x"})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.AppendJSON(nil); string(got) != string(want) {
		t.Errorf("AppendJSON = %s\nwant         %s", got, want)
	}
	empty := (&ListFunctionsOutput{Functions: []ListedFunction{}}).AppendJSON(nil)
	if string(empty) != `{"Functions":[]}` {
		t.Errorf("empty page = %s", empty)
	}
}
