//go:build unix && !linux

package beneath

// forceFallback is a no-op: outside Linux the os.Root is the only path.
func forceFallback(*Dir, bool) {}
