import "math"
import "console"

// Each probe logs a labelled value: yara prints console lines as it
// evaluates, so the test compares the exact values, and logs nothing for an
// undefined argument or result.
rule entropy_whole { condition: console.log("entropy_whole=", math.entropy(0, filesize)) }
rule entropy_empty_range { condition: console.log("entropy_empty_range=", math.entropy(0, 0)) }
rule entropy_at_end { condition: console.log("entropy_at_end=", math.entropy(filesize, 1)) }
rule entropy_last_byte { condition: console.log("entropy_last_byte=", math.entropy(filesize - 1, 1)) }
rule entropy_past_end { condition: console.log("entropy_past_end=", math.entropy(1, filesize + 100)) }
rule entropy_negative_offset { condition: console.log("entropy_negative_offset=", math.entropy(-1, 5)) }
rule entropy_negative_length { condition: console.log("entropy_negative_length=", math.entropy(0, -1)) }
rule entropy_huge_length { condition: console.log("entropy_huge_length=", math.entropy(2, 0x7fffffffffffffff)) }
rule entropy_string { condition: console.log("entropy_string=", math.entropy("aabbbc\x00\xff")) }
rule entropy_empty_string { condition: console.log("entropy_empty_string=", math.entropy("")) }
rule entropy_defined_at_end { condition: defined math.entropy(filesize, 1) }
rule entropy_not_defined_at_end { condition: not defined math.entropy(filesize, 1) }
rule entropy_high { condition: math.entropy(0, filesize) >= 7.0 }
rule entropy_float_eq { condition: math.entropy("ab") == 1.0 }
rule entropy_int_cmp { condition: math.entropy("abcd") == 2 }

rule mean_whole { condition: console.log("mean_whole=", math.mean(0, filesize)) }
rule mean_empty_range { condition: console.log("mean_empty_range=", math.mean(0, 0)) }
rule mean_past_end { condition: console.log("mean_past_end=", math.mean(3, 1000)) }
rule mean_at_end { condition: console.log("mean_at_end=", math.mean(filesize, 0)) }
rule mean_string { condition: console.log("mean_string=", math.mean("\x01\x02\x03\xff")) }
rule mean_empty_string { condition: console.log("mean_empty_string=", math.mean("")) }
rule mean_empty_string_defined { condition: defined math.mean("") }
rule mean_bytes { condition: console.log("mean_bytes=", math.MEAN_BYTES) }
rule mean_near_middle { condition: math.in_range(math.mean(0, filesize), 100.0, 150.0) }

rule deviation_whole { condition: console.log("deviation_whole=", math.deviation(0, filesize, math.MEAN_BYTES)) }
rule deviation_zero_mean { condition: console.log("deviation_zero_mean=", math.deviation(0, filesize, 0.0)) }
rule deviation_empty_range { condition: console.log("deviation_empty_range=", math.deviation(1, 0, 1.5)) }
rule deviation_past_end { condition: console.log("deviation_past_end=", math.deviation(filesize + 1, 4, 1.5)) }
rule deviation_string { condition: console.log("deviation_string=", math.deviation("abc", 98.5)) }
rule deviation_empty_string { condition: console.log("deviation_empty_string=", math.deviation("", 98.5)) }

rule serial_whole { condition: console.log("serial_whole=", math.serial_correlation(0, filesize)) }
rule serial_empty_range { condition: console.log("serial_empty_range=", math.serial_correlation(0, 0)) }
rule serial_one_byte { condition: console.log("serial_one_byte=", math.serial_correlation(0, 1)) }
rule serial_past_end { condition: console.log("serial_past_end=", math.serial_correlation(filesize, 5)) }
rule serial_string { condition: console.log("serial_string=", math.serial_correlation("abcdefgh")) }
rule serial_string2 { condition: console.log("serial_string2=", math.serial_correlation("\x00\xff\x10\x80zz")) }
rule serial_constant_string { condition: console.log("serial_constant_string=", math.serial_correlation("aaaa")) }
rule serial_empty_string { condition: console.log("serial_empty_string=", math.serial_correlation("")) }

