package card

import "slices"

// MaskBytes returns b with every card number outside the test range masked
// to its first six and last four digits, in every encoding Find knows: a
// raw digit becomes '*', an escaped one "%2A", a UTF-16 one '*' with its zero
// byte, and hex or base64 is re-encoded from the masked bytes, touching only
// the characters that encode them. Nothing else changes, so the result has
// the length of b. When there is nothing to mask, b itself is returned.
func MaskBytes(b []byte) []byte {
	if !worthLooking(b) {
		return b
	}
	out := slices.Clone(b)
	if !maskFixed(out) {
		return b
	}
	return out
}

// MaskString is MaskBytes for a string.
func MaskString(s string) string {
	if !worthLooking(s) {
		return s
	}
	b := []byte(s)
	if !maskFixed(b) {
		return s
	}
	return string(b)
}

// maxRounds bounds maskFixed. Re-encoding hex or base64 writes new
// characters, which could in theory join a neighbouring digit run into a
// new card; a second round masks that too.
const maxRounds = 4

func maskFixed(b []byte) bool {
	changed := false
	for range maxRounds {
		if !mask(b, 1) {
			break
		}
		changed = true
	}
	return changed
}

// mask masks b in place and reports whether anything changed. Encoded
// layers go first: masking raw digits first could cut a hex run in two.
func mask(b []byte, depth int) bool {
	if !worthLooking(b) {
		return false
	}
	changed := false
	if depth < maxDepth {
		for _, l := range layers {
			for _, lr := range l.runs(b) {
				r := b[lr[0]:lr[1]]
				for a := range l.alignments {
					dec := l.decode(r, a)
					// Most runs (hashes, tokens, words) decode to bytes
					// with no card in them: skip the copy for those.
					if !worthLooking(dec) {
						continue
					}
					orig := slices.Clone(dec)
					if !mask(dec, depth+1) {
						continue
					}
					for s := 0; s < len(dec); {
						if dec[s] == orig[s] {
							s++
							continue
						}
						e := s + 1
						for e < len(dec) && dec[e] != orig[e] {
							e++
						}
						l.encode(r, a, dec, s, e)
						s = e
					}
					changed = true
				}
			}
		}
	}
	maskRun := func(r run) {
		cards, _ := r.windows()
		if !slices.ContainsFunc(cards, func(d string) bool { return !IsTest(d) }) {
			return
		}
		n := len(r.units)
		for _, u := range r.units[keepHead : n-keepTail] {
			if u.esc {
				// As many "%25" layers as the digit had, around "%2A".
				b[u.s] = '%'
				for k := u.s + 1; k < u.e-2; k += 2 {
					b[k], b[k+1] = '2', '5'
				}
				b[u.e-2], b[u.e-1] = '2', 'A'
			} else {
				b[u.p] = '*'
			}
		}
		changed = true
	}
	scanRuns(textUnits(b), maskRun)
	if slices.Contains(b, 0) {
		for _, v := range utf16Views {
			for a := range 2 {
				scanRuns(utf16Units(b, a, v.le), maskRun)
			}
		}
	}
	return changed
}

// MaskCut is MaskString for text that someone else cut short, as browsers
// cut a CSP report's script sample at 40 characters. A card cut off there
// fails Luhn and so is no card to MaskString, yet its leading digits are
// still most of a real number: a run of more than ten digits at the very
// end keeps only its first six.
func MaskCut(s string) string {
	s = MaskString(s)
	var idx []int
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if isDigit(c) {
			idx = append(idx, i)
			continue
		}
		// A single separator between digits belongs to the run.
		if (c == ' ' || c == '-') && i > 0 && isDigit(s[i-1]) && len(idx) > 0 && idx[len(idx)-1] == i+1 {
			continue
		}
		break
	}
	if len(idx) <= keepHead+keepTail {
		return s
	}
	b := []byte(s)
	slices.Reverse(idx)
	for _, k := range idx[keepHead:] {
		b[k] = '*'
	}
	return string(b)
}
