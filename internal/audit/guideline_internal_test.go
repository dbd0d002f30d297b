package audit

import "testing"

// Every kind the audit can raise must count against a measure, or the
// guideline report would list it as unmapped: a kind added to the severity
// table without a name that maps (see measurePrefixes) fails here.
func TestEveryAuditKindHasAMeasure(t *testing.T) {
	for kind := range severity {
		t.Run(kind+" counts against a measure", func(t *testing.T) {
			if MeasureOf(kind) == 0 {
				t.Errorf("%s maps to no measure: give it a name measurePrefixes knows, or add its prefix there", kind)
			}
		})
	}
}
