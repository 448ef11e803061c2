package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambdad/lambdad/internal/lambdadtest"
)

// urlFunction is the aws-lambda-go function behind the tests' URLs; the
// path chooses what it answers: buffered values, HTTP responses, a stream
// with a prelude (/stream, /break), or a net/http handler run by
// aws-lambda-go's lambdaurl package (/http/...).
const urlFunction = `package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

var web = lambdaurl.Wrap(http.StripPrefix("/http", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	http.SetCookie(w, &http.Cookie{Name: "h", Value: "1"})
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(http.StatusAccepted)
	fmt.Fprintf(w, "%s %s %s %s|", r.Method, r.URL.Path, r.URL.RawQuery, body)
	time.Sleep(300 * time.Millisecond)
	fmt.Fprint(w, "done")
})))

func handler(ctx context.Context, req events.LambdaFunctionURLRequest) (any, error) {
	switch req.RawPath {
	case "/plain":
		return "hello", nil
	case "/fail":
		return nil, errors.New("handler failed")
	case "/sleep":
		time.Sleep(3 * time.Second)
		return "late", nil
	case "/binary":
		b := make([]byte, 256)
		for i := range b {
			b[i] = byte(i)
		}
		return events.LambdaFunctionURLResponse{StatusCode: 200, IsBase64Encoded: true,
			Headers: map[string]string{"Content-Type": "application/octet-stream"},
			Body:    base64.StdEncoding.EncodeToString(b)}, nil
	case "/cookies":
		return events.LambdaFunctionURLResponse{StatusCode: 201,
			Headers: map[string]string{"X-Custom": "v", "Access-Control-Allow-Origin": "https://fn.example"},
			Cookies: []string{"a=1; Max-Age=60", "b=2"}, Body: "made"}, nil
	case "/stream", "/break":
		// Three chunks with pauses; /break breaks off after the first.
		pr, pw := io.Pipe()
		go func() {
			for i := 0; i < 3; i++ {
				if i > 0 {
					if req.RawPath == "/break" {
						pw.CloseWithError(errors.New("stream broke"))
						return
					}
					time.Sleep(300 * time.Millisecond)
				}
				fmt.Fprintf(pw, "chunk-%d\n", i)
			}
			pw.Close()
		}()
		return &events.LambdaFunctionURLStreamingResponse{StatusCode: 201,
			Headers: map[string]string{"Content-Type": "text/plain", "X-Streamed": "yes"},
			Cookies: []string{"s=1"}, Body: pr}, nil
	}
	if strings.HasPrefix(req.RawPath, "/http/") {
		return web(ctx, &req)
	}
	ev, err := json.Marshal(req)
	return events.LambdaFunctionURLResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(ev)}, err
}

func main() { lambda.Start(handler) }
`

// aliasLatest creates alias name of function fn at $LATEST: a URL of
// its own that shares $LATEST's warm environments.
func aliasLatest(t *testing.T, c *lambda.Client, fn, name string) {
	t.Helper()
	if _, err := c.CreateAlias(ctx(t), &lambda.CreateAliasInput{FunctionName: aws.String(fn), Name: aws.String(name), FunctionVersion: aws.String("$LATEST")}); err != nil {
		t.Fatalf("CreateAlias %s:%s: %v", fn, name, err)
	}
}

// longTimeout gives a function room for a cold start on a loaded machine.
func longTimeout(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(30) }

// urlClient is a keep-alive HTTP client that connects every request to
// lambdad's own address, whatever host the URL names: the Host-header form
// without relying on the resolver.
func urlClient(d *lambdadtest.Daemon) *http.Client {
	addr := strings.TrimPrefix(d.URL, "http://")
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
		MaxIdleConnsPerHost: 4,
		DisableCompression:  true,
	}}
}

// urlID is the url-id of a FunctionUrl.
func urlID(t *testing.T, functionURL string) string {
	t.Helper()
	m := regexp.MustCompile(`^http://([a-z0-9]{32})\.lambda-url\.us-east-1\.localhost:\d+/$`).FindStringSubmatch(functionURL)
	if m == nil {
		t.Fatalf("FunctionUrl %q", functionURL)
	}
	return m[1]
}

