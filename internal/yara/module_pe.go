package yara

import (
	"bytes"
	"crypto/md5"
	"debug/pe"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

// Limits on what the pe module reads from a hostile file, as in YARA
// (MAX_PE_SECTIONS, MAX_PE_IMPORTS, MAX_PE_EXPORTS): every loop below is
// bounded by one of these or by the file's size.
const (
	maxPESections  = 96
	maxPEImports   = 16384 // DLLs, and functions over all DLLs
	maxPEExports   = 16384
	maxPEImportLen = 512 // bytes of an imported function's name
	// maxPEDescriptors bounds the import descriptors examined, counted or
	// not, and maxPEDLLNameLen the bytes read for a DLL name's NUL: with
	// both, the import walk reads at most 8 MiB whatever the file says.
	maxPEDescriptors = 16384
	maxPEDLLNameLen  = 512
	// maxPEExportNameLen is YARA's MAX_EXPORT_NAME_LENGTH.
	maxPEExportNameLen = 512
)

// peFile is what the pe module parsed from one file.
type peFile struct {
	data      []byte
	hdr       *pe.File
	is64      bool
	fileAlign uint32
	sections  []peSection
	imports   []peDLL
	exports   []peExport
	// YARA's counters, which include descriptors and thunks it could not use.
	numImports, numFuncs int
	rich                 *peRich
}

// peRich is the Rich header that Microsoft's linker leaves in the DOS stub.
type peRich struct {
	offset     int64
	key        uint32
	raw, clear []byte
}

type peSection struct {
	name                                     []byte // as stored: up to 8 bytes, before the first NUL
	va, vsize, rawOff, rawSize, chars, reloc uint32
}

type peDLL struct {
	name  []byte
	funcs []peImport
}

type peImport struct {
	name       []byte // nil for an import by ordinal
	ordinal    int64
	hasOrdinal bool
}

type peExport struct {
	name    []byte // nil when the export has no name
	ordinal int64
}

// peModule follows libyara/modules/pe/pe.c of YARA 4.2.3 for the fields and
// functions rules use most. Headers come from debug/pe: a file that debug/pe
// refuses is not a PE file here (is_pe is 0; see DIFFERENCES.md). Imports,
// exports and raw section names are read from the file by the code below,
// since debug/pe does not expose them the way YARA does.
func peModule() *module {
	m := &module{name: "pe", partial: true}
	file := func(c *moduleCtx) *peFile {
		pf, _ := c.object(m).native.(*peFile)
		return pf
	}
	// onPE wraps a function that is undefined on a file that is not PE.
	onPE := func(f func(*peFile, []value) value) func(*moduleCtx, []value) value {
		return func(c *moduleCtx, a []value) value {
			pf := file(c)
			if pf == nil {
				return undefined
			}
			return f(pf, a)
		}
	}
	m.load = loadPE
	u := leaf(tyInt)
	version := &modField{fields: map[string]*modField{"major": u, "minor": u}}
	m.fields = map[string]*modField{
		"is_pe": u, "machine": u, "number_of_sections": u, "timestamp": u, "characteristics": u,
		"entry_point": u, "entry_point_raw": u, "image_base": u, "number_of_rva_and_sizes": u,
		"size_of_image": u, "size_of_headers": u, "size_of_code": u, "base_of_code": u, "checksum": u,
		"section_alignment": u, "file_alignment": u, "subsystem": u, "dll_characteristics": u, "opthdr_magic": u,
		"number_of_symbols": u, "pointer_to_symbol_table": u, "size_of_optional_header": u,
		"number_of_imports": u, "number_of_imported_functions": u, "number_of_exports": u,
		"linker_version": version, "os_version": version, "image_version": version, "subsystem_version": version,
		"overlay": {fields: map[string]*modField{"offset": u, "size": u}},
		"rich_signature": {
			fields: map[string]*modField{"offset": u, "length": u, "key": u, "raw_data": leaf(tyStr), "clear_data": leaf(tyStr)},
			funcs: map[string][]modFunc{
				"version": {
					{args: "i", ret: tyInt, call: onPE(func(pf *peFile, a []value) value { return pf.richCount(&a[0].i, nil) })},
					{args: "ii", ret: tyInt, call: onPE(func(pf *peFile, a []value) value { return pf.richCount(&a[0].i, &a[1].i) })},
				},
				"toolid": {
					{args: "i", ret: tyInt, call: onPE(func(pf *peFile, a []value) value { return pf.richCount(nil, &a[0].i) })},
					{args: "ii", ret: tyInt, call: onPE(func(pf *peFile, a []value) value { return pf.richCount(&a[1].i, &a[0].i) })},
				},
			},
		},
		"sections": {elem: &modField{fields: map[string]*modField{
			"name": leaf(tyStr), "virtual_address": u, "virtual_size": u, "raw_data_offset": u,
			"raw_data_size": u, "characteristics": u, "pointer_to_relocations": u,
		}}},
	}
	m.consts = peConstants()
	m.funcs = map[string][]modFunc{
		"imports": {
			{args: "ss", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				for _, d := range pf.imports {
					if asciiEqualFold(d.name, cstr(a[0].s)) {
						for _, f := range d.funcs {
							if f.name != nil && asciiEqualFold(f.name, cstr(a[1].s)) {
								return intVal(1)
							}
						}
					}
				}
				return intVal(0)
			})},
			{args: "si", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				for _, d := range pf.imports {
					if asciiEqualFold(d.name, cstr(a[0].s)) {
						for _, f := range d.funcs {
							if f.hasOrdinal && f.ordinal == a[1].i {
								return intVal(1)
							}
						}
					}
				}
				return intVal(0)
			})},
			{args: "s", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				n := 0
				for _, d := range pf.imports {
					if asciiEqualFold(d.name, cstr(a[0].s)) {
						n += len(d.funcs)
					}
				}
				return intVal(int64(n))
			})},
		},
		"exports": {
			{args: "s", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				for _, e := range pf.exports {
					if e.name != nil && asciiEqualFold(e.name, a[0].s) {
						return intVal(1)
					}
				}
				return intVal(0)
			})},
			// YARA refuses an ordinal above the number of exports even when
			// the ordinal base makes it valid; kept for the same answers.
			{args: "i", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				if a[0].i == 0 || uint64(a[0].i) > uint64(len(pf.exports)) {
					return intVal(0)
				}
				for _, e := range pf.exports {
					if e.ordinal == a[0].i {
						return intVal(1)
					}
				}
				return intVal(0)
			})},
		},
		"imphash": {{args: "", ret: tyStr, call: onPE(func(pf *peFile, _ []value) value { return pf.imphash() })}},
		"is_dll": {{args: "", ret: tyInt, call: onPE(func(pf *peFile, _ []value) value {
			// YARA returns the flag's bit, not 1.
			return intVal(int64(pf.hdr.FileHeader.Characteristics & pe.IMAGE_FILE_DLL))
		})}},
		"is_32bit": {{args: "", ret: tyInt, call: onPE(func(pf *peFile, _ []value) value { return boolInt(!pf.is64) })}},
		"is_64bit": {{args: "", ret: tyInt, call: onPE(func(pf *peFile, _ []value) value { return boolInt(pf.is64) })}},
		"section_index": {
			{args: "s", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				want := cstr(a[0].s)
				for i, s := range pf.sections {
					if bytes.Equal(s.name, want) {
						return intVal(int64(i))
					}
				}
				return undefined
			})},
			// An address here is a file offset, as YARA reads a file (it
			// uses virtual addresses only for process memory).
			{args: "i", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
				for i, s := range pf.sections {
					if a[0].i >= int64(s.rawOff) && a[0].i < int64(s.rawOff)+int64(s.rawSize) {
						return intVal(int64(i))
					}
				}
				return undefined
			})},
		},
		"rva_to_offset": {{args: "i", ret: tyInt, call: onPE(func(pf *peFile, a []value) value {
			if a[0].i < 0 || a[0].i > 0xffffffff {
				return undefined
			}
			off := pf.rvaToOffset(uint32(a[0].i))
			if off < 0 {
				return undefined
			}
			return intVal(off)
		})}},
	}
	return m
}

