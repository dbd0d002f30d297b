import "elf"
import "console"

// Each probe logs one value of the elf module; see ../math.yar.
rule elf_type { condition: console.log("type=", elf.type) }
rule elf_machine { condition: console.log("machine=", elf.machine) }
rule elf_entry_point { condition: console.log("entry_point=", elf.entry_point) }
rule elf_number_of_sections { condition: console.log("number_of_sections=", elf.number_of_sections) }
rule elf_sh_offset { condition: console.log("sh_offset=", elf.sh_offset) }
rule elf_sh_entry_size { condition: console.log("sh_entry_size=", elf.sh_entry_size) }
rule elf_number_of_segments { condition: console.log("number_of_segments=", elf.number_of_segments) }
rule elf_ph_offset { condition: console.log("ph_offset=", elf.ph_offset) }
rule elf_ph_entry_size { condition: console.log("ph_entry_size=", elf.ph_entry_size) }
rule elf_ET_EXEC { condition: console.log("ET_EXEC=", elf.ET_EXEC) }
rule elf_ET_DYN { condition: console.log("ET_DYN=", elf.ET_DYN) }
rule elf_EM_386 { condition: console.log("EM_386=", elf.EM_386) }
rule elf_EM_X86_64 { condition: console.log("EM_X86_64=", elf.EM_X86_64) }
rule elf_SHT_NOBITS { condition: console.log("SHT_NOBITS=", elf.SHT_NOBITS) }
rule elf_SHF_EXECINSTR { condition: console.log("SHF_EXECINSTR=", elf.SHF_EXECINSTR) }
rule elf_PT_LOAD { condition: console.log("PT_LOAD=", elf.PT_LOAD) }
rule elf_PF_X { condition: console.log("PF_X=", elf.PF_X) }
rule elf_sections_name { condition: for all i in (0..elf.number_of_sections - 1) : (console.log("sections[", i) and console.log("].name=", elf.sections[i].name)) }
rule elf_sections_type { condition: for all i in (0..elf.number_of_sections - 1) : (console.log("sections[", i) and console.log("].type=", elf.sections[i].type)) }
rule elf_sections_flags { condition: for all i in (0..elf.number_of_sections - 1) : (console.log("sections[", i) and console.log("].flags=", elf.sections[i].flags)) }
rule elf_sections_address { condition: for all i in (0..elf.number_of_sections - 1) : (console.log("sections[", i) and console.log("].address=", elf.sections[i].address)) }
rule elf_sections_size { condition: for all i in (0..elf.number_of_sections - 1) : (console.log("sections[", i) and console.log("].size=", elf.sections[i].size)) }
rule elf_sections_offset { condition: for all i in (0..elf.number_of_sections - 1) : (console.log("sections[", i) and console.log("].offset=", elf.sections[i].offset)) }
rule elf_segments_type { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].type=", elf.segments[i].type)) }
rule elf_segments_flags { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].flags=", elf.segments[i].flags)) }
rule elf_segments_offset { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].offset=", elf.segments[i].offset)) }
rule elf_segments_virtual_address { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].virtual_address=", elf.segments[i].virtual_address)) }
rule elf_segments_physical_address { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].physical_address=", elf.segments[i].physical_address)) }
rule elf_segments_file_size { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].file_size=", elf.segments[i].file_size)) }
rule elf_segments_memory_size { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].memory_size=", elf.segments[i].memory_size)) }
rule elf_segments_alignment { condition: for all i in (0..elf.number_of_segments - 1) : (console.log("segments[", i) and console.log("].alignment=", elf.segments[i].alignment)) }
rule elf_entrypoint_keyword { condition: console.log("entrypoint=", entrypoint) }
rule elf_past_end { condition: console.log("past=", elf.sections[elf.number_of_sections].name) }
rule elf_is_exec { condition: uint32(0) == 0x464c457f and elf.type == elf.ET_EXEC }
