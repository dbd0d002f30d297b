package lab

import (
	"embed"
	"io/fs"
)

// advisories are OSV records written for the lab's components (its old
// jQuery, EC-CUBE, Magento and WooCommerce versions). The IDs are ours
// (SKWLAB-...), aliased to the real CVEs they imitate; they are test data
// for the audit, not a feed to rely on.
//
//go:embed advisories
var advisories embed.FS

// Advisories returns the lab's advisory records as a folder of OSV files,
// for `skimwatch demo --audit` and the tests.
func Advisories() fs.FS {
	sub, err := fs.Sub(advisories, "advisories")
	if err != nil {
		panic(err) // the embedded folder exists
	}
	return sub
}
