//go:build !unix

package yara

import (
	"fmt"
	"io"
	"os"
)

// maxReadSize bounds files read into memory where mmap is unavailable.
const maxReadSize = 1 << 30

func mapFile(f *os.File, size int64) ([]byte, func(), error) {
	if size > maxReadSize {
		return nil, nil, fmt.Errorf("file larger than %d bytes", maxReadSize)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxReadSize))
	return data, func() {}, err
}
