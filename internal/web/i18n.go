package web

import (
	"fmt"
	"net/http"
	"sort"

	"golang.org/x/text/language"
)

// Languages the dashboard speaks. English is the fallback.
const (
	LangEN = "en"
	LangJA = "ja"
)

// catalog maps a language to its messages, key to text.
type catalog map[string]map[string]string

// mergeCatalogs joins the message tables of every page owner. A key
// defined twice is an error, so two owners cannot silently overwrite each
// other's text.
func mergeCatalogs(parts ...catalog) (catalog, error) {
	out := catalog{LangEN: {}, LangJA: {}}
	for _, p := range parts {
		for lang, msgs := range p {
			dst, ok := out[lang]
			if !ok {
				return nil, fmt.Errorf("language %q is not one the dashboard speaks", lang)
			}
			for k, v := range msgs {
				if _, dup := dst[k]; dup {
					return nil, fmt.Errorf("message %q (%s) is defined twice", k, lang)
				}
				dst[k] = v
			}
		}
	}
	return out, nil
}

// missing lists keys present in one language and not the other.
func (c catalog) missing() []string {
	var out []string
	for _, pair := range [][2]string{{LangEN, LangJA}, {LangJA, LangEN}} {
		for k := range c[pair[0]] {
			if _, ok := c[pair[1]][k]; !ok {
				out = append(out, pair[1]+": "+k)
			}
		}
	}
	sort.Strings(out)
	return out
}

// T returns the message key in lang, falling back to English and then to
// the key itself, so a missing message shows up on the page instead of
// leaving a hole.
func (s *Server) T(lang, key string) string {
	if v, ok := s.messages[lang][key]; ok {
		return v
	}
	if v, ok := s.messages[LangEN][key]; ok {
		return v
	}
	return key
}

// newMatcher matches Accept-Language against the languages we speak, in
// the order of languageFor's index test: English first.
func newMatcher() language.Matcher {
	return language.NewMatcher([]language.Tag{language.English, language.Japanese})
}

// languageFor picks the reader's language: their own setting, else the
// browser's Accept-Language, else English.
func (s *Server) languageFor(r *http.Request, setting string) string {
	if setting == LangEN || setting == LangJA {
		return setting
	}
	tags, _, err := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return LangEN
	}
	_, i, conf := s.langs.Match(tags...)
	if conf == language.No || i != 1 {
		return LangEN
	}
	return LangJA
}
