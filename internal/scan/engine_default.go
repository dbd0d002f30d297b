package scan

import "errors"

// defaultEngine is skimwatch's own YARA engine.
// TODO(scan): switch to internal/yara as soon as it lands; until then New
// fails plainly rather than pretending to scan.
func defaultEngine() engine { return missingEngine{} }

type missingEngine struct{}

func (missingEngine) compile([]ruleSource, compileOptions) (ruleSet, error) {
	return nil, errors.New("the built-in YARA engine (internal/yara) is not in this build yet")
}
