package eventstream

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

// invokeComplete is the golden vector of PROTOCOLS §4.3: InvokeComplete
// with payload {} and headers :event-type, :content-type, :message-type.
const invokeComplete = "00000066000000541f56c869" +
	"0b3a6576656e742d7479706507000e496e766f6b65436f6d706c657465" +
	"0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e" +
	"0d3a6d6573736167652d747970650700056576656e74" +
	"7b7d" +
	"7006d467"

func TestGoldenInvokeComplete(t *testing.T) {
	want, err := hex.DecodeString(invokeComplete)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := NewEncoder(&buf).Event("InvokeComplete", "application/json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("encoded\n%x\nwant\n%x", buf.Bytes(), want)
	}
	m, n, err := Decode(want)
	if err != nil || n != len(want) {
		t.Fatalf("Decode = %d, %v", n, err)
	}
	if got := m.GetString(HeaderEventType); got != "InvokeComplete" {
		t.Errorf(":event-type = %q", got)
	}
	if string(m.Payload) != "{}" {
		t.Errorf("payload = %q", m.Payload)
	}
}

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		m    Message
	}{
		{"empty", Message{}},
		{"payload only", Message{Payload: []byte("hello")}},
		{"every type", Message{
			Headers: []Header{
				{"t", true}, {"f", false}, {"i8", int8(-8)}, {"i16", int16(-1600)},
				{"i32", int32(-320000)}, {"i64", int64(-1 << 40)}, {"b", []byte{0, 1, 2}},
				{"s", "ünïcode"}, {"ts", time.UnixMilli(1700000000123).UTC()},
				{"u", UUID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
			},
			Payload: bytes.Repeat([]byte{0xff}, 300),
		}},
		{"long string", Message{Headers: []Header{{strings.Repeat("n", 255), strings.Repeat("v", maxValueLen)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := AppendMessage([]byte("prefix"), &tt.m)
			if err != nil {
				t.Fatal(err)
			}
			got, n, err := Decode(b[len("prefix"):])
			if err != nil || n != len(b)-len("prefix") {
				t.Fatalf("Decode = %d, %v", n, err)
			}
			if len(got.Payload) == 0 {
				got.Payload = nil
			}
			if !reflect.DeepEqual(got, tt.m) {
				t.Errorf("decoded %+v\nwant %+v", got, tt.m)
			}
			d := NewDecoder(bytes.NewReader(append(b[len("prefix"):], b[len("prefix"):]...)))
			for i := range 2 {
				if _, err := d.Decode(); err != nil {
					t.Fatalf("Decoder message %d: %v", i, err)
				}
			}
			if _, err := d.Decode(); err != io.EOF {
				t.Fatalf("Decoder at end: %v, want EOF", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	tests := []struct {
		name string
		m    Message
	}{
		{"empty name", Message{Headers: []Header{{"", "x"}}}},
		{"long name", Message{Headers: []Header{{strings.Repeat("n", 256), "x"}}}},
		{"long value", Message{Headers: []Header{{"n", strings.Repeat("v", maxValueLen+1)}}}},
		{"long bytes", Message{Headers: []Header{{"n", make([]byte, maxValueLen+1)}}}},
		{"bad type", Message{Headers: []Header{{"n", 3.5}}}},
		{"too large", Message{Payload: make([]byte, MaxMessage)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := AppendMessage([]byte("x"), &tt.m)
			if err == nil {
				t.Fatal("no error")
			}
			if string(b) != "x" {
				t.Errorf("dst changed to %q", b)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := hex.DecodeString(invokeComplete)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"short prelude", good[:11], ErrMalformed},
		{"prelude crc", flip(9), ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"message crc", flip(len(good) - 1), ErrMalformed},
		{"payload bit", flip(len(good) - 5), ErrMalformed},
		{"too large", prelude(MaxMessage+1, 0), ErrTooLarge},
		{"total under minimum", prelude(15, 0), ErrMalformed},
		{"headers overflow", prelude(20, 5), ErrMalformed},
		{"zero name length", withHeaders([]byte{0, 7, 0, 0}), ErrMalformed},
		{"unknown type", withHeaders([]byte{1, 'a', 10}), ErrMalformed},
		{"value truncated", withHeaders([]byte{1, 'a', 7, 0, 5, 'x'}), ErrMalformed},
		{"length truncated", withHeaders([]byte{1, 'a', 7, 0}), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, err := Decode(tt.b); !errors.Is(err, tt.want) {
				t.Errorf("Decode = %v, want %v", err, tt.want)
			}
			if _, err := NewDecoder(bytes.NewReader(tt.b)).Decode(); err == nil {
				t.Error("Decoder accepted it")
			}
		})
	}
}

// prelude is a bare prelude with a valid CRC.
func prelude(total, headers uint32) []byte {
	b := make([]byte, 12)
	b[0], b[1], b[2], b[3] = byte(total>>24), byte(total>>16), byte(total>>8), byte(total)
	b[4], b[5], b[6], b[7] = byte(headers>>24), byte(headers>>16), byte(headers>>8), byte(headers)
	return withCRC(b[:8])[:12]
}

// withHeaders is a message with raw header bytes and valid CRCs.
func withHeaders(h []byte) []byte {
	total := uint32(12 + len(h) + 4)
	b := prelude(total, uint32(len(h)))
	b = append(b, h...)
	return withCRC(b)
}

func withCRC(b []byte) []byte {
	c := crcIEEE(b)
	return append(b, byte(c>>24), byte(c>>16), byte(c>>8), byte(c))
}

func TestDecoderUnexpectedEOF(t *testing.T) {
	good, _ := hex.DecodeString(invokeComplete)
	if _, err := NewDecoder(bytes.NewReader(good[:50])).Decode(); err != io.ErrUnexpectedEOF {
		t.Fatalf("got %v, want io.ErrUnexpectedEOF", err)
	}
}

// writeRecorder records each Write.
type writeRecorder struct{ writes [][]byte }

func (w *writeRecorder) Write(p []byte) (int, error) {
	w.writes = append(w.writes, bytes.Clone(p))
	return len(p), nil
}

// TestEncoderWrites checks that an Encoder writes AppendMessage's bytes: in
// one Write up to a 16 KiB payload, in three (prefix, payload, CRC) past it,
// and nothing for a message it cannot encode.
func TestEncoderWrites(t *testing.T) {
	hs := []Header{String(HeaderEventType, "PayloadChunk"), String(HeaderContentType, "application/octet-stream")}
	tests := []struct {
		name   string
		m      Message
		writes int
	}{
		{"empty", Message{Headers: hs}, 1},
		{"16 KiB", Message{Headers: hs, Payload: bytes.Repeat([]byte{'a'}, 16<<10)}, 1},
		{"16 KiB + 1", Message{Headers: hs, Payload: bytes.Repeat([]byte{'b'}, 16<<10+1)}, 3},
		{"1 MiB", Message{Headers: hs, Payload: bytes.Repeat([]byte("0123456789"), 100<<10)}, 3},
		{"too large", Message{Headers: hs, Payload: make([]byte, MaxMessage)}, 0},
		{"bad header", Message{Headers: []Header{{"", "x"}}, Payload: make([]byte, 32<<10)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w writeRecorder
			err := NewEncoder(&w).Encode(&tt.m)
			if len(w.writes) != tt.writes {
				t.Fatalf("%d writes, want %d (err %v)", len(w.writes), tt.writes, err)
			}
			want, wantErr := AppendMessage(nil, &tt.m)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("Encode: %v, AppendMessage: %v", err, wantErr)
			}
			if got := bytes.Join(w.writes, nil); !bytes.Equal(got, want) {
				t.Fatalf("wrote %d bytes unlike AppendMessage's %d", len(got), len(want))
			}
			if tt.writes == 3 && len(w.writes[1]) != len(tt.m.Payload) {
				t.Errorf("payload written as %d bytes", len(w.writes[1]))
			}
		})
	}
}
