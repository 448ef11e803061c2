// Package eventstream is the AWS event-stream binary encoding
// (application/vnd.amazon.eventstream), the framing of the
// InvokeWithResponseStream response (PROTOCOLS §4.3).
//
// A message is, with all integers big-endian:
//
//	total_length   uint32  12 + headers_length + payload_length + 4
//	headers_length uint32
//	prelude_crc    uint32  CRC32 (IEEE) of the 8 bytes above
//	headers        headers_length bytes: name_length uint8, name, type uint8, value
//	payload        the rest
//	message_crc    uint32  CRC32 (IEEE) of everything before it
//
// Header values are typed: 0 true, 1 false, 2 int8, 3 int16, 4 int32,
// 5 int64, 6 bytes and 7 string (uint16 length + bytes), 8 timestamp (int64
// milliseconds since the epoch), 9 UUID (16 bytes). An Encoder writes
// messages to an io.Writer (flushing is the caller's job); Decode and a
// Decoder read them back and check every length and CRC, so that the
// tests can read what lambdad sends.
package eventstream
