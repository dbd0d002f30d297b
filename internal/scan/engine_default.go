package scan

// defaultEngine is the engine New uses: skimwatch's own pure-Go engine. The
// yara tool (toolEngine) is the tests' differential oracle.
func defaultEngine() engine { return goEngine{} }

// missingEngine reports why no engine is available.
type missingEngine struct{ err error }

func (m missingEngine) compile([]ruleSource, compileOptions) (ruleSet, error) { return nil, m.err }
