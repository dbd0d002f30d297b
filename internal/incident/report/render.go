package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
)

//go:embed templates/*.html
var templateFS embed.FS

// templateFile is the template of each document; both Commission reports
// share one, since they differ only in what is final.
var templateFile = map[Kind]string{
	CustomerNotice: "customer-notice.html",
	WebNotice:      "web-notice.html",
	PPCPreliminary: "ppc.html",
	PPCFinal:       "ppc.html",
	CardBrands:     "card-brands.html",
	PCIEvidence:    "pci-evidence.html",
}

func parse(k Kind, lang string) (*template.Template, error) {
	c := catalogue(lang)
	funcs := template.FuncMap{
		"t":    c.msg,
		"todo": func(key string) template.HTML { return todoHTML(lang, c.msg(key)) },
	}
	file, ok := templateFile[k]
	if !ok {
		return nil, fmt.Errorf("report: unknown document %q", k)
	}
	return template.New(file).Funcs(funcs).ParseFS(templateFS, "templates/base.html", "templates/"+file)
}

// Render writes document k in lang as HTML: a whole page, or for the web
// notice the fragment to paste into the shop's site.
func Render(in *Input, k Kind, lang string) ([]byte, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if !knownLang(lang) {
		return nil, fmt.Errorf("report: language %q (want one of %v)", lang, Langs)
	}
	t, err := parse(k, lang)
	if err != nil {
		return nil, err
	}
	name := "page"
	if k.Fragment() {
		name = "fragment"
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, newView(in, k, lang)); err != nil {
		return nil, fmt.Errorf("report: %s (%s): %w", k, lang, err)
	}
	return buf.Bytes(), nil
}
