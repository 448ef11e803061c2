package eventstream

import (
	"fmt"
	"io"
)

// An Encoder writes messages to an io.Writer, one Write per message. It
// does not flush: an http.ResponseWriter's caller flushes after each
// message it wants on the wire. An Encoder is not safe for concurrent use.
type Encoder struct {
	w   io.Writer
	buf []byte
	hs  [3]Header
}

// NewEncoder returns an Encoder that writes to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{w: w} }

// Encode writes m. It returns AppendMessage's errors and w's write error.
func (e *Encoder) Encode(m *Message) error {
	var err error
	e.buf, err = AppendMessage(e.buf[:0], m)
	if err != nil {
		return err
	}
	if _, err := e.w.Write(e.buf); err != nil {
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
