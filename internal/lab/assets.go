package lab

import (
	"bytes"
	"embed"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html/template"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

//go:embed assets
var assetFS embed.FS

// assetSet is every served file with the lab's origins filled in, built once
// per lab.
type assetSet struct {
	files map[string]string // "static/minq.js" -> content
	pages map[string]*template.Template
	psp   *template.Template

	// origins fills the lab's {{...}} origin names into a text.
	origins *strings.Replacer

	jpegClean, jpegPayload []byte
	svgPayload, cssPayload string
}

// Page templates, each parsed with the layout.
var pageTemplates = []string{pageHome, pageProduct, pageCart, pageLink, pageToken, pageRegister, pageLogin, pageAccount, pageComplete}

func newAssetSet(u originURLs) (*assetSet, error) {
	subst := strings.NewReplacer(
		"{{ATTACKER_WS}}", u.AttackerWS,
		"{{ATTACKER}}", u.Attacker,
		"{{SHOP}}", u.Shop,
		"{{PSP_API}}", u.PSPAPI,
		"{{PSP}}", u.PSP,
		"{{THIRD_PARTY}}", u.ThirdParty,
		"{{CDN}}", u.CDN,
		"{{DEAD}}", u.Dead,
	)
	a := &assetSet{files: map[string]string{}, pages: map[string]*template.Template{}, origins: subst}
	err := fs.WalkDir(assetFS, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel := strings.TrimPrefix(p, "assets/")
		if strings.HasPrefix(rel, "templates/") || rel == "psp/hosted.html" {
			return nil
		}
		b, err := assetFS.ReadFile(p)
		if err != nil {
			return err
		}
		a.files[rel] = subst.Replace(string(b))
		return nil
	})
	if err != nil {
		return nil, err
	}

	funcs := template.FuncMap{"yen": formatYen, "price": func(p pageData, pr product) int { return p.price(pr) }}
	for _, name := range pageTemplates {
		t, err := template.New(name).Funcs(funcs).ParseFS(assetFS, "assets/templates/layout.html", "assets/templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		a.pages[name] = t
	}
	if a.psp, err = template.ParseFS(assetFS, "assets/psp/hosted.html"); err != nil {
		return nil, fmt.Errorf("template psp: %w", err)
	}

	payload := base64.StdEncoding.EncodeToString([]byte(a.files["skimmers/hidden-payload.js"]))
	a.svgPayload = strings.Replace(a.files["static/logo.svg"], "</title>", "</title>\n  <metadata>"+payload+"</metadata>", 1)
	a.cssPayload = a.files["static/fonts.css"] + "\n.font-cache { --font-cache: \"" + payload + "\"; }\n"
	if a.jpegClean, err = bannerJPEG(); err != nil {
		return nil, err
	}
	a.jpegPayload = withEXIFDescription(a.jpegClean, "cfg:"+payload)
	return a, nil
}

// subst fills the lab's origins into s.
func (a *assetSet) subst(s string) string { return a.origins.Replace(s) }

func (a *assetSet) file(name string) string {
	s, ok := a.files[name]
	if !ok {
		// Asset names are compile-time constants in the registry; a miss is
		// a bug that tests catch.
		panic("lab: missing asset " + name)
	}
	return s
}

func formatYen(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return "¥" + b.String()
}

// reminify is a whitespace-level "rebuild" of the same code: indentation,
// blank lines and whole-line // comments go, banners (/*! ... */) stay.
// Lines are never joined, so automatic semicolon insertion is unchanged.
func reminify(src string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(src, "\n") {
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "//") {
			continue
		}
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return b.String()
}

// bannerJPEG draws the shop's banner: a soft gradient.
func bannerJPEG() ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, 320, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 320; x++ {
			img.Set(x, y, color.RGBA{R: uint8(239 - x/16), G: uint8(230 - y/4), B: uint8(216 - x/10), A: 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("banner jpeg: %w", err)
	}
	return buf.Bytes(), nil
}

// withEXIFDescription inserts an APP1 EXIF segment holding one IFD0 entry,
// ImageDescription (0x010e, ASCII), right after the JPEG's SOI marker.
func withEXIFDescription(jpg []byte, desc string) []byte {
	text := append([]byte(desc), 0)
	var tiff bytes.Buffer
	le := binary.LittleEndian
	tiff.WriteString("II")
	_ = binary.Write(&tiff, le, uint16(42))
	_ = binary.Write(&tiff, le, uint32(8)) // IFD0 offset
	_ = binary.Write(&tiff, le, uint16(1)) // one entry
	_ = binary.Write(&tiff, le, uint16(0x010e))
	_ = binary.Write(&tiff, le, uint16(2)) // ASCII
	_ = binary.Write(&tiff, le, uint32(len(text)))
	_ = binary.Write(&tiff, le, uint32(8+2+12+4)) // value right after the IFD
	_ = binary.Write(&tiff, le, uint32(0))        // no next IFD
	tiff.Write(text)

	seg := append([]byte("Exif\x00\x00"), tiff.Bytes()...)
	out := make([]byte, 0, len(jpg)+len(seg)+4)
	out = append(out, jpg[:2]...) // SOI
	out = append(out, 0xff, 0xe1)
	out = binary.BigEndian.AppendUint16(out, uint16(len(seg)+2))
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

// contentType by file extension for the few kinds the lab serves.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".jpg":
		return "image/jpeg"
	case ".html":
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}
