package logs

import (
	"math"
	"strconv"
	"time"
)

// Report is what the REPORT line of one invocation says.
type Report struct {
	RequestID    string
	Duration     time.Duration
	MemorySizeMB int
	MaxMemoryMB  int
	// InitDuration is set on an environment's first invocation only.
	InitDuration time.Duration
	// Status is "timeout" or "error" when the invocation did not succeed.
	Status string
}

// AppendStart appends "START RequestId: <id> Version: <v>\n".
func AppendStart(b []byte, requestID, version string) []byte {
	b = append(b, "START RequestId: "...)
	b = append(b, requestID...)
	b = append(b, " Version: "...)
	b = append(b, version...)
	return append(b, '\n')
}

// AppendEnd appends "END RequestId: <id>\n".
func AppendEnd(b []byte, requestID string) []byte {
	b = append(b, "END RequestId: "...)
	b = append(b, requestID...)
	return append(b, '\n')
}

// AppendReport appends AWS's tab-separated REPORT line: durations with two
// decimals, billed duration in whole milliseconds rounded up, and Init
// Duration on cold starts only. The line ends with a tab, as AWS's does.
func AppendReport(b []byte, r Report) []byte {
	b = append(b, "REPORT RequestId: "...)
	b = append(b, r.RequestID...)
	b = append(b, "\tDuration: "...)
	b = appendMillis(b, r.Duration)
	b = append(b, " ms\tBilled Duration: "...)
	billed := int64(math.Ceil(float64(r.Duration) / float64(time.Millisecond)))
	if billed < 1 {
		billed = 1
	}
	b = strconv.AppendInt(b, billed, 10)
	b = append(b, " ms\tMemory Size: "...)
	b = strconv.AppendInt(b, int64(r.MemorySizeMB), 10)
	b = append(b, " MB\tMax Memory Used: "...)
	b = strconv.AppendInt(b, int64(r.MaxMemoryMB), 10)
	b = append(b, " MB\t"...)
	if r.InitDuration > 0 {
		b = append(b, "Init Duration: "...)
		b = appendMillis(b, r.InitDuration)
		b = append(b, " ms\t"...)
	}
	if r.Status != "" {
		b = append(b, "Status: "...)
		b = append(b, r.Status...)
		b = append(b, '\t')
	}
	return append(b, '\n')
}

// AppendTimeout appends the line AWS writes before END when an invocation
// times out: "<RFC 3339 ms> <id> Task timed out after N.NN seconds\n".
func AppendTimeout(b []byte, now time.Time, requestID string, timeout time.Duration) []byte {
	b = now.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
	b = append(b, ' ')
	b = append(b, requestID...)
	b = append(b, " Task timed out after "...)
	b = strconv.AppendFloat(b, timeout.Seconds(), 'f', 2, 64)
	return append(b, " seconds\n"...)
}

func appendMillis(b []byte, d time.Duration) []byte {
	return strconv.AppendFloat(b, float64(d)/float64(time.Millisecond), 'f', 2, 64)
}