// peHeaderOK applies YARA's own test for a PE header (pe_get_header): an MZ
// header, a non-negative e_lfanew, the PE signature and a whole optional
// header inside the file.
func peHeaderOK(data []byte) (ntOff int64, ok bool) {
	if len(data) < 64 || data[0] != 'M' || data[1] != 'Z' {
		return 0, false
	}
	lfanew := int64(int32(binary.LittleEndian.Uint32(data[0x3c:])))
	if lfanew < 0 {
		return 0, false
	}
	size := int64(len(data))
	headers := lfanew + 4 + 20
	if size < headers || !bytes.Equal(data[lfanew:lfanew+4], []byte("PE\x00\x00")) {
		return 0, false
	}
	if size < headers+2 {
		return 0, false
	}
	if binary.LittleEndian.Uint16(data[headers:]) == 0x20b {
		headers += 240
	} else {
		headers += 224
	}
	return lfanew, size >= headers
}

func loadPE(data []byte) *modObject {
	root := &modObject{}
	root.set("is_pe", intVal(0))
	ntOff, ok := peHeaderOK(data)
	if !ok {
		return root
	}
	hdr, err := pe.NewFile(bytes.NewReader(data))
	if err != nil || hdr.OptionalHeader == nil {
		return root
	}
	pf := &peFile{data: data, hdr: hdr}
	root.native = pf
	root.set("is_pe", intVal(1))
	fh := hdr.FileHeader
	root.set("machine", intVal(int64(fh.Machine)))
	root.set("number_of_sections", intVal(int64(fh.NumberOfSections)))
	root.set("timestamp", intVal(int64(fh.TimeDateStamp)))
	root.set("characteristics", intVal(int64(fh.Characteristics)))
	root.set("pointer_to_symbol_table", intVal(int64(fh.PointerToSymbolTable)))
	root.set("number_of_symbols", intVal(int64(fh.NumberOfSymbols)))
	root.set("size_of_optional_header", intVal(int64(fh.SizeOfOptionalHeader)))
	var ep, secAlign uint32
	var dirs []pe.DataDirectory
	var nrva uint32
	set16 := func(name string, major, minor uint16) {
		v := root.child(name)
		v.set("major", intVal(int64(major)))
		v.set("minor", intVal(int64(minor)))
	}
	switch oh := hdr.OptionalHeader.(type) {
	case *pe.OptionalHeader32:
		ep, secAlign, pf.fileAlign, dirs, nrva = oh.AddressOfEntryPoint, oh.SectionAlignment, oh.FileAlignment, oh.DataDirectory[:], oh.NumberOfRvaAndSizes
		root.set("opthdr_magic", intVal(int64(oh.Magic)))
		root.set("image_base", intVal(int64(oh.ImageBase)))
		root.set("size_of_image", intVal(int64(oh.SizeOfImage)))
		root.set("size_of_headers", intVal(int64(oh.SizeOfHeaders)))
		root.set("size_of_code", intVal(int64(oh.SizeOfCode)))
		root.set("base_of_code", intVal(int64(oh.BaseOfCode)))
		root.set("checksum", intVal(int64(oh.CheckSum)))
		root.set("subsystem", intVal(int64(oh.Subsystem)))
		root.set("dll_characteristics", intVal(int64(oh.DllCharacteristics)))
		set16("linker_version", uint16(oh.MajorLinkerVersion), uint16(oh.MinorLinkerVersion))
		set16("os_version", oh.MajorOperatingSystemVersion, oh.MinorOperatingSystemVersion)
		set16("image_version", oh.MajorImageVersion, oh.MinorImageVersion)
		set16("subsystem_version", oh.MajorSubsystemVersion, oh.MinorSubsystemVersion)
	case *pe.OptionalHeader64:
		pf.is64 = true
		ep, secAlign, pf.fileAlign, dirs, nrva = oh.AddressOfEntryPoint, oh.SectionAlignment, oh.FileAlignment, oh.DataDirectory[:], oh.NumberOfRvaAndSizes
		root.set("opthdr_magic", intVal(int64(oh.Magic)))
		root.set("image_base", intVal(int64(oh.ImageBase)))
		root.set("size_of_image", intVal(int64(oh.SizeOfImage)))
		root.set("size_of_headers", intVal(int64(oh.SizeOfHeaders)))
		root.set("size_of_code", intVal(int64(oh.SizeOfCode)))
		root.set("base_of_code", intVal(int64(oh.BaseOfCode)))
		root.set("checksum", intVal(int64(oh.CheckSum)))
		root.set("subsystem", intVal(int64(oh.Subsystem)))
		root.set("dll_characteristics", intVal(int64(oh.DllCharacteristics)))
		set16("linker_version", uint16(oh.MajorLinkerVersion), uint16(oh.MinorLinkerVersion))
		set16("os_version", oh.MajorOperatingSystemVersion, oh.MinorOperatingSystemVersion)
		set16("image_version", oh.MajorImageVersion, oh.MinorImageVersion)
		set16("subsystem_version", oh.MajorSubsystemVersion, oh.MinorSubsystemVersion)
	default:
		return &modObject{fields: map[string]*modObject{"is_pe": {val: intVal(0)}}}
	}
	root.set("section_alignment", intVal(int64(secAlign)))
	root.set("file_alignment", intVal(int64(pf.fileAlign)))
	root.set("number_of_rva_and_sizes", intVal(int64(nrva)))
	root.set("entry_point_raw", intVal(int64(ep)))
	if r := parseRich(data); r != nil {
		pf.rich = r
		rs := root.child("rich_signature")
		rs.set("offset", intVal(r.offset))
		rs.set("length", intVal(int64(len(r.raw))))
		rs.set("key", intVal(int64(r.key)))
		rs.set("raw_data", strVal(r.raw))
		rs.set("clear_data", strVal(r.clear))
	}
	// Raw section headers: names as stored ("/4" stays "/4"), as YARA 4.2.3.
	secOff := ntOff + 4 + 20 + int64(fh.SizeOfOptionalHeader)
	secs := root.child("sections")
	var end int64
	for i := 0; i < min(int(fh.NumberOfSections), maxPESections); i++ {
		o := secOff + int64(i)*40
		if o+40 > int64(len(data)) {
			break
		}
		h := data[o : o+40]
		// Trailing NULs go, inner ones stay (".\x00ext"), as in YARA.
		name := bytes.TrimRight(h[:8], "\x00")
		le := binary.LittleEndian
		s := peSection{name: name, vsize: le.Uint32(h[8:]), va: le.Uint32(h[12:]), rawSize: le.Uint32(h[16:]),
			rawOff: le.Uint32(h[20:]), reloc: le.Uint32(h[24:]), chars: le.Uint32(h[36:])}
		pf.sections = append(pf.sections, s)
		so := &modObject{}
		so.set("name", strVal(s.name))
		so.set("virtual_address", intVal(int64(s.va)))
		so.set("virtual_size", intVal(int64(s.vsize)))
		so.set("raw_data_offset", intVal(int64(s.rawOff)))
		so.set("raw_data_size", intVal(int64(s.rawSize)))
		so.set("characteristics", intVal(int64(s.chars)))
		so.set("pointer_to_relocations", intVal(int64(s.reloc)))
		secs.items = append(secs.items, so)
		end = max(end, int64(s.rawOff)+int64(s.rawSize))
	}
	if secs.items == nil {
		secs.items = []*modObject{}
	}
	root.set("entry_point", intVal(pf.rvaToOffset(ep)))
	ov := root.child("overlay")
	if end > 0 && end < int64(len(data)) {
		ov.set("offset", intVal(end))
		ov.set("size", intVal(int64(len(data))-end))
	} else {
		ov.set("offset", intVal(0))
		ov.set("size", intVal(0))
	}
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_IMPORT && int(nrva) > pe.IMAGE_DIRECTORY_ENTRY_IMPORT {
		pf.parseImports(dirs[pe.IMAGE_DIRECTORY_ENTRY_IMPORT])
	}
	root.set("number_of_imports", intVal(int64(pf.numImports)))
	root.set("number_of_imported_functions", intVal(int64(pf.numFuncs)))
	if len(dirs) > pe.IMAGE_DIRECTORY_ENTRY_EXPORT && int(nrva) > pe.IMAGE_DIRECTORY_ENTRY_EXPORT {
		pf.parseExports(dirs[pe.IMAGE_DIRECTORY_ENTRY_EXPORT])
	}
	root.set("number_of_exports", intVal(int64(len(pf.exports))))
	return root
}

