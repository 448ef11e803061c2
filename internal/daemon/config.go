package daemon

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"time"
)

// Development credentials, used when none are configured. They are public,
// so lambdad refuses to serve them on a non-loopback address unless told to.
const (
	DevAccessKeyID     = "AKIALAMBDADDEV000000"
	DevSecretAccessKey = "lambdad-development-secret-key-0000000000"
	DevAccountID       = "000000000000"
)

// Config is the whole configuration of a lambdad daemon. Flags and LAMBDAD_*
// variables are read only in cmd/lambdad; everything else receives a Config.
type Config struct {
	// Addr is the host:port of the Lambda API.
	Addr string
	// DataDir holds all state: the JetStream store, extracted code, scratch.
	DataDir string
	// Region appears in every ARN and is the region clients must sign for.
	Region string

	// AccessKeyID, SecretAccessKey and AccountID are the credentials clients
	// sign with and the account they map to.
	AccessKeyID     string
	SecretAccessKey string
	AccountID       string
	// AllowDevCredentials permits the development credentials on a
	// non-loopback address.
	AllowDevCredentials bool

	// ConcurrencyLimit is the account's concurrent executions limit.
	ConcurrencyLimit int
	// IdleTimeout is how long an unused execution environment is kept warm.
	IdleTimeout time.Duration
	// Isolation is "auto", "on" or "off" (see package sandbox).
	Isolation string
	// RuntimeInterpreters overrides the interpreters found on PATH for
	// managed runtimes: runtime (python3.12) or language (python, nodejs)
	// to an absolute path (see package runtimes).
	RuntimeInterpreters map[string]string

	// AsyncRetryDelay is the wait before the first retry of an
	// asynchronous invocation that failed (twice that before the second);
	// AWS waits about a minute.
	AsyncRetryDelay time.Duration
	// AsyncThrottleMin and AsyncThrottleMax bound the exponential back-off
	// of throttled asynchronous invocations (AWS: 1 s to 5 min).
	AsyncThrottleMin, AsyncThrottleMax time.Duration
	// AsyncAckWait is how long an asynchronous invocation taken by a
	// lambdad that died stays invisible before it runs again.
	AsyncAckWait time.Duration
}

// DefaultConfig returns the configuration of `lambdad serve` with no flags.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:9001",
		DataDir:          ".lambdad",
		Region:           "us-east-1",
		AccessKeyID:      DevAccessKeyID,
		SecretAccessKey:  DevSecretAccessKey,
		AccountID:        DevAccountID,
		ConcurrencyLimit: 1000,
		IdleTimeout:      10 * time.Minute,
		Isolation:        "auto",
		AsyncRetryDelay:  time.Minute,
		AsyncThrottleMin: time.Second,
		AsyncThrottleMax: 5 * time.Minute,
		AsyncAckWait:     30 * time.Second,
	}
}

// UsesDevCredentials reports whether the configuration signs with the public
// development key pair.
func (c Config) UsesDevCredentials() bool {
	return c.AccessKeyID == DevAccessKeyID && c.SecretAccessKey == DevSecretAccessKey
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}$`)
	accountPattern = regexp.MustCompile(`^\d{12}$`)
)

// Validate reports every problem of the configuration at once.
func (c Config) Validate() error {
	var errs []error
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("addr %q: %w", c.Addr, err))
	} else if c.UsesDevCredentials() && !c.AllowDevCredentials && !isLoopback(host) {
		errs = append(errs, fmt.Errorf("addr %q is not a loopback address and the development credentials are in use: set LAMBDAD_ACCESS_KEY_ID and LAMBDAD_SECRET_ACCESS_KEY, or allow the development credentials explicitly", c.Addr))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is empty"))
	}
	if !regionPattern.MatchString(c.Region) {
		errs = append(errs, fmt.Errorf("region %q is not an AWS region name", c.Region))
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		errs = append(errs, errors.New("access key id and secret access key must both be set"))
	}
	if !accountPattern.MatchString(c.AccountID) {
		errs = append(errs, fmt.Errorf("account id %q is not 12 digits", c.AccountID))
	}
	if c.ConcurrencyLimit < 100 {
		errs = append(errs, fmt.Errorf("concurrency limit %d is below the minimum of 100", c.ConcurrencyLimit))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, fmt.Errorf("idle timeout %s must be positive", c.IdleTimeout))
	}
	if c.AsyncRetryDelay <= 0 || c.AsyncThrottleMin <= 0 || c.AsyncAckWait <= 0 || c.AsyncThrottleMax < c.AsyncThrottleMin {
		errs = append(errs, fmt.Errorf("async delays must be positive, with the throttle maximum at least its minimum (retry %s, throttle %s–%s, ack wait %s)",
			c.AsyncRetryDelay, c.AsyncThrottleMin, c.AsyncThrottleMax, c.AsyncAckWait))
	}
	switch c.Isolation {
	case "auto", "on", "off":
	default:
		errs = append(errs, fmt.Errorf("isolation %q is not auto, on or off", c.Isolation))
	}
	return errors.Join(errs...)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
