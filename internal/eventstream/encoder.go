package eventstream

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
)

// copyMax is the largest payload an Encoder copies to write its message in
// one Write.
const copyMax = 16 << 10

// An Encoder writes messages to an io.Writer: a message whose payload is up
// to 16 KiB in one Write, a larger one in three — prelude and headers,
// payload, CRC — so as not to copy its payload. Give it a buffered writer
// (an http.ResponseWriter is one). It does not flush: an
// http.ResponseWriter's caller flushes when it wants the messages on the
// wire. An Encoder is not safe for concurrent use.
type Encoder struct {
	w   io.Writer
	buf []byte
	crc [4]byte
	hs  [3]Header
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes m. It returns AppendMessage's errors and w's write error.
func (e *Encoder) Encode(m *Message) error {
	if len(m.Payload) <= copyMax {
		var err error
		if e.buf, err = AppendMessage(e.buf[:0], m); err != nil {
			return err
		}
		return e.write(e.buf)
	}
	var err error
	if e.buf, err = appendPrefix(e.buf[:0], m.Headers, len(m.Payload)); err != nil {
		return err
	}
	crc := crc32.Update(crc32.ChecksumIEEE(e.buf), crc32.IEEETable, m.Payload)
	binary.BigEndian.PutUint32(e.crc[:], crc)
	if err := e.write(e.buf); err != nil {
		return err
	}
	if err := e.write(m.Payload); err != nil {
		return err
	}
	return e.write(e.crc[:])
}

func (e *Encoder) write(p []byte) error {
	if _, err := e.w.Write(p); err != nil {
		return fmt.Errorf("write event-stream message: %w", err)
	}
	return nil
}

// Event writes an event message with the headers :event-type,
// :content-type and :message-type "event", in that order, as Lambda's
// InvokeWithResponseStream events carry them.
func (e *Encoder) Event(eventType, contentType string, payload []byte) error {
	e.hs = [3]Header{
		String(HeaderEventType, eventType),
		String(HeaderContentType, contentType),
		String(HeaderMessageType, MessageTypeEvent),
	}
	return e.Encode(&Message{Headers: e.hs[:], Payload: payload})
}
