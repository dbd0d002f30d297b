package yara

import (
	"context"
	"fmt"
	"os"
)

// ScanFile scans a file. On Unix the file is memory-mapped, so memory use
// stays bounded by what the kernel pages in, even for multi-gigabyte files.
func (r *Rules) ScanFile(ctx context.Context, path string, opts ScanOptions) ([]Match, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("scan %s: not a regular file", path)
	}
	data, release, err := mapFile(f, fi.Size())
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", path, err)
	}
	defer release()
	ms, err := r.ScanBytes(ctx, data, opts)
	if err != nil {
		return ms, fmt.Errorf("scan %s: %w", path, err)
	}
	return ms, nil
}
