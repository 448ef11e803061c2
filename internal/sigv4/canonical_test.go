package sigv4

import (
	"encoding/hex"
	"net/http"
	"testing"
)

func TestNormalizePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/a/b", "/a/b"},
		{"/a/b/", "/a/b/"},
		{"/a%2Fb/c%3A", "/a%2Fb/c%3A"},
		{"//a", "/a"},
		{"/a//b/", "/a/b/"},
		{"/a/./b", "/a/b"},
		{"/a/../b", "/b"},
		{"/../a", "/a"},
		{"/a/b/..", "/a"},
		{"/a/.", "/a"},
		{"/./", "/"},
		{"/..", "/"},
		{"/a/.b/..c", "/a/.b/..c"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := normalizePath(tt.in); got != tt.want {
				t.Errorf("normalizePath(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestAppendCanonicalURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/2015-03-31/functions/my-fn/invocations", "/2015-03-31/functions/my-fn/invocations"},
		{"/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn%3Aprod/invocations",
			"/2015-03-31/functions/arn%253Aaws%253Alambda%253Aus-east-1%253A123456789012%253Afunction%253Amy-fn%253Aprod/invocations"},
		{"/a b/~_.-$", "/a%20b/~_.-%24"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := string(appendCanonicalURI(nil, tt.in)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAppendCanonicalQuery(t *testing.T) {
	tests := []struct {
		name, in      string
		skipSignature bool
		decodedOrder  bool
		want          string
	}{
		{name: "empty", in: "", want: ""},
		{name: "sorted by name", in: "b=2&a=1&A=0", want: "A=0&a=1&b=2"},
		{name: "repeated names sorted by value", in: "a=2&a=1&a=10", want: "a=1&a=10&a=2"},
		{name: "no equal sign", in: "flag&a=1", want: "a=1&flag="},
		{name: "empty pairs skipped", in: "&&a=1&", want: "a=1"},
		{name: "plus is a space", in: "q=a+b", want: "q=a%20b"},
		{name: "re-encoded", in: "q=%7e%2fx%20y%2B", want: "q=~%2Fx%20y%2B"},
		{name: "unreserved decoded", in: "q=%41%2D", want: "q=A-"},
		{name: "bad escape kept", in: "q=%zz%4", want: "q=%25zz%254"},
		{name: "raw reserved encoded", in: "q=a:b/c@d", want: "q=a%3Ab%2Fc%40d"},
		{name: "encoded name sorts before", in: "a-b=1&a=2", want: "a=2&a-b=1"},
		{name: "signature kept", in: "X-Amz-Signature=abc&a=1", want: "X-Amz-Signature=abc&a=1"},
		{name: "signature skipped", in: "X-Amz-Signature=abc&a=1", skipSignature: true, want: "a=1"},
		{name: "encoded order", in: "a=%E2%9C%93&a=1", want: "a=%E2%9C%93&a=1"},
		{name: "decoded order", in: "a=%E2%9C%93&a=1", decodedOrder: true, want: "a=1&a=%E2%9C%93"},
		{name: "many parameters", in: "p=1&o=1&n=1&m=1&l=1&k=1&j=1&i=1&h=1&g=1&f=1&e=1&d=1&c=1&b=1&a=1&z=1&y=1",
			want: "a=1&b=1&c=1&d=1&e=1&f=1&g=1&h=1&i=1&j=1&k=1&l=1&m=1&n=1&o=1&p=1&y=1&z=1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := "GET\n/\n"
			got := string(appendCanonicalQuery([]byte(prefix), tt.in, tt.skipSignature, tt.decodedOrder))
			if got != prefix+tt.want {
				t.Errorf("appendCanonicalQuery(%q) = %q, want %q", tt.in, got[len(prefix):], tt.want)
			}
		})
	}
}

func TestAppendCanonicalHeaders(t *testing.T) {
	r, err := http.NewRequest(http.MethodPost, "http://lambda.test:9000/x", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Host = "lambda.test:9000"
	r.ContentLength = 12
	r.TransferEncoding = []string{"chunked"}
	r.Header.Add("X-Multi", "  one  ")
	r.Header.Add("X-Multi", "two   three")
	r.Header.Add("X-Amz-Date", "20261123T072733Z")
	r.Header["x-raw"] = []string{"raw"} // set directly, not canonicalised
	got := string(appendCanonicalHeaders(nil, r, "content-length;host;transfer-encoding;x-absent;x-amz-date;x-multi;x-raw"))
	want := "content-length:12\nhost:lambda.test:9000\ntransfer-encoding:chunked\nx-absent:\nx-amz-date:20261123T072733Z\nx-multi:one,two three\nx-raw:raw\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestDeriveSigningKey checks the key derivation examples of AWS's SigV4
// documentation (IAM, us-east-1).
func TestDeriveSigningKey(t *testing.T) {
	tests := []struct{ date, want string }{
		{"20150830", "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"},
		{"20120215", "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			k := deriveSigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", tt.date, "us-east-1", "iam")
			var key [32]byte
			for i := range key {
				key[i] = k.ipad[i] ^ 0x36
			}
			if got := hex.EncodeToString(key[:]); got != tt.want {
				t.Errorf("signing key = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestKeyCacheBounded(t *testing.T) {
	var c keyCache
	first := c.get("secret", "20261123", "us-east-1", "lambda")
	if again := c.get("secret", "20261123", "us-east-1", "lambda"); again != first {
		t.Error("second get derived the key again")
	}
	for i := range 2 * keyCacheSize {
		c.get("secret", "2026", string(rune('a'+i%26))+string(rune('a'+i/26)), "lambda")
		if n := len(c.keys); n > keyCacheSize {
			t.Fatalf("cache holds %d keys, more than %d", n, keyCacheSize)
		}
	}
}
