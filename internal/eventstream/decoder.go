package eventstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A Decoder reads messages from an io.Reader.
type Decoder struct {
	r   io.Reader
	buf []byte
}

// NewDecoder returns a Decoder that reads from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: r} }

// Decode reads the next message. Its payload and byte values stay valid
// until the next call. It returns io.EOF at a clean end of the stream,
// io.ErrUnexpectedEOF when the stream ends inside a message, and Decode's
// errors for a malformed one.
func (d *Decoder) Decode() (Message, error) {
	if cap(d.buf) < preludeLen {
		d.buf = make([]byte, 0, 4096)
	}
	prelude := d.buf[:preludeLen]
	if _, err := io.ReadFull(d.r, prelude); err != nil {
		return Message{}, err
	}
	total := binary.BigEndian.Uint32(prelude[0:])
	if crc := crc32.ChecksumIEEE(prelude[:8]); crc != binary.BigEndian.Uint32(prelude[8:]) {
		return Message{}, fmt.Errorf("%w: prelude CRC %08x, computed %08x", ErrMalformed, binary.BigEndian.Uint32(prelude[8:]), crc)
	}
	if err := checkLengths(total, binary.BigEndian.Uint32(prelude[4:])); err != nil {
		return Message{}, err
	}
	if uint32(cap(d.buf)) < total {
		nb := make([]byte, total)
		copy(nb, prelude)
		d.buf = nb
	}
	d.buf = d.buf[:total]
	if _, err := io.ReadFull(d.r, d.buf[preludeLen:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return Message{}, err
	}
	m, _, err := Decode(d.buf)
	return m, err
}