// rvaToOffset maps a relative virtual address to a file offset the way
// YARA's pe_rva_to_offset does, or returns -1.
func (pf *peFile) rvaToOffset(rva uint32) int64 {
	lowest := uint32(0xffffffff)
	var secRVA, secOff, secRaw uint32
	for _, s := range pf.sections {
		lowest = min(lowest, s.va)
		// A section holds the RVAs of its virtual size, even when that is
		// 0, as in yara 4.2.3 (found with the oracle).
		if rva >= s.va && uint64(rva) < uint64(s.va)+uint64(s.vsize) && secRVA <= s.va {
			secRVA, secOff, secRaw = s.va, s.rawOff, s.rawSize
			// Offsets below the file alignment (at most 0x200) round down.
			if a := min(pf.fileAlign, 0x200); a != 0 {
				secOff -= secOff % a
			}
		}
	}
	if rva < lowest {
		secRVA, secOff, secRaw = 0, 0, uint32(min(int64(len(pf.data)), 0xffffffff))
	}
	if rva-secRVA >= secRaw {
		return -1
	}
	off := int64(secOff) + int64(rva-secRVA)
	if off >= int64(len(pf.data)) {
		return -1
	}
	return off
}

// cString returns the NUL-terminated bytes at off, at most max long, and
// whether a NUL ended them inside the file.
func cString(data []byte, off int64, max int) ([]byte, bool) {
	if off < 0 || off >= int64(len(data)) {
		return nil, false
	}
	b := data[off:min(int64(len(data)), off+int64(max))]
	if k := bytes.IndexByte(b, 0); k >= 0 {
		return b[:k], true
	}
	return b, false
}

