//go:build !unix

package store

import (
	"errors"
	"os"
)

func lockDir(path string) (*os.File, error) {
	return nil, errors.New("store: data directory locking is not supported on this platform")
}

func unlockDir(f *os.File) error { return f.Close() }
