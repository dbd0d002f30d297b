package yara

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
)

// elfHeader is the part of an ELF file header that YARA's elf module reads,
// taken from the file as it is (debug/elf does not keep the table offsets).
type elfHeader struct {
	bo                       binary.ByteOrder
	is64                     bool
	typ, machine             uint16
	entry, phoff, shoff      uint64
	phentsize, phnum         uint16
	shentsize, shnum, shstrx uint16
}

func readELFHeader(data []byte) (elfHeader, bool) {
	var h elfHeader
	if len(data) < 52 || !bytes.Equal(data[:4], []byte(elf.ELFMAG)) {
		return h, false
	}
	switch data[elf.EI_DATA] {
	case byte(elf.ELFDATA2LSB):
		h.bo = binary.LittleEndian
	case byte(elf.ELFDATA2MSB):
		h.bo = binary.BigEndian
	default:
		return h, false
	}
	bo := h.bo
	switch data[elf.EI_CLASS] {
	case byte(elf.ELFCLASS32):
		h.typ, h.machine = bo.Uint16(data[16:]), bo.Uint16(data[18:])
		h.entry, h.phoff, h.shoff = uint64(bo.Uint32(data[24:])), uint64(bo.Uint32(data[28:])), uint64(bo.Uint32(data[32:]))
		h.phentsize, h.phnum = bo.Uint16(data[42:]), bo.Uint16(data[44:])
		h.shentsize, h.shnum, h.shstrx = bo.Uint16(data[46:]), bo.Uint16(data[48:]), bo.Uint16(data[50:])
	case byte(elf.ELFCLASS64):
		if len(data) < 64 {
			return h, false
		}
		h.is64 = true
		h.typ, h.machine = bo.Uint16(data[16:]), bo.Uint16(data[18:])
		h.entry, h.phoff, h.shoff = bo.Uint64(data[24:]), bo.Uint64(data[32:]), bo.Uint64(data[40:])
		h.phentsize, h.phnum = bo.Uint16(data[54:]), bo.Uint16(data[56:])
		h.shentsize, h.shnum, h.shstrx = bo.Uint16(data[58:]), bo.Uint16(data[60:]), bo.Uint16(data[62:])
	default:
		return h, false
	}
	return h, true
}

// maxELFNameLen bounds the bytes read for a section name: YARA reads to the
// end of the file, which with 65,279 sections would be quadratic.
const maxELFNameLen = 1024

// elfSection and elfSegment are raw table entries in YARA's field names.
type elfSection struct {
	name                      uint32
	typ                       uint32
	flags, addr, offset, size uint64
	link                      uint32
}

type elfSegment struct {
	typ, flags                              uint32
	offset, vaddr, paddr, filesz, memsz, al uint64
}

func (h elfHeader) sectionSize() uint64 {
	if h.is64 {
		return 64
	}
	return 40
}

func (h elfHeader) segmentSize() uint64 {
	if h.is64 {
		return 56
	}
	return 32
}

func (h elfHeader) section(data []byte, i uint64) elfSection {
	b := data[h.shoff+i*h.sectionSize():]
	bo := h.bo
	if h.is64 {
		return elfSection{name: bo.Uint32(b), typ: bo.Uint32(b[4:]), flags: bo.Uint64(b[8:]), addr: bo.Uint64(b[16:]),
			offset: bo.Uint64(b[24:]), size: bo.Uint64(b[32:]), link: bo.Uint32(b[40:])}
	}
	return elfSection{name: bo.Uint32(b), typ: bo.Uint32(b[4:]), flags: uint64(bo.Uint32(b[8:])), addr: uint64(bo.Uint32(b[12:])),
		offset: uint64(bo.Uint32(b[16:])), size: uint64(bo.Uint32(b[20:])), link: bo.Uint32(b[24:])}
}

func (h elfHeader) segment(data []byte, i uint64) elfSegment {
	b := data[h.phoff+i*h.segmentSize():]
	bo := h.bo
	if h.is64 {
		return elfSegment{typ: bo.Uint32(b), flags: bo.Uint32(b[4:]), offset: bo.Uint64(b[8:]), vaddr: bo.Uint64(b[16:]),
			paddr: bo.Uint64(b[24:]), filesz: bo.Uint64(b[32:]), memsz: bo.Uint64(b[40:]), al: bo.Uint64(b[48:])}
	}
	return elfSegment{typ: bo.Uint32(b), offset: uint64(bo.Uint32(b[4:])), vaddr: uint64(bo.Uint32(b[8:])),
		paddr: uint64(bo.Uint32(b[12:])), filesz: uint64(bo.Uint32(b[16:])), memsz: uint64(bo.Uint32(b[20:])),
		flags: bo.Uint32(b[24:]), al: uint64(bo.Uint32(b[28:]))}
}

