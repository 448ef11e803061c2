package sigv4_test

import (
	"net/http"
	"testing"
)

// BenchmarkVerify verifies a typical Invoke as aws-sdk-go-v2 sends it: eight
// signed headers and a small JSON payload.
func BenchmarkVerify(b *testing.B) {
	payload := []byte(`{"orderId":"12345","items":[{"sku":"A-1","qty":2},{"sku":"B-7","qty":1}],"total":42.5}`)
	cases := []struct{ name, url string }{
		{"invoke", invokeURL},
		{"invoke-arn-qualifier", "http://" + testHost + "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Amy-fn/invocations?Qualifier=prod"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req := request{method: http.MethodPost, url: c.url, body: payload, headers: sdkHeaders}.build(b)
			sign(b, req, payload, signOpts{})
			r, body := received(b, req)
			v := newTestVerifier()
			if _, err := v.Verify(r, body, testNow); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Verify(r, body, testNow); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