// validDLLName says whether yara 4.2.3 takes the NUL-terminated bytes at
// off as a DLL name: at least one byte, a NUL inside the file, and no
// control character below 0x20 (found with the oracle: a space, 0x7f and
// 0x80 pass, 0x10 does not).
func validDLLName(data []byte, off int64) ([]byte, bool) {
	b, ended := cString(data, off, maxPEDLLNameLen)
	if !ended || len(b) == 0 {
		return nil, false
	}
	for _, c := range b {
		if c < 0x20 {
			return nil, false
		}
	}
	return b, true
}

// parseImports walks the import descriptors as YARA 4.2.3 does. YARA
// counts in number_of_imports every descriptor with a name except those
// whose name is not a valid DLL name, and in number_of_imported_functions
// every thunk it read, named or not; a DLL without a usable function is
// left out of the list imports() searches.
func (pf *peFile) parseImports(dir pe.DataDirectory) {
	if dir.VirtualAddress == 0 {
		return
	}
	off := pf.rvaToOffset(dir.VirtualAddress)
	if off < 0 {
		return
	}
	le := binary.LittleEndian
	data := pf.data
	size := int64(len(data))
	width := int64(4)
	if pf.is64 {
		width = 8
	}
	for k := 0; k < maxPEDescriptors && pf.numImports < maxPEImports && off+20 <= size; k, off = k+1, off+20 {
		desc := data[off : off+20]
		nameRVA := le.Uint32(desc[12:])
		if nameRVA == 0 {
			break
		}
		if no := pf.rvaToOffset(nameRVA); no >= 0 {
			name, ok := validDLLName(data, no)
			if !ok {
				continue
			}
			thunk := pf.rvaToOffset(le.Uint32(desc[0:]))
			if thunk <= 0 {
				thunk = pf.rvaToOffset(le.Uint32(desc[16:]))
			}
			var funcs []peImport
			for ; thunk >= 0 && thunk+width <= size && pf.numFuncs < maxPEImports; thunk += width {
				var v uint64
				var byOrdinal bool
				if pf.is64 {
					v = le.Uint64(data[thunk:])
					byOrdinal = v&(1<<63) != 0
				} else {
					v = uint64(le.Uint32(data[thunk:]))
					byOrdinal = v&(1<<31) != 0
				}
				if v == 0 {
					break
				}
				pf.numFuncs++
				if byOrdinal {
					funcs = append(funcs, peImport{ordinal: int64(v & 0xffff), hasOrdinal: true})
					continue
				}
				// An RVA beyond 32 bits maps nowhere.
				if v > 0xffffffff {
					continue
				}
				fo := pf.rvaToOffset(uint32(v))
				// IMAGE_IMPORT_BY_NAME is a hint and a name: 4 bytes with padding.
				if fo < 0 || fo+4 > size {
					continue
				}
				fn, _ := cString(data, fo+2, maxPEImportLen)
				funcs = append(funcs, peImport{name: fn})
			}
			if len(funcs) > 0 {
				pf.imports = append(pf.imports, peDLL{name: name, funcs: funcs})
			}
		}
		pf.numImports++
	}
}