// fetch sends one request and returns the response with its body read.
func fetch(t *testing.T, client *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func newRequest(t *testing.T, method, url string, body []byte, header ...string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	return req
}

// allowPublic grants the public what AWS requires to call a NONE function
// URL of name (since October 2025 for new URLs): lambda:InvokeFunctionUrl
// for the NONE auth type, and lambda:InvokeFunction through a function URL.
func allowPublic(t testing.TB, c *lambda.Client, name string) {
	t.Helper()
	allowPublicURL(t, c, name, "")
	allowInvokeViaURL(t, c, name, "")
}

// allowPublicURL adds the lambda:InvokeFunctionUrl half of allowPublic for
// qualifier ("" for the function).
func allowPublicURL(t testing.TB, c *lambda.Client, name, qualifier string) {
	t.Helper()
	addPermission(t, c, &lambda.AddPermissionInput{
		FunctionName: aws.String(name), StatementId: aws.String("url"), Action: aws.String("lambda:InvokeFunctionUrl"),
		Principal: aws.String("*"), FunctionUrlAuthType: types.FunctionUrlAuthTypeNone,
	}, qualifier)
}

// allowInvokeViaURL adds the lambda:InvokeFunction half of allowPublic.
func allowInvokeViaURL(t testing.TB, c *lambda.Client, name, qualifier string) {
	t.Helper()
	addPermission(t, c, &lambda.AddPermissionInput{
		FunctionName: aws.String(name), StatementId: aws.String("url-invoke"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("*"), InvokedViaFunctionUrl: aws.Bool(true),
	}, qualifier)
}

func addPermission(t testing.TB, c *lambda.Client, in *lambda.AddPermissionInput, qualifier string) {
	t.Helper()
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	if _, err := c.AddPermission(context.Background(), in); err != nil {
		t.Fatalf("AddPermission %s %s: %v", aws.ToString(in.FunctionName), aws.ToString(in.Action), err)
	}
}

func testURLConfig(t *testing.T, d *lambdadtest.Daemon, c *lambda.Client) {
	deploy(t, c, "cfg", lambdadtest.ScriptZip(t, echoScript))

	_, err := c.GetFunctionUrlConfig(ctx(t), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("cfg")})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	_, err = c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("nope"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, err, "ResourceNotFoundException", "Function does not exist")
	_, err = c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("cfg"), Qualifier: aws.String("$LATEST"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, err, "ValidationException", `1 validation error detected: Value '$LATEST' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: ((?!^\d+$)^[0-9a-zA-Z-_]+$)`)

	created, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("cfg"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://a.example"}, MaxAge: aws.Int32(60)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := urlID(t, aws.ToString(created.FunctionUrl))
	if !strings.HasSuffix(aws.ToString(created.FunctionUrl), strings.TrimPrefix(d.URL, "http://127.0.0.1")+"/") ||
		aws.ToString(created.FunctionArn) != "arn:aws:lambda:us-east-1:"+lambdadtest.AccountID+":function:cfg" ||
		created.InvokeMode != "" || created.AuthType != types.FunctionUrlAuthTypeNone ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`).MatchString(aws.ToString(created.CreationTime)) {
		t.Errorf("created %+v", created)
	}
	_, err = c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("cfg"), AuthType: types.FunctionUrlAuthTypeNone})
	wantAPIError(t, err, "ResourceConflictException", "Failed to create function url config for [functionArn = arn:aws:lambda:us-east-1:"+lambdadtest.AccountID+":function:cfg]. Error message:  FunctionUrlConfig exists for this Lambda function")

	got, err := c.GetFunctionUrlConfig(ctx(t), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("cfg")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.FunctionUrl) != aws.ToString(created.FunctionUrl) || got.InvokeMode != types.InvokeModeBuffered ||
		aws.ToString(got.LastModifiedTime) != aws.ToString(created.CreationTime) || got.Cors == nil || aws.ToInt32(got.Cors.MaxAge) != 60 {
		t.Errorf("got %+v", got)
	}
	updated, err := c.UpdateFunctionUrlConfig(ctx(t), &lambda.UpdateFunctionUrlConfigInput{FunctionName: aws.String("cfg"), AuthType: types.FunctionUrlAuthTypeAwsIam, InvokeMode: types.InvokeModeResponseStream})
	if err != nil {
		t.Fatal(err)
	}
	if urlID(t, aws.ToString(updated.FunctionUrl)) != id || updated.AuthType != types.FunctionUrlAuthTypeAwsIam || updated.InvokeMode != types.InvokeModeResponseStream {
		t.Errorf("updated %+v", updated)
	}
	list, err := c.ListFunctionUrlConfigs(ctx(t), &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("cfg"), MaxItems: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.FunctionUrlConfigs) != 1 || list.NextMarker != nil || list.FunctionUrlConfigs[0].InvokeMode != types.InvokeModeResponseStream {
		t.Errorf("list %+v", list)
	}
	if _, err := c.DeleteFunctionUrlConfig(ctx(t), &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("cfg")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteFunctionUrlConfig(ctx(t), &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("cfg")})
	wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")

	// A deleted URL answers as one that never existed.
	resp, body := fetch(t, http.DefaultClient, newRequest(t, "GET", d.URL+"/_lambdad/urls/"+id+"/", nil))
	if resp.StatusCode != 403 || string(body) != `{"Message":null}` || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("deleted URL: %d %s %v", resp.StatusCode, body, resp.Header)
	}
}

func testURLBuffered(t *testing.T, d *lambdadtest.Daemon, c *lambda.Client) {
	deploy(t, c, "web", lambdadtest.GoZip(t, urlFunction), longTimeout)
	out, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("web"), AuthType: types.FunctionUrlAuthTypeNone,
		Cors: &types.Cors{AllowOrigins: []string{"https://app.example"}, AllowMethods: []string{"GET", "POST"}, AllowHeaders: []string{"x-custom"}, ExposeHeaders: []string{"x-custom"}, MaxAge: aws.Int32(300)},
	})
	if err != nil {
		t.Fatal(err)
	}
	base := aws.ToString(out.FunctionUrl)
	id := urlID(t, base)
	pathBase := d.URL + "/_lambdad/urls/" + id
	client := urlClient(d)

	t.Run("permission required", func(t *testing.T) {
		resp, body := fetch(t, client, newRequest(t, "GET", base+"plain", nil))
		if resp.StatusCode != 403 || string(body) != `{"Message":"Forbidden. For troubleshooting Function URL authorization issues, see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}` {
			t.Fatalf("without permission: %d %s", resp.StatusCode, body)
		}
	})
	allowPublic(t, c, "web")

	t.Run("event", func(t *testing.T) {
		req := newRequest(t, "POST", base+"a%2Fb/c?x=1&x=2&y=%2F", []byte(`{"k":"v"}`),
			"Content-Type", "application/json", "X-Multi", "v1", "X-Multi", "v2", "Cookie", "c1=v1; c2=v2", "User-Agent", "e2e/1")
		resp, body := fetch(t, client, req)
		if resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		var ev lambdaevents.LambdaFunctionURLRequest
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		rc := ev.RequestContext
		if ev.Version != "2.0" || ev.RawPath != "/a%2Fb/c" || ev.RawQueryString != "x=1&x=2&y=%2F" ||
			ev.QueryStringParameters["x"] != "1,2" || ev.QueryStringParameters["y"] != "/" ||
			ev.Headers["x-multi"] != "v1,v2" || ev.Headers["content-type"] != "application/json" ||
			ev.Headers["x-forwarded-proto"] != "http" || ev.Headers["x-forwarded-for"] != "127.0.0.1" ||
			!slices.Equal(ev.Cookies, []string{"c1=v1", "c2=v2"}) || ev.Body != `{"k":"v"}` || ev.IsBase64Encoded {
			t.Errorf("event %+v", ev)
		}
		if rc.APIID != id || rc.DomainPrefix != id || rc.DomainName != id+".lambda-url.us-east-1.localhost" || rc.AccountID != "anonymous" ||
			rc.HTTP.Method != "POST" || rc.HTTP.Path != "/a%2Fb/c" || rc.HTTP.Protocol != "HTTP/1.1" || rc.HTTP.SourceIP != "127.0.0.1" ||
			rc.HTTP.UserAgent != "e2e/1" || rc.RequestID != resp.Header.Get("X-Amzn-Requestid") || rc.Authorizer != nil ||
			time.Since(time.UnixMilli(rc.TimeEpoch)) > time.Minute {
			t.Errorf("requestContext %+v", rc)
		}
	})
	t.Run("path form", func(t *testing.T) {
		resp, body := fetch(t, http.DefaultClient, newRequest(t, "GET", pathBase+"/deep/er?q", nil))
		var ev lambdaevents.LambdaFunctionURLRequest
		if resp.StatusCode != 200 || json.Unmarshal(body, &ev) != nil || ev.RawPath != "/deep/er" || ev.RawQueryString != "q" || ev.Body != "" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
		resp, body = fetch(t, http.DefaultClient, newRequest(t, "GET", pathBase, nil))
		if resp.StatusCode != 200 || json.Unmarshal(body, &ev) != nil || ev.RawPath != "/" {
			t.Fatalf("root: %d %s", resp.StatusCode, body)
		}
	})
	t.Run("curl", func(t *testing.T) {
		// curl resolves *.localhost to the loopback address itself.
		cmd := exec.Command("curl", "-sS", "-i", "-X", "POST", "-H", "Content-Type: text/plain", "--data-binary", "from curl", base+"curl?via=curl")
		outb, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("curl: %v: %s", err, outb)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(outb)), nil)
		if err != nil {
			t.Fatalf("%v: %s", err, outb)
		}
		body, _ := io.ReadAll(resp.Body)
		var ev lambdaevents.LambdaFunctionURLRequest
		if resp.StatusCode != 200 || json.Unmarshal(body, &ev) != nil || ev.Body != "from curl" || ev.RawPath != "/curl" || ev.QueryStringParameters["via"] != "curl" {
			t.Fatalf("%d %s", resp.StatusCode, body)
		}
	})
	t.Run("binary", func(t *testing.T) {
		in := []byte{0, 1, 2, 0xfe, 0xff}
		resp, body := fetch(t, client, newRequest(t, "PUT", base+"echo", in, "Content-Type", "application/octet-stream"))
		var ev lambdaevents.LambdaFunctionURLRequest
		if resp.StatusCode != 200 || json.Unmarshal(body, &ev) != nil || !ev.IsBase64Encoded || ev.Body != "AAEC/v8=" {
			t.Fatalf("binary request: %d %s", resp.StatusCode, body)
		}
		resp, body = fetch(t, client, newRequest(t, "GET", base+"binary", nil))
		if resp.StatusCode != 200 || len(body) != 256 || body[255] != 255 || resp.Header.Get("Content-Type") != "application/octet-stream" {
			t.Fatalf("binary response: %d %q %v", resp.StatusCode, body, resp.Header)
		}
	})
	t.Run("cookies and CORS", func(t *testing.T) {
		resp, body := fetch(t, client, newRequest(t, "GET", base+"cookies", nil, "Origin", "https://app.example"))
		if resp.StatusCode != 201 || string(body) != "made" || resp.Header.Get("X-Custom") != "v" ||
			!slices.Equal(resp.Header.Values("Set-Cookie"), []string{"a=1; Max-Age=60", "b=2"}) ||
			resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
		// The configured CORS headers win over the function's.
		if got := resp.Header.Values("Access-Control-Allow-Origin"); !slices.Equal(got, []string{"https://app.example"}) || resp.Header.Get("Access-Control-Expose-Headers") != "x-custom" {
			t.Errorf("CORS headers %v", resp.Header)
		}
	})
	t.Run("CORS preflight", func(t *testing.T) {
		resp, body := fetch(t, client, newRequest(t, "OPTIONS", base+"fail", nil,
			"Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "x-custom"))
		// /fail would be a 502: the function never sees the preflight.
		if resp.StatusCode != 200 || len(body) != 0 ||
			resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" || resp.Header.Get("Access-Control-Allow-Methods") != "GET,POST" ||
			resp.Header.Get("Access-Control-Allow-Headers") != "x-custom" || resp.Header.Get("Access-Control-Max-Age") != "300" || resp.Header.Get("Vary") != "Origin" {
			t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
	})
	t.Run("plain value", func(t *testing.T) {
		resp, body := fetch(t, client, newRequest(t, "GET", base+"plain", nil))
		if resp.StatusCode != 200 || string(body) != "hello" || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
	})
	t.Run("function error", func(t *testing.T) {
		resp, body := fetch(t, client, newRequest(t, "GET", base+"fail", nil))
		if resp.StatusCode != 502 || string(body) != "Internal Server Error" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("unknown URL", func(t *testing.T) {
		resp, body := fetch(t, client, newRequest(t, "GET", "http://0123456789abcdefghijklmnopqrstuv.lambda-url.us-east-1.localhost/", nil))
		if resp.StatusCode != 403 || string(body) != `{"Message":null}` || resp.Header.Get("X-Amzn-ErrorType") != "AccessDeniedException" {
			t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
	})
	t.Run("AWS_IAM", func(t *testing.T) {
		aliasLatest(t, c, "web", "private")
		out, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("private"), AuthType: types.FunctionUrlAuthTypeAwsIam})
		if err != nil {
			t.Fatal(err)
		}
		url := aws.ToString(out.FunctionUrl) + "who?am=i"
		// Even a public policy does not open an AWS_IAM URL.
		allowPublicURL(t, c, "web", "private")
		allowInvokeViaURL(t, c, "web", "private")

		resp, body := fetch(t, client, newRequest(t, "GET", url, nil))
		if resp.StatusCode != 403 || !strings.Contains(string(body), "Forbidden.") {
			t.Fatalf("unsigned: %d %s", resp.StatusCode, body)
		}
		sign := func(secret string) *http.Request {
			req := newRequest(t, "POST", url, []byte("signed body"), "Content-Type", "text/plain")
			sum := sha256.Sum256([]byte("signed body"))
			creds := aws.Credentials{AccessKeyID: lambdadtest.AccessKeyID, SecretAccessKey: secret}
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", lambdadtest.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
			return req
		}
		resp, body = fetch(t, client, sign("wrong-secret"))
		if resp.StatusCode != 403 {
			t.Fatalf("wrong signature: %d %s", resp.StatusCode, body)
		}
		resp, body = fetch(t, client, sign(lambdadtest.SecretAccessKey))
		var ev lambdaevents.LambdaFunctionURLRequest
		if resp.StatusCode != 200 || json.Unmarshal(body, &ev) != nil {
			t.Fatalf("signed: %d %s", resp.StatusCode, body)
		}
		iam := ev.RequestContext.Authorizer
		if iam == nil || iam.IAM == nil || iam.IAM.AccessKey != lambdadtest.AccessKeyID || iam.IAM.AccountID != lambdadtest.AccountID ||
			ev.RequestContext.AccountID != lambdadtest.AccountID || ev.Body != "signed body" {
			t.Errorf("event %+v", ev)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		deploy(t, c, "slow", lambdadtest.GoZip(t, urlFunction), func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(1) })
		out, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("slow"), AuthType: types.FunctionUrlAuthTypeNone})
		if err != nil {
			t.Fatal(err)
		}
		allowPublic(t, c, "slow")
		resp, body := fetch(t, client, newRequest(t, "GET", aws.ToString(out.FunctionUrl)+"sleep", nil))
		if resp.StatusCode != 502 || string(body) != "Internal Server Error" {
			t.Errorf("%d %q", resp.StatusCode, body)
		}
	})
	t.Run("alias", func(t *testing.T) {
		aliasLatest(t, c, "web", "live")
		out, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeNone})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:"+lambdadtest.AccountID+":function:web:live" || aws.ToString(out.FunctionUrl) == base {
			t.Errorf("alias URL %+v", out)
		}
		// The alias has a policy of its own.
		aliasURL := aws.ToString(out.FunctionUrl) + "plain"
		if resp, body := fetch(t, client, newRequest(t, "GET", aliasURL, nil)); resp.StatusCode != 403 {
			t.Fatalf("alias without permission: %d %s", resp.StatusCode, body)
		}
		// lambda:InvokeFunctionUrl alone no longer opens a URL: AWS requires
		// lambda:InvokeFunction too (new URLs, since October 2025).
		allowPublicURL(t, c, "web", "live")
		if resp, body := fetch(t, client, newRequest(t, "GET", aliasURL, nil)); resp.StatusCode != 403 {
			t.Fatalf("alias without lambda:InvokeFunction: %d %s", resp.StatusCode, body)
		}
		allowInvokeViaURL(t, c, "web", "live")
		if resp, body := fetch(t, client, newRequest(t, "GET", aliasURL, nil)); resp.StatusCode != 200 || string(body) != "hello" {
			t.Fatalf("alias: %d %s", resp.StatusCode, body)
		}
		// Deleting the alias deletes its URL.
		if _, err := c.DeleteAlias(ctx(t), &lambda.DeleteAliasInput{FunctionName: aws.String("web"), Name: aws.String("live")}); err != nil {
			t.Fatal(err)
		}
		if resp, body := fetch(t, client, newRequest(t, "GET", aliasURL, nil)); resp.StatusCode != 403 || string(body) != `{"Message":null}` {
			t.Errorf("deleted alias: %d %s", resp.StatusCode, body)
		}
		_, err = c.GetFunctionUrlConfig(ctx(t), &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("web"), Qualifier: aws.String("live")})
		wantAPIError(t, err, "ResourceNotFoundException", "The resource you requested does not exist.")
	})
	t.Run("throttled", func(t *testing.T) {
		if _, err := c.PutFunctionConcurrency(ctx(t), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("web"), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		resp, body := fetch(t, client, newRequest(t, "GET", base+"plain", nil))
		if resp.StatusCode != 429 || resp.Header.Get("X-Amzn-ErrorType") != "TooManyRequestsException" {
			t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
		if _, err := c.DeleteFunctionConcurrency(ctx(t), &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("web")}); err != nil {
			t.Fatal(err)
		}
	})
}

