package yara

import (
	"strings"
	"testing"
)

func TestCheckOracleVersion(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		name, version string
		getenv        func(string) string
		fail          bool
		inMsg         string
	}{
		{"the pinned version passes under CI", "4.2.3\n", env("CI", "true"), false, "version 4.2.3"},
		{"another patch of the same minor release passes under CI", "4.2.0", env("CI", "true"), false, "version 4.2.0"},
		{"the next minor release fails under CI", "4.3.1", env("CI", "true"), true, `"4.3.1"`},
		{"a prefix of the minor number fails under CI", "4.21.0", env("CI", "true"), true, `"4.21.0"`},
		{"an older major release fails under CI", "3.11.0", env("CI", "true"), true, `"3.11.0"`},
		{"empty output fails under CI", "", env("CI", "true"), true, `""`},
		{"another release is only logged outside CI", "4.3.1", env(), false, "written for 4.2.3"},
		{"another release is only logged when the env var accepts it", "4.3.1", env("CI", "true", OracleVersionEnv, "1"), false, OracleVersionEnv},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg, fail := CheckOracleVersion(tc.version, tc.getenv)
			if fail != tc.fail || !strings.Contains(msg, tc.inMsg) {
				t.Errorf("CheckOracleVersion(%q) = %q, %v; want fail=%v and %q in the message", tc.version, msg, fail, tc.fail, tc.inMsg)
			}
		})
	}
}
