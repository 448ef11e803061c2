package registry

import (
	"strings"
	"testing"
)

// FuzzLayerNames feeds arbitrary strings to the parsers of layer names and
// layer version ARNs: they must not panic, and what they accept must round
// trip to the ARN lambdad issues.
func FuzzLayerNames(f *testing.F) {
	for _, s := range []string{
		"l", "my-layer_1", "arn:aws:lambda:us-east-1:123456789012:layer:l",
		"arn:aws:lambda:us-east-1:123456789012:layer:l:1", "arn:aws-cn:lambda:cn-north-1:123456789012:layer:x:99",
		"arn:aws:lambda:::awslayer:AWSLambda-Python-AWS-SDK", "arn:aws:lambda:eusc-de-east-1:123456789012:layer:l:0",
		"arn:aws:lambda:us-east-1:123456789012:layer:l:00012", "arn:x:lambda:y:123456789012:layer:z", "a:b:c", "",
	} {
		f.Add(s)
	}
	r := &Registry{cfg: Config{Region: "us-east-1"}}
	f.Fuzz(func(t *testing.T, s string) {
		var v violations
		ref, err := r.parseLayerName("123456789012", s, &v)
		if len(v) == 0 && err == nil {
			if ref.name == "" || strings.ContainsAny(ref.name, ":.") || len(ref.account) != 12 {
				t.Fatalf("parseLayerName(%q) = %+v", s, ref)
			}
		}
		var lv violations
		checkLayerArns([]string{s}, &lv)
		if len(lv) > 0 {
			return
		}
		l, err := r.parseLayerVersionARN(s)
		if err != nil {
			return
		}
		if l.version < 1 || l.name == "" {
			t.Fatalf("parseLayerVersionARN(%q) = %+v", s, l)
		}
		if got := r.layerVersionARN(l.account, l.name, l.version); !strings.HasSuffix(s, strings.TrimPrefix(got, "arn:aws")) && !strings.HasPrefix(s, "arn:aws") {
			t.Fatalf("round trip of %q = %q", s, got)
		}
	})
}
