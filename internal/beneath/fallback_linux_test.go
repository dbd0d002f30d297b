package beneath

// forceFallback makes d use its os.Root, as on a kernel without openat2.
func forceFallback(d *Dir, on bool) { d.noOpenat.Store(on) }
