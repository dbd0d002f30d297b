package yara

// timeModule is YARA's time module: now() is the scan's clock in seconds
// since the Unix epoch (ScanOptions.Now, so tests can fix it).
func timeModule() *module {
	return &module{
		name: "time",
		funcs: map[string][]modFunc{
			"now": {{args: "", ret: tyInt, call: func(c *moduleCtx, _ []value) value { return intVal(c.now().Unix()) }}},
		},
	}
}
