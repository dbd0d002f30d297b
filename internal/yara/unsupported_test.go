package yara

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestUnsupportedConstructErrorNamesItsParts(t *testing.T) {
	tests := []struct {
		name, src            string
		line, col            int
		rule, construct, mod string
	}{
		{"a field names the module path", "import \"dotnet\"\nrule first { condition: true }\nrule uses_dotnet {\n condition:\n  filesize > 0 and dotnet.number_of_streams > 1\n}",
			5, 20, "uses_dotnet", "dotnet.number_of_streams", "dotnet"},
		{"a call keeps its arguments", "import \"cuckoo\"\nrule r { condition: cuckoo.network.http_request(/evil\\.example/) }",
			2, 21, "r", "cuckoo.network.http_request(/evil\\.example/)", "cuckoo"},
		{"a pe field the engine lacks is named whole", "import \"pe\"\nrule r { condition: pe.is_pe and pe.version_info[\"CompanyName\"] == \"x\" }",
			2, 34, "r", "pe.version_info[\"CompanyName\"]", "pe"},
		{"a pe overload the engine lacks is unsupported, not wrong", "import \"pe\"\nrule r { condition: pe.imports(/kernel32/, /Virtual.*/) > 0 }",
			2, 21, "r", "pe.imports(/kernel32/, /Virtual.*/)", "pe"},
		{"an index is kept", "import \"dotnet\"\nrule r { condition: dotnet.resources[0].name == \"x\" }",
			2, 21, "r", "dotnet.resources[0].name", "dotnet"},
		{"an elf member the engine lacks is named", "import \"elf\"\nrule r { condition: elf.symtab[0].name == \"main\" }",
			2, 21, "r", "elf.symtab[0].name", "elf"},
		{"a supported module's call with an unsupported argument names the unsupported part", "import \"dotnet\"\nimport \"math\"\nrule r { condition: math.abs(dotnet.number_of_streams) > 0 }",
			3, 30, "r", "dotnet.number_of_streams", "dotnet"},
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
	src := "import \"dotnet\"\nimport \"cuckoo\"\nimport \"math\"\nimport \"pe\"\n" +
		"rule a { condition: dotnet.is_dotnet }\n" +
		"rule b { condition: a }\n" +
		"rule c { condition: cuckoo.sync.mutex(/x/) }\n" +
		"rule d { condition: pe.number_of_signatures > 2 }\n" +
		"rule e { condition: math.entropy(0, filesize) == 1.0 }\n"
	rs, err := Compile([]byte(src), "rules.yar", CompileOptions{SkipUnsupportedImports: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []SkippedRule{
		{Rule: "a", File: "rules.yar", Line: 5, Col: 21, Module: "dotnet", Reason: `module "dotnet" is not supported`},
		{Rule: "b", File: "rules.yar", Line: 6, Col: 21, Reason: "depends on a skipped rule"},
		{Rule: "c", File: "rules.yar", Line: 7, Col: 21, Module: "cuckoo", Reason: `module "cuckoo" is not supported`},
		{Rule: "d", File: "rules.yar", Line: 8, Col: 21, Module: "pe", Reason: `pe.number_of_signatures is not supported`},
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

func TestLoopsOverModuleArraysAreUnsupportedNotSyntaxErrors(t *testing.T) {
	src := "import \"pe\"\nrule r { condition: for any section in pe.sections : (section.name == \".text\" and section.raw_data_size > 0) }\nrule s { condition: true }"
	_, err := Compile([]byte(src), "rules.yar", CompileOptions{})
	var ce *CompileError
	if !errors.As(err, &ce) || !ce.Unsupported || ce.Construct != "pe.sections" || ce.Rule != "r" {
		t.Fatalf("got %#v, want an unsupported-construct error naming pe.sections in rule r", err)
	}
	if !strings.Contains(ce.Message, "index it instead (pe.sections[i]") {
		t.Errorf("message %q does not say that indexing pe.sections works", ce.Message)
	}
	rs, err := Compile([]byte(src), "rules.yar", CompileOptions{SkipUnsupportedImports: true})
	if err != nil {
		t.Fatal(err)
	}
	if sk := rs.Skipped(); len(sk) != 1 || sk[0].Rule != "r" || sk[0].Reason != "iterating pe.sections with for ... in is not supported" {
		t.Errorf("skipped %+v, want r for pe.sections", sk)
	}
}

func TestSkipReasonsGroupAMemberWhateverItsKey(t *testing.T) {
	src := "import \"pe\"\nrule a { condition: pe.version_info[\"CompanyName\"] == \"x\" }\nrule b { condition: pe.version_info[\"ProductName\"] == \"y\" }"
	rs, err := Compile([]byte(src), "rules.yar", CompileOptions{SkipUnsupportedImports: true})
	if err != nil {
		t.Fatal(err)
	}
	sk := rs.Skipped()
	if len(sk) != 2 || sk[0].Reason != "pe.version_info is not supported" || sk[1].Reason != sk[0].Reason {
		t.Errorf("skipped %+v, want both rules for pe.version_info", sk)
	}
}