// parseExports reads the export directory as YARA 4.2.3 does: any check
// that fails leaves the exports empty (number_of_exports 0); each function
// gets ordinal base+index, and a name when the ordinal table points at it.
func (pf *peFile) parseExports(dir pe.DataDirectory) {
	if dir.VirtualAddress == 0 {
		return
	}
	off := pf.rvaToOffset(dir.VirtualAddress)
	data := pf.data
	size := int64(len(data))
	if off < 0 || off+40 > size {
		return
	}
	le := binary.LittleEndian
	ed := data[off : off+40]
	base := le.Uint32(ed[16:])
	n := int64(min(le.Uint32(ed[20:]), maxPEExports))
	nameOff := pf.rvaToOffset(le.Uint32(ed[12:]))
	if n*4 > size-nameOff {
		return
	}
	var names []byte
	nnames := int64(le.Uint32(ed[24:]))
	if nnames > 0 {
		o := pf.rvaToOffset(le.Uint32(ed[32:]))
		if o < 0 || nnames*4 > size-o {
			return
		}
		names = data[o : o+nnames*4]
	}
	oo := pf.rvaToOffset(le.Uint32(ed[36:]))
	if oo < 0 || size-oo < 2*n {
		return
	}
	ords := data[oo : oo+2*n]
	fo := pf.rvaToOffset(le.Uint32(ed[28:]))
	if fo < 0 || size-fo < 4*n {
		return
	}
	nnames = min(nnames, n)
	// YARA names function i after the first j below nnames with
	// ordinals[j] == i; one pass over the ordinals finds all of them, where
	// YARA's nested loop is quadratic in the number of exports.
	nameOf := make([]int32, n)
	for i := range nameOf {
		nameOf[i] = -1
	}
	if names != nil {
		for j := int64(0); j < nnames; j++ {
			if i := int64(le.Uint16(ords[2*j:])); i < n && nameOf[i] < 0 {
				nameOf[i] = int32(j)
			}
		}
	}
	exports := make([]peExport, 0, n)
	for i := int64(0); i < n; i++ {
		e := peExport{ordinal: int64(base + uint32(i))}
		if j := nameOf[i]; j >= 0 {
			if no := pf.rvaToOffset(le.Uint32(names[4*j:])); no > 0 {
				e.name, _ = cString(data, no, maxPEExportNameLen)
			}
		}
		exports = append(exports, e)
	}
	pf.exports = exports
}

