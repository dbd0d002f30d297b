package yara_test

import (
	"context"
	"fmt"

	"github.com/skimwatch/skimwatch/internal/yara"
)

func ExampleRules_ScanBytes() {
	rules, err := yara.Compile([]byte(`
rule skimmer_exfil : magecart {
  meta:
    severity = "high"
  strings:
    $atob = "atob(" 
    $url  = /fetch\(['"]https?:\/\/[a-z0-9.-]+/
  condition:
    all of them
}`), "example.yar", yara.CompileOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	page := []byte(`var u=atob("aHR0cHM6Ly94"); fetch("https://evil.example/c")`)
	matches, err := rules.ScanBytes(context.Background(), page, yara.ScanOptions{})
	if err != nil {
		fmt.Println("incomplete:", err)
		return
	}
	for _, m := range matches {
		fmt.Println(m.Rule, m.Tags, m.Meta[0].Value)
		for _, s := range m.Strings {
			fmt.Printf("  %s at %d: %s\n", s.ID, s.Offset, s.Data)
		}
	}
	// Output:
	// skimmer_exfil [magecart] high
	//   $atob at 6: atob(
	//   $url at 28: fetch("https://evil.example
}
