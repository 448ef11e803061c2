package eventstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"
)

// Wire constants of the encoding.
const (
	preludeLen   = 12 // total_length, headers_length, prelude_crc
	minMessage   = preludeLen + 4
	maxNameLen   = 255
	maxValueLen  = 1<<16 - 1
	maxHeaderLen = 1<<31 - 1
)

// Reserved header names and the values Lambda uses (smithy-go
// eventstream/const.go).
const (
	HeaderMessageType = ":message-type"
	HeaderEventType   = ":event-type"
	HeaderContentType = ":content-type"
	MessageTypeEvent  = "event"
)

// MaxMessage bounds the total length a Decoder accepts, and the length of a
// message an Encoder writes (botocore rejects payloads over 24 MiB).
const MaxMessage = 24 << 20

// Type is the type byte of a header value.
type Type uint8

const (
	TypeTrue      Type = 0
	TypeFalse     Type = 1
	TypeInt8      Type = 2
	TypeInt16     Type = 3
	TypeInt32     Type = 4
	TypeInt64     Type = 5
	TypeBytes     Type = 6
	TypeString    Type = 7
	TypeTimestamp Type = 8
	TypeUUID      Type = 9
)

// UUID is the value of a type 9 header.
type UUID [16]byte

// Header is one message header. Value holds, by wire type: bool (0, 1),
// int8, int16, int32, int64, []byte, string, time.Time (8; milliseconds
// since the epoch, UTC) or UUID.
type Header struct {
	Name  string
	Value any
}

// String returns a type 7 header.
func String(name, value string) Header { return Header{Name: name, Value: value} }

// Message is one event-stream message.
type Message struct {
	Headers []Header
	Payload []byte
}

// Get returns the value of the first header called name, or nil.
func (m *Message) Get(name string) any {
	for _, h := range m.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return nil
}

// GetString returns the value of the first header called name when it is
// a string, or "".
func (m *Message) GetString(name string) string {
	s, _ := m.Get(name).(string)
	return s
}

// Errors of Decode and the Decoder. A message that fails a check wraps
// ErrMalformed.
var (
	ErrMalformed = errors.New("malformed event-stream message")
	// ErrTooLarge is returned for a message over MaxMessage bytes, by the
	// Encoder as by the Decoder.
	ErrTooLarge = errors.New("event-stream message too large")
)

// AppendMessage appends the encoding of m to dst. It fails (returning dst
// unchanged) for an empty or over-long header name, a string or byte value
// over 65,535 bytes, a value of an unsupported Go type, or a message over
// MaxMessage bytes.
func AppendMessage(dst []byte, m *Message) ([]byte, error) {
	start := len(dst)
	dst, err := appendPrefix(dst, m.Headers, len(m.Payload))
	if err != nil {
		return dst, err
	}
	dst = append(dst, m.Payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:])), nil
}

// appendPrefix appends the prelude and headers of a message with headers
// hs and a payload of n bytes, what comes before the payload. It fails as
// AppendMessage does, returning dst unchanged.
func appendPrefix(dst []byte, hs []Header, n int) ([]byte, error) {
	start := len(dst)
	dst = append(dst, make([]byte, preludeLen)...)
	for _, h := range hs {
		var err error
		if dst, err = appendHeader(dst, h); err != nil {
			return dst[:start], err
		}
	}
	headersLen := len(dst) - start - preludeLen
	total := len(dst) - start + n + 4
	if total > MaxMessage {
		return dst[:start], fmt.Errorf("%w: %d bytes", ErrTooLarge, total)
	}
	prelude := dst[start:]
	binary.BigEndian.PutUint32(prelude[0:], uint32(total))
	binary.BigEndian.PutUint32(prelude[4:], uint32(headersLen))
	binary.BigEndian.PutUint32(prelude[8:], crc32.ChecksumIEEE(prelude[:8]))
	return dst, nil
}

func appendHeader(dst []byte, h Header) ([]byte, error) {
	if len(h.Name) == 0 || len(h.Name) > maxNameLen {
		return dst, fmt.Errorf("header name %q: length must be 1 to %d bytes", h.Name, maxNameLen)
	}
	dst = append(dst, byte(len(h.Name)))
	dst = append(dst, h.Name...)
	switch v := h.Value.(type) {
	case bool:
		if v {
			return append(dst, byte(TypeTrue)), nil
		}
		return append(dst, byte(TypeFalse)), nil
	case int8:
		return append(dst, byte(TypeInt8), byte(v)), nil
	case int16:
		return binary.BigEndian.AppendUint16(append(dst, byte(TypeInt16)), uint16(v)), nil
	case int32:
		return binary.BigEndian.AppendUint32(append(dst, byte(TypeInt32)), uint32(v)), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(dst, byte(TypeInt64)), uint64(v)), nil
	case []byte:
		if len(v) > maxValueLen {
			return dst, fmt.Errorf("header %s: value of %d bytes is over %d", h.Name, len(v), maxValueLen)
		}
		dst = binary.BigEndian.AppendUint16(append(dst, byte(TypeBytes)), uint16(len(v)))
		return append(dst, v...), nil
	case string:
		if len(v) > maxValueLen {
			return dst, fmt.Errorf("header %s: value of %d bytes is over %d", h.Name, len(v), maxValueLen)
		}
		dst = binary.BigEndian.AppendUint16(append(dst, byte(TypeString)), uint16(len(v)))
		return append(dst, v...), nil
	case time.Time:
		return binary.BigEndian.AppendUint64(append(dst, byte(TypeTimestamp)), uint64(v.UnixMilli())), nil
	case UUID:
		return append(append(dst, byte(TypeUUID)), v[:]...), nil
	default:
		return dst, fmt.Errorf("header %s: unsupported value type %T", h.Name, h.Value)
	}
}

