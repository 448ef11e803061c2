package eventstream

import (
	"bytes"
	"encoding/hex"
	"testing"
)

// FuzzDecode checks that Decode never panics, that whatever it accepts
// re-encodes to the same bytes, and that the Decoder agrees with it.
func FuzzDecode(f *testing.F) {
	golden, _ := hex.DecodeString(invokeComplete)
	f.Add(golden)
	every, _ := AppendMessage(nil, &Message{Headers: []Header{
		{"t", true}, {"f", false}, {"i8", int8(1)}, {"i16", int16(2)}, {"i32", int32(3)},
		{"i64", int64(4)}, {"b", []byte("b")}, {"s", "s"}, {"u", UUID{1}},
	}, Payload: []byte("p")})
	f.Add(every)
	f.Add([]byte{})
	f.Add(golden[:12])
	f.Fuzz(func(t *testing.T, b []byte) {
		m, n, err := Decode(b)
		_, derr := NewDecoder(bytes.NewReader(b)).Decode()
		if (err == nil) != (derr == nil) {
			t.Fatalf("Decode error %v, Decoder error %v", err, derr)
		}
		if err != nil {
			return
		}
		again, err := AppendMessage(nil, &m)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if !bytes.Equal(again, b[:n]) {
			t.Fatalf("re-encoded %x\nwant %x", again, b[:n])
		}
	})
}