// imphash is the MD5 of "dll.function" pairs, lowercase, comma-separated, in
// import order; the DLL name loses a .dll, .ocx or .sys extension, and a
// function imported by ordinal is "ordN".
func (pf *peFile) imphash() value {
	var sb strings.Builder
	first := true
	for _, d := range pf.imports {
		// YARA cuts the name at its first "." when what follows starts
		// with .dll, .ocx or .sys ("a.dll.x" gives "a").
		dll := string(lower(d.name)) // ASCII only, as C's tolower
		if k := strings.IndexByte(dll, '.'); k >= 0 {
			ext := dll[k:]
			if strings.HasPrefix(ext, ".dll") || strings.HasPrefix(ext, ".ocx") || strings.HasPrefix(ext, ".sys") {
				dll = dll[:k]
			}
		}
		for _, f := range d.funcs {
			if !first {
				sb.WriteByte(',')
			}
			first = false
			name := "ord" + strconv.FormatInt(f.ordinal, 10)
			if f.name != nil {
				name = string(lower(f.name))
			}
			sb.WriteString(dll + "." + name)
		}
	}
	sum := md5.Sum([]byte(sb.String()))
	return strVal([]byte(hex.EncodeToString(sum[:])))
}

// peConstants are the Windows SDK values YARA's pe module names.
func peConstants() map[string]value {
	c := map[string]value{}
	for k, v := range map[string]int64{
		"MACHINE_UNKNOWN": 0, "MACHINE_I386": 0x14c, "MACHINE_AMD64": 0x8664, "MACHINE_ARM": 0x1c0,
		"MACHINE_ARMNT": 0x1c4, "MACHINE_ARM64": 0xaa64, "MACHINE_IA64": 0x200,
		"RELOCS_STRIPPED": 0x1, "EXECUTABLE_IMAGE": 0x2, "LINE_NUMS_STRIPPED": 0x4, "LOCAL_SYMS_STRIPPED": 0x8,
		"AGGRESIVE_WS_TRIM": 0x10, "LARGE_ADDRESS_AWARE": 0x20, "BYTES_REVERSED_LO": 0x80, "MACHINE_32BIT": 0x100,
		"DEBUG_STRIPPED": 0x200, "REMOVABLE_RUN_FROM_SWAP": 0x400, "NET_RUN_FROM_SWAP": 0x800, "SYSTEM": 0x1000,
		"DLL": 0x2000, "UP_SYSTEM_ONLY": 0x4000, "BYTES_REVERSED_HI": 0x8000,
		"SUBSYSTEM_UNKNOWN": 0, "SUBSYSTEM_NATIVE": 1, "SUBSYSTEM_WINDOWS_GUI": 2, "SUBSYSTEM_WINDOWS_CUI": 3,
		"SUBSYSTEM_OS2_CUI": 5, "SUBSYSTEM_POSIX_CUI": 7, "SUBSYSTEM_NATIVE_WINDOWS": 8,
		"SECTION_CNT_CODE": 0x20, "SECTION_CNT_INITIALIZED_DATA": 0x40, "SECTION_CNT_UNINITIALIZED_DATA": 0x80,
		"SECTION_MEM_EXECUTE": 0x20000000, "SECTION_MEM_READ": 0x40000000, "SECTION_MEM_WRITE": 0x80000000,
	} {
		c[k] = intVal(v)
	}
	return c
}