// tableFits reports whether n entries of size each at off lie inside size
// bytes, without overflow.
func tableFits(off, n, each, size uint64) bool {
	if off > size || n > size {
		return false
	}
	return n*each <= size-off
}

// rvaToOffset maps a virtual address to a file offset as YARA 4.2.3's
// elf_rva_to_offset does: through the program headers for an executable,
// through the sections (not SHT_NULL or SHT_NOBITS) otherwise. ok is false
// when the result is undefined; an empty table gives 0, as in YARA.
func (h elfHeader) rvaToOffset(data []byte, rva uint64) (int64, bool) {
	size := uint64(len(data))
	if h.typ == uint16(elf.ET_EXEC) {
		if h.phoff == 0 || h.phnum == 0 {
			return 0, true
		}
		if h.phoff+h.segmentSize() < h.phoff || !tableFits(h.phoff, uint64(h.phnum), h.segmentSize(), size) {
			return 0, false
		}
		for i := uint64(0); i < uint64(h.phnum); i++ {
			s := h.segment(data, i)
			if rva >= s.vaddr && rva < s.vaddr+s.memsz {
				return int64(s.offset + (rva - s.vaddr)), true
			}
		}
		return 0, false
	}
	if h.shoff == 0 || h.shnum == 0 {
		return 0, true
	}
	if h.shoff+h.sectionSize() < h.shoff || !tableFits(h.shoff, uint64(h.shnum), h.sectionSize(), size) {
		return 0, false
	}
	for i := uint64(0); i < uint64(h.shnum); i++ {
		s := h.section(data, i)
		if s.typ != uint32(elf.SHT_NULL) && s.typ != uint32(elf.SHT_NOBITS) && rva >= s.addr && rva < s.addr+s.size {
			if s.offset+(rva-s.addr) < s.offset {
				return 0, false
			}
			return int64(s.offset + (rva - s.addr)), true
		}
	}
	return 0, false
}

// elfModule follows libyara/modules/elf/elf.c of YARA 4.2.3 for the header,
// sections and segments. A file that debug/elf refuses is not ELF here
// (every field undefined; see DIFFERENCES.md); the values themselves are
// read from the file as YARA reads them. Symbol tables and the dynamic
// section are not supported: rules that use them are skipped or refused.
func elfModule() *module {
	m := &module{name: "elf", partial: true, load: loadELF}
	u := leaf(tyInt)
	m.fields = map[string]*modField{
		"type": u, "machine": u, "entry_point": u, "number_of_sections": u, "sh_offset": u, "sh_entry_size": u,
		"number_of_segments": u, "ph_offset": u, "ph_entry_size": u,
		"sections": {elem: &modField{fields: map[string]*modField{
			"type": u, "flags": u, "address": u, "name": leaf(tyStr), "size": u, "offset": u,
		}}},
		"segments": {elem: &modField{fields: map[string]*modField{
			"type": u, "flags": u, "offset": u, "virtual_address": u, "physical_address": u,
			"file_size": u, "memory_size": u, "alignment": u,
		}}},
	}
	m.consts = elfConstants()
	return m
}

