package main

import (
	"io"
	"maps"
	"strings"
	"testing"
)

func TestRuntimeInterpreters(t *testing.T) {
	tests := []struct {
		name string
		env  string
		args []string
		want map[string]string
		err  string
	}{
		{name: "none", want: map[string]string{}},
		{
			name: "flags", args: []string{"--runtime-interpreter", "python3.12=/usr/bin/python3", "--runtime-interpreter", "nodejs=/usr/bin/node"},
			want: map[string]string{"python3.12": "/usr/bin/python3", "nodejs": "/usr/bin/node"},
		},
		{
			name: "variable, then a flag overrides one", env: "python=/opt/py/bin/python3, nodejs=/usr/bin/node",
			args: []string{"--runtime-interpreter", "nodejs=/usr/local/bin/node"},
			want: map[string]string{"python": "/opt/py/bin/python3", "nodejs": "/usr/local/bin/node"},
		},
		{name: "no equals", args: []string{"--runtime-interpreter", "python3"}, err: `runtime interpreter "python3": want RUNTIME=PATH`},
		{name: "bad variable", env: "=x", err: "LAMBDAD_RUNTIME_INTERPRETERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == "LAMBDAD_RUNTIME_INTERPRETERS" {
					return tt.env
				}
				return ""
			}
			cfg, _, _, err := serveConfig(tt.args, getenv, io.Discard)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(cfg.RuntimeInterpreters, tt.want) {
				t.Errorf("RuntimeInterpreters = %v, want %v", cfg.RuntimeInterpreters, tt.want)
			}
		})
	}
}

func FuzzInterpreters(f *testing.F) {
	for _, s := range []string{"python3.12=/usr/bin/python3", "a=b,c=d", "=", ",", "x=y=z", " nodejs = /n "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m := interpreters{}
		if err := m.Set(s); err != nil {
			return
		}
		for k, v := range m {
			if k == "" || v == "" || strings.Contains(k, "=") || strings.Contains(k, ",") || strings.Contains(v, ",") {
				t.Fatalf("Set(%q) gave %q=%q", s, k, v)
			}
		}
		// String is accepted back.
		again := interpreters{}
		if err := again.Set(m.String()); len(m) > 0 && err != nil {
			t.Fatalf("Set(String()) of %v: %v", m, err)
		}
	})
}
