package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/skimwatch/skimwatch/internal/incident"
	"github.com/skimwatch/skimwatch/internal/termtext"
)

// MailMergeHeader is the first row of the mail-merge CSV.
var MailMergeHeader = []string{"name", "email", "language", "orders", "data_classes", "possibly_affected"}

// MailMerge writes one row per affected customer, then one per possibly
// affected customer, for a mailing tool to send the customer notice in
// lang: every customer, each row saying lang. MailMergeFor splits the
// customers by their own language instead.
//
// No row holds card data: the incident never has any.
func MailMerge(w io.Writer, in *Input, lang string) error {
	return MailMergeFor(w, in, lang, []string{lang})
}

// NoticeLang is the language of the notice a customer is sent when the
// notice is written in written: their own language (from the orders
// source) when it is written; English for a customer whose language is
// another one (a customer who chose French reads English sooner than
// Japanese); else the default, Japanese (the shop's customers' language
// when the source says nothing), or the first written.
func NoticeLang(cu incident.Customer, written []string) string {
	switch {
	case cu.Lang != "" && slices.Contains(written, cu.Lang):
		return cu.Lang
	case cu.Lang != "" && cu.Lang != "ja" && slices.Contains(written, "en"):
		return "en"
	case slices.Contains(written, "ja"):
		return "ja"
	}
	return written[0]
}

// MailMergeFor writes the mail-merge rows of the customers whose notice is
// in lang when notices are written in written (NoticeLang): send the lang
// notice to every row of the lang file, and every customer gets exactly
// one notice. The data classes are named in lang.
func MailMergeFor(w io.Writer, in *Input, lang string, written []string) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if !knownLang(lang) || !slices.Contains(written, lang) {
		return fmt.Errorf("report: language %q (want one of %v)", lang, written)
	}
	c := catalogue(lang)
	cw := csv.NewWriter(w)
	if err := cw.Write(MailMergeHeader); err != nil {
		return fmt.Errorf("mail merge: %w", err)
	}
	for _, possibly := range []bool{false, true} {
		for _, cu := range in.Incident.Customers {
			if cu.Possibly != possibly || NoticeLang(cu, written) != lang {
				continue
			}
			var classes []string
			for _, cl := range cu.Exposed {
				classes = append(classes, c.class(cl))
			}
			flag := "no"
			if cu.Possibly {
				flag = "yes"
			}
			row := []string{cu.Name, cu.Email, lang, strings.Join(cu.Orders, " "), strings.Join(classes, c.msg("list.sep")), flag}
			for i := range row {
				row[i] = termtext.CSVCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return fmt.Errorf("mail merge: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("mail merge: %w", err)
	}
	return nil
}