func loadELF(data []byte) *modObject {
	root := &modObject{}
	h, ok := readELFHeader(data)
	if !ok {
		return root
	}
	if _, err := elf.NewFile(bytes.NewReader(data)); err != nil {
		return root
	}
	size := uint64(len(data))
	root.set("type", intVal(int64(h.typ)))
	root.set("machine", intVal(int64(h.machine)))
	root.set("sh_offset", intVal(int64(h.shoff)))
	root.set("sh_entry_size", intVal(int64(h.shentsize)))
	root.set("ph_offset", intVal(int64(h.phoff)))
	root.set("ph_entry_size", intVal(int64(h.phentsize)))
	root.set("number_of_sections", intVal(int64(h.shnum)))
	root.set("number_of_segments", intVal(int64(h.phnum)))
	if h.entry != 0 {
		if off, ok := h.rvaToOffset(data, h.entry); ok {
			root.set("entry_point", intVal(off))
		}
	}
	if h.shnum < uint16(elf.SHN_LORESERVE) && h.shstrx < h.shnum && tableFits(h.shoff, uint64(h.shnum), h.sectionSize(), size) {
		strtab := h.section(data, uint64(h.shstrx)).offset
		secs := root.child("sections")
		for i := uint64(0); i < uint64(h.shnum); i++ {
			s := h.section(data, i)
			o := &modObject{}
			o.set("type", intVal(int64(s.typ)))
			o.set("flags", intVal(int64(s.flags)))
			o.set("address", intVal(int64(s.addr)))
			o.set("size", intVal(int64(s.size)))
			o.set("offset", intVal(int64(s.offset)))
			// The name is read up to a NUL or the end of the file.
			if strtab > 0 && strtab < size && uint64(s.name) < size-strtab {
				name, _ := cString(data, int64(strtab+uint64(s.name)), maxELFNameLen)
				o.set("name", strVal(name))
			}
			secs.items = append(secs.items, o)
		}
	}
	if h.phnum > 0 && h.phnum < 0xffff /* PN_XNUM */ && tableFits(h.phoff, uint64(h.phnum), h.segmentSize(), size) {
		segs := root.child("segments")
		for i := uint64(0); i < uint64(h.phnum); i++ {
			s := h.segment(data, i)
			o := &modObject{}
			o.set("type", intVal(int64(s.typ)))
			o.set("flags", intVal(int64(s.flags)))
			o.set("offset", intVal(int64(s.offset)))
			o.set("virtual_address", intVal(int64(s.vaddr)))
			o.set("physical_address", intVal(int64(s.paddr)))
			o.set("file_size", intVal(int64(s.filesz)))
			o.set("memory_size", intVal(int64(s.memsz)))
			o.set("alignment", intVal(int64(s.al)))
			segs.items = append(segs.items, o)
		}
	}
	return root
}

// elfEntrypoint is the `entrypoint` keyword for an ELF file, or false when
// the file is not ELF. yara 4.2.3 computes it apart from the elf module: it
// gives 0 where the module's entry_point is undefined, and 0 for every
// big-endian file (its reader assumes little-endian headers; found with
// the oracle on Go's MIPS, SPARC, PowerPC and s390x test objects).
func elfEntrypoint(data []byte) (value, bool) {
	h, ok := readELFHeader(data)
	if !ok {
		return undefined, false
	}
	if h.bo == binary.BigEndian {
		return intVal(0), true
	}
	off, ok := h.rvaToOffset(data, h.entry)
	if !ok {
		return intVal(0), true
	}
	return intVal(off), true
}

// elfConstants are the ELF values YARA's elf module names.
func elfConstants() map[string]value {
	c := map[string]value{}
	for k, v := range map[string]int64{
		"ET_NONE": 0, "ET_REL": 1, "ET_EXEC": 2, "ET_DYN": 3, "ET_CORE": 4,
		"EM_NONE": 0, "EM_M32": 1, "EM_SPARC": 2, "EM_386": 3, "EM_68K": 4, "EM_88K": 5, "EM_860": 7, "EM_MIPS": 8,
		"EM_MIPS_RS3_LE": 10, "EM_PPC": 20, "EM_PPC64": 21, "EM_ARM": 40, "EM_X86_64": 62, "EM_AARCH64": 183,
		"SHT_NULL": 0, "SHT_PROGBITS": 1, "SHT_SYMTAB": 2, "SHT_STRTAB": 3, "SHT_RELA": 4, "SHT_HASH": 5,
		"SHT_DYNAMIC": 6, "SHT_NOTE": 7, "SHT_NOBITS": 8, "SHT_REL": 9, "SHT_SHLIB": 10, "SHT_DYNSYM": 11,
		"SHF_WRITE": 1, "SHF_ALLOC": 2, "SHF_EXECINSTR": 4,
		"PT_NULL": 0, "PT_LOAD": 1, "PT_DYNAMIC": 2, "PT_INTERP": 3, "PT_NOTE": 4, "PT_SHLIB": 5, "PT_PHDR": 6,
		"PT_TLS": 7, "PT_GNU_EH_FRAME": 0x6474e550, "PT_GNU_STACK": 0x6474e551,
		"PF_X": 1, "PF_W": 2, "PF_R": 4,
	} {
		c[k] = intVal(v)
	}
	return c
}
