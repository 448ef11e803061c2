package async

import (
	"bytes"
	"testing"

	"github.com/nats-io/nats.go"
)

// FuzzDecodeEvent feeds arbitrary header values to decodeEvent: it must
// never panic, and what it accepts must encode back to the same event.
func FuzzDecodeEvent(f *testing.F) {
	f.Add("req-1", "123456789012", "f", "", "1795419065118", "", "0", "Root=1-a-b;Lineage=3:lambdad", []byte(`{}`))
	f.Add("r", "a", "f", "$LATEST", "0", "1795419065118", "2", "", []byte(nil))
	f.Add("", "", "", "", "x", "y", "-1", "", []byte("x"))
	f.Fuzz(func(t *testing.T, id, account, fn, qualifier, enqueued, due, attempts, trace string, payload []byte) {
		h := nats.Header{}
		for k, v := range map[string]string{hdrRequestID: id, hdrAccount: account, hdrFunction: fn, hdrQualifier: qualifier,
			hdrEnqueued: enqueued, hdrDue: due, hdrAttempts: attempts, hdrTrace: trace} {
			if v != "" {
				h.Set(k, v)
			}
		}
		e, err := decodeEvent(h, payload)
		if err != nil {
			return
		}
		back, err := decodeEvent(e.header(), payload)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if back.RequestID != e.RequestID || back.Account != e.Account || back.Function != e.Function || back.Qualifier != e.Qualifier ||
			!back.Enqueued.Equal(e.Enqueued) || !back.Due.Equal(e.Due) || back.Attempts != e.Attempts || back.TraceID != e.TraceID ||
			!bytes.Equal(back.Payload, payload) {
			t.Fatalf("round trip: %+v != %+v", back, e)
		}
	})
}
