package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/skimwatch/skimwatch/internal/termtext"
)

// MailMergeHeader is the first row of the mail-merge CSV.
var MailMergeHeader = []string{"name", "email", "language", "orders", "data_classes", "possibly_affected"}

// MailMerge writes one row per affected customer, then one per possibly
// affected customer, for a mailing tool to send the customer notice: the
// notice in lang, the customer's orders, and what was exposed in words of
// that language. The model knows no customer's language, so every row gets
// lang; split the file by hand for customers who want the other one.
//
// No row holds card data: the incident never has any.
func MailMerge(w io.Writer, in *Input, lang string) error {
	if err := in.Validate(); err != nil {
		return err
	}
	if !knownLang(lang) {
		return fmt.Errorf("report: language %q (want one of %v)", lang, Langs)
	}
	c := catalogue(lang)
	cw := csv.NewWriter(w)
	if err := cw.Write(MailMergeHeader); err != nil {
		return fmt.Errorf("mail merge: %w", err)
	}
	for _, possibly := range []bool{false, true} {
		for _, cu := range in.Incident.Customers {
			if cu.Possibly != possibly {
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
