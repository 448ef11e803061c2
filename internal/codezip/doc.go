// Package codezip inspects and extracts deployment packages: the untrusted
// zip files of function code and layers.
//
// Inspect validates an uploaded zip as Lambda does at upload time and returns
// the AWS errors Lambda returns; Extract unpacks a validated zip into a
// directory without ever writing outside it.
//
// What an archive may contain, checked by both:
//
//   - entry names are relative slash-separated paths: no leading '/', no ".."
//     element, no backslash, no NUL, elements of at most 255 bytes;
//   - entries are regular files, directories or symlinks (no devices, pipes
//     or sockets), stored or deflated, not encrypted;
//   - no entry lies below a file or a symlink entry, so nothing is ever
//     written through a symlink, and a name appears once (directories may
//     repeat);
//   - a symlink target is relative and, resolved through the archive's own
//     symlinks, stays inside the archive root (dangling targets are fine);
//   - the declared uncompressed sizes add up to at most the limit, and the
//     bytes actually inflated never exceed the declared sizes.
package codezip
