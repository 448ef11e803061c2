package eventstream

import (
	"bytes"
	"testing"
	"time"

	sdk "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// TestSDKDecodesOurs checks our encoding against aws-sdk-go-v2's own
// decoder, the one its InvokeWithResponseStream reader uses.
func TestSDKDecodesOurs(t *testing.T) {
	ts := time.UnixMilli(1700000000123).UTC()
	m := Message{
		Headers: []Header{
			String(HeaderEventType, "PayloadChunk"), {"t", true}, {"f", false}, {"i8", int8(-8)},
			{"i16", int16(-1600)}, {"i32", int32(-320000)}, {"i64", int64(-1 << 40)},
			{"b", []byte{0, 1, 2}}, {"ts", ts}, {"u", UUID{1, 2, 3}},
		},
		Payload: []byte("chunk of output"),
	}
	var buf bytes.Buffer
	if err := NewEncoder(&buf).Encode(&m); err != nil {
		t.Fatal(err)
	}
	got, err := sdk.NewDecoder().Decode(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Payload) != "chunk of output" {
		t.Errorf("payload %q", got.Payload)
	}
	want := map[string]any{
		HeaderEventType: "PayloadChunk", "t": true, "f": false, "i8": int8(-8), "i16": int16(-1600),
		"i32": int32(-320000), "i64": int64(-1 << 40), "ts": ts,
	}
	for name, v := range want {
		h := got.Headers.Get(name)
		if h == nil {
			t.Errorf("header %s missing", name)
			continue
		}
		gv := h.Get()
		if tv, ok := gv.(time.Time); ok {
			gv = tv.UTC()
		}
		if gv != v {
			t.Errorf("header %s = %#v, want %#v", name, gv, v)
		}
	}
	if b := got.Headers.Get("b").Get().([]byte); !bytes.Equal(b, []byte{0, 1, 2}) {
		t.Errorf("header b = %v", b)
	}
	if u := got.Headers.Get("u").Get().([]byte); !bytes.Equal(u, []byte{1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("header u = %v", u)
	}
}

// TestSDKDecodesLarge checks a payload the Encoder writes uncopied, in
// three Writes, against aws-sdk-go-v2's decoder.
func TestSDKDecodesLarge(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 16<<10) // 256 KiB
	var buf bytes.Buffer
	if err := NewEncoder(&buf).Event("PayloadChunk", "application/octet-stream", payload); err != nil {
		t.Fatal(err)
	}
	got, err := sdk.NewDecoder().Decode(&buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Payload, payload) || got.Headers.Get(HeaderEventType).String() != "PayloadChunk" {
		t.Errorf("decoded %d bytes, headers %v", len(got.Payload), got.Headers)
	}
}

// TestDecodeSDKs checks our decoder against aws-sdk-go-v2's encoder,
// byte for byte after re-encoding.
func TestDecodeSDKs(t *testing.T) {
	var hs sdk.Headers
	hs.Set(":event-type", sdk.StringValue("InvokeComplete"))
	hs.Set("t", sdk.BoolValue(true))
	hs.Set("i16", sdk.Int16Value(7))
	hs.Set("i64", sdk.Int64Value(-9))
	hs.Set("b", sdk.BytesValue([]byte("xyz")))
	hs.Set("ts", sdk.TimestampValue(time.UnixMilli(42)))
	hs.Set("u", sdk.UUIDValue{9, 8, 7})
	var buf bytes.Buffer
	if err := sdk.NewEncoder().Encode(&buf, sdk.Message{Headers: hs, Payload: []byte(`{"a":1}`)}); err != nil {
		t.Fatal(err)
	}
	m, n, err := Decode(buf.Bytes())
	if err != nil || n != buf.Len() {
		t.Fatalf("Decode = %d, %v", n, err)
	}
	if m.GetString(HeaderEventType) != "InvokeComplete" || m.Get("i16") != int16(7) || m.Get("u") != (UUID{9, 8, 7}) {
		t.Errorf("decoded %+v", m)
	}
	again, err := AppendMessage(nil, &m)
	if err != nil || !bytes.Equal(again, buf.Bytes()) {
		t.Errorf("re-encoded %x, %v\nwant %x", again, err, buf.Bytes())
	}
}
