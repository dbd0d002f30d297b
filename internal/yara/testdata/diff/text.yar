rule plain { strings: $a = "atob(" condition: $a }
rule nocase_s { strings: $a = "document.cookie" nocase condition: $a }
rule wide_s { strings: $a = "card" wide condition: $a }
rule wide_ascii { strings: $a = "card" wide ascii condition: #a >= 2 }
rule fullword_s { strings: $a = "eval" fullword condition: $a }
rule xor_s { strings: $a = "skimmer" xor condition: $a }
rule xor_range { strings: $a = "skimmer" xor(1-3) condition: $a }
rule b64 { strings: $a = "payment" base64 condition: $a }
rule b64wide { strings: $a = "payment" base64wide condition: $a }
rule b64custom { strings: $a = "payment" base64("!@#$%^&*(){}[].,|ABCDEFGHIJ\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu") condition: $a }
rule count3 { strings: $a = "ab" condition: #a == 3 }
rule at0 { strings: $a = "<script" condition: $a at 0 }
rule in_range { strings: $a = "fetch" condition: $a in (0..100) }
rule offsets { strings: $a = "ab" condition: @a[2] - @a[1] == 2 }
rule lengths { strings: $a = /a[bc]+/ condition: !a[1] == 3 }
rule filesize_s { condition: filesize < 1KB }
rule readint { condition: uint16(0) == 0x733c or uint8(0) == 0x61 or uint32be(0) == 0x3c736372 }
rule int_signed { condition: int8(0) < 0 }
rule of_any { strings: $a = "cvv" $b = "cc_number" $c = "expiry" condition: any of them }
rule of_two { strings: $a = "cvv" $b = "cc_number" $c = "expiry" condition: 2 of ($a, $b, $c) }
rule of_all { strings: $x1 = "cvv" $x2 = "expiry" condition: all of ($x*) }
rule of_none { strings: $a = "cvv" $b = "card" condition: none of them }
rule of_pct { strings: $a = "cvv" $b = "card" $c = "zzzqq" condition: 50% of them }
rule for_of { strings: $a = "ab" $b = "cd" condition: for any of ($a, $b) : ( $ at 0 ) }
rule for_in { strings: $a = "ab" condition: for all i in (1..#a) : ( @a[i] < 100 ) and #a > 0 }
rule for_list { strings: $a = "ab" condition: for any i in (1, 2, 3) : ( @a[i] == 4 ) }
rule arith { condition: (3 + 4 * 2 - 1) \ 2 == 5 and 7 % 3 == 1 and (1 << 4 | 1) == 17 and (6 & 3) ^ 1 == 3 and ~0 == -1 and 0x10 == 16 and 0o17 == 15 and 2KB == 2048 and 1MB == 1048576 }
rule floats { condition: 1.5 + 1 > 2.4 }
rule strops { condition: "abcdef" contains "cd" and "ABC" icontains "b" and "abc" startswith "ab" and "abc" iendswith "BC" and "abc" iequals "ABC" and "hello" matches /h.l+o/ }
rule ref_rule { condition: plain and not nocase_s }
private rule priv { strings: $a = "card" condition: $a }
rule uses_priv { condition: priv }
rule tagged : tag1 tag2 { meta: author = "x" score = -5 ok = true strings: $a = "cvv" condition: $a }
rule count_in { strings: $a = "ab" condition: #a in (0..10) == 2 }
rule of_in { strings: $a = "ab" $b = "cd" condition: any of ($a, $b) in (0..3) }
rule undef_off { strings: $a = "ab" condition: not defined @a[100] }
rule undef_or { strings: $a = "ab" condition: @a[100] == 5 or true }
