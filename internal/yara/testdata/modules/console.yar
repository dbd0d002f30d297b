import "console"
import "math"

rule log_string { condition: console.log("plain") }
rule log_two_strings { condition: console.log("a: ", "b") }
rule log_escapes { condition: console.log("tab\there\x00\xff\x7f~") }
rule log_int { condition: console.log(filesize) }
rule log_negative { condition: console.log("n=", -5) }
rule log_float { condition: console.log(1.25) }
rule log_float_msg { condition: console.log("f=", 0.1) }
rule hex_int { condition: console.hex(255) }
rule hex_negative { condition: console.hex("h=", -1) }
rule log_undefined_argument { condition: console.log("never=", uint8(filesize)) }
rule log_value_is_true { condition: console.log("x") and console.log("y") }
rule log_short_circuit { condition: filesize > 100000 and console.log("not printed") }
rule log_in_loop { condition: for 2 i in (1..3) : (console.log("i=", i)) }
// "for none i in" is left out: yara 4.2.3 stops after the first item and
// reports true whatever the body says (see DIFFERENCES.md).
rule loop_all { condition: for all i in (1..3) : (console.log("all=", i) and i < 4) }
rule loop_two_of_four { condition: for 2 i in (1..4) : (console.log("two=", i) and i > 1) }
rule loop_list { condition: for any k in (5, 6) : (console.log("k=", k) and k == 6) }
rule for_of_any { strings: $a = "A" $b = "l" $c = "o" condition: for any of ($a, $b, $c) : (console.log("of_any=", #)) }
rule for_of_two { strings: $a = "A" $b = "l" $c = "o" condition: for 2 of ($a, $b, $c) : (console.log("of_two") and $) }
rule for_of_all { strings: $a = "A" $b = "l" $c = "o" condition: for all of ($a, $b, $c) : (console.log("of_all") and $) }
rule for_of_them { strings: $a = "A" $b = "l" $c = "o" condition: for any of them : (console.log("of_them=", #)) }
rule for_of_wildcard { strings: $x1 = "A" $y = "l" $x2 = "o" condition: for any of ($x*, $y) : (console.log("of_wild=", #)) }