// yaraPEMachine reports whether YARA's entrypoint (not the pe module) takes
// a file with this machine as PE (yr_get_pe_header in libyara/exefiles.c).
func yaraPEMachine(m uint16) bool {
	switch m {
	case 0, 0x1d3, 0x8664, 0x1c0, 0x1c4, 0xaa64, 0xebc, 0x14c, 0x200, 0x9041, 0x266,
		0x366, 0x466, 0x1f0, 0x1f1, 0x166, 0x1a2, 0x1a3, 0x1a6, 0x1a8, 0x1c2, 0x169:
		return true
	}
	return false
}

// entrypoint is the value of the deprecated `entrypoint` keyword: the file
// offset of a PE's entry point, computed as yara 4.2.3 computes it, which
// differs from pe.entry_point (no alignment rounding, no bounds check, and
// an address before every section maps to itself). Undefined for other
// files.
func entrypoint(data []byte) value {
	if v, ok := elfEntrypoint(data); ok {
		return v
	}
	le := binary.LittleEndian
	if len(data) < 64 || data[0] != 'M' || data[1] != 'Z' {
		return undefined
	}
	lfanew := int64(int32(le.Uint32(data[0x3c:])))
	if lfanew < 0 {
		return undefined
	}
	size := int64(len(data))
	headers := lfanew + 4 + 20
	if size < headers {
		return undefined
	}
	nt := data[lfanew:]
	headers += int64(le.Uint16(nt[20:]))
	machineOK := yaraPEMachine(le.Uint16(nt[4:]))
	if !bytes.Equal(nt[:4], []byte("PE\x00\x00")) || !machineOK || size <= headers {
		return undefined
	}
	// yara reads AddressOfEntryPoint even when SizeOfOptionalHeader says
	// the optional header is too short to hold it, past the end of a
	// short file; here such a file has no entry point.
	if lfanew+24+20 > size {
		return undefined
	}
	ep := uint64(le.Uint32(nt[24+16:]))
	first := int64(24 + int64(le.Uint16(nt[20:])))
	nsec := min(int(le.Uint16(nt[6:])), 60)
	var secRVA, secOff uint64
	for i := 0; i < nsec; i++ {
		h := first + int64(i)*40
		if h+40 >= size-lfanew {
			return intVal(0)
		}
		va := uint64(le.Uint32(nt[h+12:]))
		if ep >= va && secRVA <= va {
			secRVA, secOff = va, uint64(le.Uint32(nt[h+20:]))
		}
	}
	return intVal(int64(secOff + (ep - secRVA)))
}

