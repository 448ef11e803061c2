package e2e

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// BenchmarkInvokeAlias compares warm invokes of $LATEST with invokes
// through an alias that splits traffic between two published versions, in
// the same run, with a version-qualified invoke (no routing) and a client
// that splits its invokes 50/50 between the two versions itself:
//
//	go test ./e2e -run '^$' -bench BenchmarkInvokeAlias -count 6 | tee alias.txt
//	benchstat -col /target alias.txt
func BenchmarkInvokeAlias(b *testing.B) {
	d := lambdadtest.Start(b, lambdadtest.Options{})
	c := d.Client()
	in := createInput("noop", lambdadtest.GoZip(b, noopFunction))
	in.Publish = true
	if _, err := c.CreateFunction(b.Context(), in); err != nil {
		b.Fatal(err)
	}
	if _, err := c.UpdateFunctionConfiguration(b.Context(), &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("noop"), Description: aws.String("second"),
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.PublishVersion(b.Context(), &lambda.PublishVersionInput{FunctionName: aws.String("noop")}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.CreateAlias(b.Context(), &lambda.CreateAliasInput{
		FunctionName:    aws.String("noop"),
		Name:            aws.String("live"),
		FunctionVersion: aws.String("1"),
		RoutingConfig:   &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.5}},
	}); err != nil {
		b.Fatal(err)
	}
	payload := payloadOf(100)
	for _, tg := range []struct{ name, path string }{
		{"latest", "/2015-03-31/functions/noop/invocations"},
		{"alias", "/2015-03-31/functions/noop/invocations?Qualifier=live"},
		{"version", "/2015-03-31/functions/noop/invocations?Qualifier=1"},
	} {
		req := lambdadtest.Sign(b, d.URL, "POST", tg.path, payload)
		// Warm both versions behind the alias.
		client := lambdadtest.KeepAliveClient(1)
		for range 20 {
			if _, _, err := req.Do(client, d.URL); err != nil {
				b.Fatal(err)
			}
		}
		b.Run("target="+tg.name, func(b *testing.B) { benchSequential(b, d.URL, req, 200) })
	}
	// The same 50/50 split without an alias: the client picks version 1 or
	// 2 itself. What the alias costs beyond this is the alias's own cost.
	reqs := []*lambdadtest.SignedRequest{
		lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/noop/invocations?Qualifier=1", payload),
		lambdadtest.Sign(b, d.URL, "POST", "/2015-03-31/functions/noop/invocations?Qualifier=2", payload),
	}
	b.Run("target=versions-alternating", func(b *testing.B) {
		client := lambdadtest.KeepAliveClient(1)
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for range b.N {
			req := reqs[rand.IntN(2)]
			start := time.Now()
			status, body, err := req.Do(client, d.URL)
			lat = append(lat, time.Since(start))
			if err != nil || status != 200 {
				b.Fatalf("status %d: %s %v", status, body, err)
			}
		}
		b.StopTimer()
		reportPercentiles(b, lat)
	})
}