rule pi_whole { condition: console.log("pi_whole=", math.monte_carlo_pi(0, filesize)) }
rule pi_five_bytes { condition: console.log("pi_five_bytes=", math.monte_carlo_pi(0, 5)) }
rule pi_six_bytes { condition: console.log("pi_six_bytes=", math.monte_carlo_pi(0, 6)) }
rule pi_thirteen_bytes { condition: console.log("pi_thirteen_bytes=", math.monte_carlo_pi(1, 13)) }
rule pi_string { condition: console.log("pi_string=", math.monte_carlo_pi("abcdefghijklm")) }
rule pi_short_string { condition: console.log("pi_short_string=", math.monte_carlo_pi("abcde")) }
rule pi_high_string { condition: console.log("pi_high_string=", math.monte_carlo_pi("\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00\x00\x01")) }

rule in_range_inside { condition: console.log("in_range_inside=", math.in_range(1.5, 1.0, 2.0)) }
rule in_range_bounds { condition: console.log("in_range_bounds=", math.in_range(1.0, 1.0, 1.0)) }
rule in_range_outside { condition: console.log("in_range_outside=", math.in_range(2.5, 1.0, 2.0)) }
rule in_range_reversed { condition: console.log("in_range_reversed=", math.in_range(1.5, 2.0, 1.0)) }

rule max_plain { condition: console.log("max_plain=", math.max(3, 7)) }
rule max_negative { condition: console.log("max_negative=", math.max(-1, 7)) }
rule min_negative { condition: console.log("min_negative=", math.min(-1, 7)) }
rule min_filesize { condition: console.log("min_filesize=", math.min(filesize, 5)) }
rule to_number_true { condition: console.log("to_number_true=", math.to_number(filesize > 3)) }
rule to_number_false { condition: console.log("to_number_false=", math.to_number(1 == 2)) }
rule abs_negative { condition: console.log("abs_negative=", math.abs(-42)) }
rule abs_min { condition: console.log("abs_min=", math.abs(-0x7fffffffffffffff - 1)) }
rule abs_filesize { condition: console.log("abs_filesize=", math.abs(2 - filesize)) }

rule count_range { condition: console.log("count_range=", math.count(0x41, 0, filesize)) }
rule count_whole { condition: console.log("count_whole=", math.count(0x41)) }
rule count_zero_byte { condition: console.log("count_zero_byte=", math.count(0)) }
rule count_empty_range { condition: console.log("count_empty_range=", math.count(0x41, 0, 0)) }
rule count_past_end { condition: console.log("count_past_end=", math.count(0x41, filesize, 3)) }
rule percentage_range { condition: console.log("percentage_range=", math.percentage(0x41, 0, filesize)) }
rule percentage_whole { condition: console.log("percentage_whole=", math.percentage(0x6c)) }
rule percentage_empty_range { condition: console.log("percentage_empty_range=", math.percentage(0x41, 1, 0)) }
rule mode_range { condition: console.log("mode_range=", math.mode(0, filesize)) }
rule mode_whole { condition: console.log("mode_whole=", math.mode()) }
rule mode_empty_range { condition: console.log("mode_empty_range=", math.mode(0, 0)) }
rule mode_past_end { condition: console.log("mode_past_end=", math.mode(filesize, 1)) }
rule mode_tail { condition: console.log("mode_tail=", math.mode(filesize - 3, 100)) }
rule count_of_them { condition: math.count(0x41) > 100 }
rule mean_high_string { condition: console.log("mean_high_string=", math.mean("\x80\xff\x7f\x00")) }
rule deviation_high_string { condition: console.log("deviation_high_string=", math.deviation("\x80\xff\x7f\x00", 10.0)) }
rule entropy_high_string { condition: console.log("entropy_high_string=", math.entropy("\x80\xff\x7f\x00\x80")) }
rule pi_high_string2 { condition: console.log("pi_high_string2=", math.monte_carlo_pi("\x80\x90\xa0\xb0\xc0\xd0\x01\x02\x03\x04\x05\x06\xff\xfe\xfd\xfc\xfb\xfa")) }
rule serial_high_range { condition: console.log("serial_high_range=", math.serial_correlation(0, filesize)) }