// Decode decodes the message at the start of b and returns it with its
// length. The message's payload and byte values alias b. It returns an
// error wrapping ErrMalformed when b is too short, a length or a CRC is
// wrong, or a header is malformed, and ErrTooLarge for a total length over
// MaxMessage.
func Decode(b []byte) (Message, int, error) {
	if len(b) < preludeLen {
		return Message{}, 0, fmt.Errorf("%w: %d bytes, need a %d-byte prelude", ErrMalformed, len(b), preludeLen)
	}
	total := binary.BigEndian.Uint32(b[0:])
	headersLen := binary.BigEndian.Uint32(b[4:])
	if crc := crc32.ChecksumIEEE(b[:8]); crc != binary.BigEndian.Uint32(b[8:]) {
		return Message{}, 0, fmt.Errorf("%w: prelude CRC %08x, computed %08x", ErrMalformed, binary.BigEndian.Uint32(b[8:]), crc)
	}
	if err := checkLengths(total, headersLen); err != nil {
		return Message{}, 0, err
	}
	if uint32(len(b)) < total {
		return Message{}, 0, fmt.Errorf("%w: %d bytes, message is %d", ErrMalformed, len(b), total)
	}
	b = b[:total]
	if crc := crc32.ChecksumIEEE(b[:total-4]); crc != binary.BigEndian.Uint32(b[total-4:]) {
		return Message{}, 0, fmt.Errorf("%w: message CRC %08x, computed %08x", ErrMalformed, binary.BigEndian.Uint32(b[total-4:]), crc)
	}
	headers, err := decodeHeaders(b[preludeLen : preludeLen+headersLen])
	if err != nil {
		return Message{}, 0, err
	}
	return Message{Headers: headers, Payload: b[preludeLen+headersLen : total-4]}, int(total), nil
}

// checkLengths validates the two lengths of a prelude.
func checkLengths(total, headersLen uint32) error {
	switch {
	case total > MaxMessage:
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, total)
	case total < minMessage:
		return fmt.Errorf("%w: total length %d under %d", ErrMalformed, total, minMessage)
	case headersLen > total-minMessage:
		return fmt.Errorf("%w: headers length %d does not fit total length %d", ErrMalformed, headersLen, total)
	}
	return nil
}

func decodeHeaders(b []byte) ([]Header, error) {
	var hs []Header
	for len(b) > 0 {
		n := int(b[0])
		if n == 0 || len(b) < 1+n+1 {
			return nil, fmt.Errorf("%w: header name", ErrMalformed)
		}
		name := string(b[1 : 1+n])
		typ := Type(b[1+n])
		b = b[2+n:]
		var v any
		need := 0
		switch typ {
		case TypeTrue:
			v = true
		case TypeFalse:
			v = false
		case TypeInt8:
			need = 1
		case TypeInt16:
			need = 2
		case TypeInt32:
			need = 4
		case TypeInt64, TypeTimestamp:
			need = 8
		case TypeUUID:
			need = 16
		case TypeBytes, TypeString:
			if len(b) < 2 {
				return nil, fmt.Errorf("%w: header %s: value length", ErrMalformed, name)
			}
			need = 2 + int(binary.BigEndian.Uint16(b))
		default:
			return nil, fmt.Errorf("%w: header %s: unknown value type %d", ErrMalformed, name, typ)
		}
		if len(b) < need {
			return nil, fmt.Errorf("%w: header %s: value truncated", ErrMalformed, name)
		}
		switch typ {
		case TypeInt8:
			v = int8(b[0])
		case TypeInt16:
			v = int16(binary.BigEndian.Uint16(b))
		case TypeInt32:
			v = int32(binary.BigEndian.Uint32(b))
		case TypeInt64:
			v = int64(binary.BigEndian.Uint64(b))
		case TypeTimestamp:
			v = time.UnixMilli(int64(binary.BigEndian.Uint64(b))).UTC()
		case TypeUUID:
			v = UUID(b[:16])
		case TypeBytes:
			v = b[2:need:need]
		case TypeString:
			v = string(b[2:need])
		}
		b = b[need:]
		hs = append(hs, Header{Name: name, Value: v})
	}
	return hs, nil
}
