package report

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/skimwatch/skimwatch/internal/atomicfile"
	"github.com/skimwatch/skimwatch/internal/document"
)

// Formats are the output formats Write knows.
var Formats = []string{"html", "pdf"}

// WriteOptions choose what Write writes.
type WriteOptions struct {
	// Langs default to Langs; Formats to {"html"}.
	Langs   []string
	Formats []string
	// Renderer prints the PDFs; it is needed only when Formats has "pdf".
	Renderer *document.Renderer
}

// Write writes every document in every language and format to dir (created
// if missing) as KIND.LANG.html and KIND.LANG.pdf, and the mail-merge CSV
// as customers.LANG.csv (the customers to send the LANG notice to, each
// customer in one file: NoticeLang), and returns the paths written, in
// order. The web
// notice is a fragment for the shop's own page, so it has no PDF.
// Files hold customers' names and e-mail addresses: they are written
// readable by their owner only.
func Write(ctx context.Context, dir string, in *Input, opts WriteOptions) ([]string, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	langs := opts.Langs
	if len(langs) == 0 {
		langs = Langs
	}
	formats := opts.Formats
	if len(formats) == 0 {
		formats = []string{"html"}
	}
	for _, l := range langs {
		if !knownLang(l) {
			return nil, fmt.Errorf("report: language %q (want one of %v)", l, Langs)
		}
	}
	for _, f := range formats {
		if !slices.Contains(Formats, f) {
			return nil, fmt.Errorf("report: format %q (want one of %v)", f, Formats)
		}
	}
	pdf := slices.Contains(formats, "pdf")
	if pdf && opts.Renderer == nil {
		return nil, fmt.Errorf("report: PDF asked for without a renderer")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var paths []string
	put := func(name string, data []byte) error {
		p := filepath.Join(dir, name)
		if err := atomicfile.WriteBytes(p, 0o600, data); err != nil {
			return fmt.Errorf("report: writing %s: %w", p, err)
		}
		paths = append(paths, p)
		return nil
	}
	for _, lang := range langs {
		for _, k := range Kinds {
			html, err := Render(in, k, lang)
			if err != nil {
				return paths, err
			}
			stem := fmt.Sprintf("%s.%s", k, lang)
			if slices.Contains(formats, "html") {
				if err := put(stem+".html", html); err != nil {
					return paths, err
				}
			}
			if pdf && !k.Fragment() {
				b, err := opts.Renderer.PDF(ctx, html, document.PDFOptions{Footer: footer(in, k, lang)})
				if err != nil {
					return paths, fmt.Errorf("report: printing %s: %w", stem, err)
				}
				if err := put(stem+".pdf", b); err != nil {
					return paths, err
				}
			}
		}
		p := filepath.Join(dir, "customers."+lang+".csv")
		if err := atomicfile.Write(p, 0o600, func(w io.Writer) error { return MailMergeFor(w, in, lang, langs) }); err != nil {
			return paths, fmt.Errorf("report: writing %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// footer is the PDF's running footer: which document of which incident, so
// that a loose printed page can be put back.
func footer(in *Input, k Kind, lang string) string {
	return fmt.Sprintf("%s — %s %s", catalogue(lang).title(k), in.Incident.Site, in.Incident.ID)
}