func testURLStream(t *testing.T, d *lambdadtest.Daemon, c *lambda.Client) {
	// A RESPONSE_STREAM URL on an alias of the buffered tests' function
	// (deployed with a long timeout: a loaded CI machine can spend seconds
	// on a cold start, and the default 3 s would cut the stream).
	aliasLatest(t, c, "web", "streaming")
	out, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{
		FunctionName: aws.String("web"), Qualifier: aws.String("streaming"), AuthType: types.FunctionUrlAuthTypeNone, InvokeMode: types.InvokeModeResponseStream,
	})
	if err != nil {
		t.Fatal(err)
	}
	allowPublicURL(t, c, "web", "streaming")
	allowInvokeViaURL(t, c, "web", "streaming")
	base := aws.ToString(out.FunctionUrl)
	client := urlClient(d)

	t.Run("chunks arrive as written", func(t *testing.T) {
		start := time.Now()
		resp, err := client.Do(newRequest(t, "GET", base+"stream", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 201 || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("X-Streamed") != "yes" ||
			!slices.Equal(resp.Header.Values("Set-Cookie"), []string{"s=1"}) || resp.TransferEncoding[0] != "chunked" {
			t.Fatalf("%d %v %v", resp.StatusCode, resp.Header, resp.TransferEncoding)
		}
		r := bufio.NewReader(resp.Body)
		var at []time.Duration
		for i := range 3 {
			line, err := r.ReadString('\n')
			if err != nil || line != fmt.Sprintf("chunk-%d\n", i) {
				t.Fatalf("line %d: %q %v", i, line, err)
			}
			at = append(at, time.Since(start))
		}
		if rest, err := io.ReadAll(r); err != nil || len(rest) != 0 {
			t.Fatalf("after the chunks: %q %v", rest, err)
		}
		// The function pauses 300 ms between chunks: the first arrives
		// before the function ends.
		if at[2]-at[0] < 450*time.Millisecond {
			t.Errorf("chunks at %v: not streamed", at)
		}
	})
	t.Run("lambdaurl", func(t *testing.T) {
		resp, err := client.Do(newRequest(t, "PUT", base+"http/p/q?r=s", []byte("in"), "Content-Type", "text/plain"))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		first, err := bufio.NewReader(resp.Body).ReadString('|')
		if err != nil || first != "PUT /p/q r=s in|" {
			t.Fatalf("first write %q %v", first, err)
		}
		firstAt := time.Now()
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "done" || time.Since(firstAt) < 200*time.Millisecond {
			t.Errorf("rest %q %v after %v", rest, err, time.Since(firstAt))
		}
		if resp.StatusCode != 202 || resp.Header.Get("Content-Type") != "text/plain" || !slices.Equal(resp.Header.Values("Set-Cookie"), []string{"h=1"}) {
			t.Errorf("%d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("break mid-stream", func(t *testing.T) {
		resp, err := client.Do(newRequest(t, "GET", base+"break", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode != 201 || string(body) != "chunk-0\n" || err == nil {
			t.Fatalf("%d %q %v: want the first chunk and a broken body", resp.StatusCode, body, err)
		}
	})
}

// nodeURL is a Node.js function behind a RESPONSE_STREAM URL: the Node
// runtime client writes the prelude lazily, before the first body write.
const nodeURL = `exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 202, headers: { 'content-type': 'text/plain', 'x-path': event.rawPath }, cookies: ['n=1'] });
  responseStream.write('first ');
  await new Promise((resolve) => setTimeout(resolve, 300));
  responseStream.end('second');
});
`

// pythonURL is a Python function behind a BUFFERED URL.
const pythonURL = `import base64

def handler(event, context):
    if event["rawPath"] == "/plain":
        return "text"
    return {"statusCode": 203, "headers": {"x-query": event.get("rawQueryString", "")},
            "cookies": ["p=1"], "body": base64.b64encode(b"\x00py").decode(), "isBase64Encoded": True}
`

// testURLManaged puts functions of lambdad's own Node.js and Python
// runtime clients behind URLs.
func testURLManaged(t *testing.T, d *lambdadtest.Daemon, c *lambda.Client) {
	client := urlClient(d)
	create := func(name string, mode types.InvokeMode) string {
		out, err := c.CreateFunctionUrlConfig(ctx(t), &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String(name), AuthType: types.FunctionUrlAuthTypeNone, InvokeMode: mode})
		if err != nil {
			t.Fatal(err)
		}
		allowPublic(t, c, name)
		return aws.ToString(out.FunctionUrl)
	}
	t.Run("node stream", func(t *testing.T) {
		needInterpreter(t, "node", "nodejs")
		deployManaged(t, c, "node-url", types.RuntimeNodejs22x, "index.handler", textFiles(t, map[string]string{"index.js": nodeURL}), 30)
		url := create("node-url", types.InvokeModeResponseStream)
		resp, err := client.Do(newRequest(t, "GET", url+"n", nil))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		first := make([]byte, len("first "))
		if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first " {
			t.Fatalf("first write: %q %v", first, err)
		}
		firstAt := time.Now()
		rest, err := io.ReadAll(resp.Body)
		if err != nil || string(rest) != "second" || time.Since(firstAt) < 200*time.Millisecond {
			t.Errorf("rest %q %v after %v", rest, err, time.Since(firstAt))
		}
		if resp.StatusCode != 202 || resp.Header.Get("Content-Type") != "text/plain" || resp.Header.Get("X-Path") != "/n" ||
			!slices.Equal(resp.Header.Values("Set-Cookie"), []string{"n=1"}) {
			t.Errorf("%d %v", resp.StatusCode, resp.Header)
		}
	})
	t.Run("python", func(t *testing.T) {
		needInterpreter(t, "python3")
		deployManaged(t, c, "py-url", types.RuntimePython312, "index.handler", textFiles(t, map[string]string{"index.py": pythonURL}), 30)
		url := create("py-url", "")
		resp, body := fetch(t, client, newRequest(t, "GET", url+"x?a=b", nil))
		if resp.StatusCode != 203 || string(body) != "\x00py" || resp.Header.Get("X-Query") != "a=b" ||
			!slices.Equal(resp.Header.Values("Set-Cookie"), []string{"p=1"}) || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%d %q %v", resp.StatusCode, body, resp.Header)
		}
		resp, body = fetch(t, client, newRequest(t, "GET", url+"plain", nil))
		if resp.StatusCode != 200 || string(body) != "text" {
			t.Errorf("plain: %d %q", resp.StatusCode, body)
		}
	})
}

// TestFunctionURL runs the function URL tests on one lambdad.
func TestFunctionURL(t *testing.T) {
	d := lambdadtest.Start(t, lambdadtest.Options{})
	c := d.Client()
	t.Run("config", func(t *testing.T) { testURLConfig(t, d, c) })
	t.Run("buffered", func(t *testing.T) { testURLBuffered(t, d, c) })
	t.Run("stream", func(t *testing.T) { testURLStream(t, d, c) })
	t.Run("managed", func(t *testing.T) { testURLManaged(t, d, c) })
}
