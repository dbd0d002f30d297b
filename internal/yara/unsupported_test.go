package yara

import (
	"context"
	"errors"
	"testing"
)

func TestUnsupportedConstructErrorNamesItsParts(t *testing.T) {
	tests := []struct {
		name, src            string
		line, col            int
		rule, construct, mod string
	}{
		{"a field names the module path", "import \"pe\"\nrule first { condition: true }\nrule uses_pe {\n condition:\n  filesize > 0 and pe.number_of_sections > 1\n}",
			5, 20, "uses_pe", "pe.number_of_sections", "pe"},
		{"a call keeps its arguments", "import \"pe\"\nrule r { condition: pe.imports(\"kernel32.dll\", \"VirtualAlloc\") }",
			2, 21, "r", "pe.imports(\"kernel32.dll\", \"VirtualAlloc\")", "pe"},
		{"an index is kept", "import \"elf\"\nrule r { condition: elf.sections[0].name == \".text\" }",
			2, 21, "r", "elf.sections[0].name", "elf"},
		{"a supported module's call with an unsupported argument names the unsupported part", "import \"pe\"\nimport \"math\"\nrule r { condition: math.abs(pe.entry_point) > 0 }",
			3, 30, "r", "pe.entry_point", "pe"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile([]byte(tc.src), "rules.yar", CompileOptions{})
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *CompileError", err)
			}
			if ce.Line != tc.line || ce.Col != tc.col || ce.Rule != tc.rule || ce.Construct != tc.construct || ce.Module != tc.mod || !ce.Unsupported {
				t.Errorf("got %s:%d:%d rule %q construct %q module %q unsupported %v, want line %d col %d rule %q construct %q module %q",
					ce.File, ce.Line, ce.Col, ce.Rule, ce.Construct, ce.Module, ce.Unsupported, tc.line, tc.col, tc.rule, tc.construct, tc.mod)
			}
		})
	}
}

func TestSyntaxErrorsAreNotMarkedUnsupported(t *testing.T) {
	_, err := Compile([]byte("rule a { condition: foo }"), "rules.yar", CompileOptions{})
	var ce *CompileError
	if !errors.As(err, &ce) || ce.Unsupported {
		t.Fatalf("got %#v, want a CompileError not marked unsupported", err)
	}
}

func TestSkippedRulesSayWhy(t *testing.T) {
	src := "import \"pe\"\nimport \"elf\"\nimport \"math\"\n" +
		"rule a { condition: pe.is_pe }\n" +
		"rule b { condition: a }\n" +
		"rule c { condition: elf.type == 1 }\n" +
		"rule d { condition: pe.number_of_sections > 2 }\n" +
		"rule e { condition: math.entropy(0, filesize) == 1.0 }\n"
	rs, err := Compile([]byte(src), "rules.yar", CompileOptions{SkipUnsupportedImports: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []SkippedRule{
		{Rule: "a", File: "rules.yar", Line: 4, Col: 21, Module: "pe", Reason: `module "pe" is not supported`},
		{Rule: "b", File: "rules.yar", Line: 5, Col: 21, Reason: "depends on a skipped rule"},
		{Rule: "c", File: "rules.yar", Line: 6, Col: 21, Module: "elf", Reason: `module "elf" is not supported`},
		{Rule: "d", File: "rules.yar", Line: 7, Col: 21, Module: "pe", Reason: `module "pe" is not supported`},
	}
	got := rs.Skipped()
	if len(got) != len(want) {
		t.Fatalf("skipped %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("skipped[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}
	ms, err := rs.ScanBytes(context.Background(), []byte("ab"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Rule != "e" {
		t.Errorf("matched %v, want only e (math is supported)", ruleNames(ms))
	}
}
