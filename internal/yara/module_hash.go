package yara

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
)

// hashModule follows libyara/modules/hash/hash.c of YARA 4.2.3: digests are
// lowercase hex strings, checksum32 and crc32 are integers; each exists over
// a range of the data (undefined as dataRange says) and over a string.
func hashModule() *module {
	pair := func(name string, ret vtype, f func([]byte) value) []modFunc {
		return []modFunc{
			{args: "ii", ret: ret, call: func(c *moduleCtx, a []value) value {
				return c.overRange("hash."+name, a[0].i, a[1].i, f)
			}},
			{args: "s", ret: ret, call: func(_ *moduleCtx, a []value) value { return f(a[0].s) }},
		}
	}
	hexVal := func(sum []byte) value { return strVal([]byte(hex.EncodeToString(sum))) }
	return &module{
		name: "hash",
		funcs: map[string][]modFunc{
			"md5":    pair("md5", tyStr, func(b []byte) value { s := md5.Sum(b); return hexVal(s[:]) }),
			"sha1":   pair("sha1", tyStr, func(b []byte) value { s := sha1.Sum(b); return hexVal(s[:]) }),
			"sha256": pair("sha256", tyStr, func(b []byte) value { s := sha256.Sum256(b); return hexVal(s[:]) }),
			"checksum32": pair("checksum32", tyInt, func(b []byte) value {
				var sum uint32
				for _, c := range b {
					sum += uint32(c)
				}
				return intVal(int64(sum))
			}),
			"crc32": pair("crc32", tyInt, func(b []byte) value { return intVal(int64(crc32.ChecksumIEEE(b))) }),
		},
	}
}
