package store

import (
	"strings"
	"testing"
)

func TestDigest(t *testing.T) {
	// sha256 of the empty string, in the forms AWS and the object store use.
	d := Sum(nil)
	const hexEmpty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	if d.Hex() != hexEmpty || d.String() != hexEmpty {
		t.Errorf("Hex = %s", d.Hex())
	}
	if got := d.Base64(); got != "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("Base64 = %s", got)
	}
	if got := d.objectDigest(); got != "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=" {
		t.Errorf("objectDigest = %s", got)
	}
	for _, s := range []string{hexEmpty, strings.ToUpper(hexEmpty)} {
		p, err := ParseHex(s)
		if err != nil || p != d {
			t.Errorf("ParseHex(%s) = %s, %v", s, p, err)
		}
	}
}

func TestParseHexErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty", ""},
		{"short", "e3b0"},
		{"long", strings.Repeat("0", 66)},
		{"not hex", strings.Repeat("g", 64)},
		{"base64", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseHex(tt.in); err == nil {
				t.Errorf("ParseHex(%q) succeeded", tt.in)
			}
		})
	}
}
