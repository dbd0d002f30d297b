package pagecheck

import (
	"github.com/skimwatch/skimwatch/internal/check/form"
	"github.com/skimwatch/skimwatch/internal/check/observation"
)

func (f *jsField) attrs() form.Attrs {
	return form.Attrs{
		Tag: f.Tag, Type: f.Type, Name: f.Name, ID: f.ID, Autocomplete: f.Autocomplete,
		Placeholder: f.Placeholder, Label: f.Label, AriaLabel: f.Aria, Title: f.Title,
		InputMode: f.InputMode, MaxLength: f.MaxLength, Class: f.Class,
	}
}

// classify gives a field its class from its attributes, autocomplete and
// label text.
func classify(f *jsField) string {
	if c := form.Classify(f.attrs()); c != "" {
		return c
	}
	return observation.FieldOther
}