// cstr is b as C's string functions see it: up to the first NUL. YARA
// compares import and section names that way.
func cstr(b []byte) []byte {
	if k := bytes.IndexByte(b, 0); k >= 0 {
		return b[:k]
	}
	return b
}

// parseRich finds the Rich header as YARA 4.2.3 does: the last "Rich"
// marker before the PE header (searched backwards in 4-byte steps from
// e_lfanew down to the end of the DOS header), its XOR key in the dword
// after it, then the "DanS" start below it, whose three padding dwords must
// all equal the key. Every step reads inside the file (YARA may read past
// the end for an e_lfanew near it).
func parseRich(data []byte) *peRich {
	const rich, dans = 0x68636952, 0x536e6144
	le := binary.LittleEndian
	size := int64(len(data))
	nt := int64(le.Uint32(data[0x3c:]))
	if nt > size+4 || nt < 4 {
		return nil
	}
	dword := func(off int64) (uint32, bool) {
		if off < 0 || off+4 > size {
			return 0, false
		}
		return le.Uint32(data[off:]), true
	}
	var key uint32
	var richAt int64
	p := nt - 4
	for ; p >= 64; p -= 4 {
		if v, ok := dword(p); ok && v == rich {
			key, _ = dword(p + 4)
			richAt = p
			p -= 4
			break
		}
	}
	if key == 0 {
		return nil
	}
	start := int64(-1)
	for ; p >= 64; p -= 4 {
		if v, ok := dword(p); ok && v^key == dans {
			start = p
			break
		}
	}
	if start < 0 {
		return nil
	}
	k1, ok1 := dword(start + 4)
	k2, ok2 := dword(start + 8)
	k3, ok3 := dword(start + 12)
	d, _ := dword(start)
	if !ok1 || !ok2 || !ok3 || k1 != k2 || k2 != k3 || d^k1 != dans {
		return nil
	}
	raw := data[start:richAt]
	clear := make([]byte, len(raw))
	for i := 0; i+4 <= len(raw); i += 4 {
		le.PutUint32(clear[i:], le.Uint32(raw[i:])^k1)
	}
	return &peRich{offset: start, key: k1, raw: raw, clear: clear}
}

// richCount is the number of times the Rich header records objects built
// with the given version and tool id (nil matches any), as YARA's
// rich_signature.version() and .toolid() return it; undefined without a
// Rich header.
func (pf *peFile) richCount(version, toolid *int64) value {
	if pf.rich == nil {
		return undefined
	}
	le := binary.LittleEndian
	c := pf.rich.clear
	var n uint64
	for i := 16; i+8 <= len(c); i += 8 {
		id := le.Uint32(c[i:])
		if (version == nil || *version == int64(id&0xffff)) && (toolid == nil || *toolid == int64(id>>16)) {
			n += uint64(le.Uint32(c[i+4:]))
		}
	}
	return intVal(int64(n))
}
