//go:build !unix

package beneath

// Without these flags os.Root alone keeps opens inside the root.
const (
	oNoFollow  = 0
	oDirectory = 0
)
