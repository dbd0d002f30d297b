package scan

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseExternal reads one -d name=value definition of a YARA external
// variable, as the yara tool does: true and false are booleans, whole
// numbers are integers, other numbers floats, and anything else (or a value
// in double quotes) a string.
func ParseExternal(def string) (string, any, error) {
	name, value, ok := strings.Cut(def, "=")
	if !ok {
		return "", nil, fmt.Errorf("external %q: want name=value", def)
	}
	if !validIdentifier(name) {
		return "", nil, fmt.Errorf("external %q: %q is not a valid identifier (letters, digits and _, not starting with a digit)", def, name)
	}
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		return name, value[1 : len(value)-1], nil
	}
	switch value {
	case "true":
		return name, true, nil
	case "false":
		return name, false, nil
	}
	if n, err := strconv.ParseInt(value, 0, 64); err == nil {
		return name, n, nil
	}
	if f, err := strconv.ParseFloat(value, 64); err == nil && !strings.ContainsAny(value, "xXpP_") && !strings.EqualFold(value, "nan") && !strings.Contains(strings.ToLower(value), "inf") {
		return name, f, nil
	}
	return name, value, nil
}

// ParseExternals reads many definitions; a name given twice is an error.
func ParseExternals(defs []string) (map[string]any, error) {
	if len(defs) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(defs))
	for _, d := range defs {
		k, v, err := ParseExternal(d)
		if err != nil {
			return nil, err
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("external %q is defined twice", k)
		}
		out[k] = v
	}
	return out, nil
}

func validIdentifier(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
