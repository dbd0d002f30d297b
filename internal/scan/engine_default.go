package scan

// defaultEngine is the engine New uses.
//
// TODO(scan): switch to skimwatch's own pure-Go engine (internal/yara) when
// it lands; the yara tool then stays as the tests' differential oracle.
func defaultEngine() engine {
	e, err := newToolEngine()
	if err != nil {
		return missingEngine{err}
	}
	return e
}

// missingEngine reports why no engine is available.
type missingEngine struct{ err error }

func (m missingEngine) compile([]ruleSource, compileOptions) (ruleSet, error) { return nil, m.err }
