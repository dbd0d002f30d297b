rule wide_nocase { strings: $a = "CaRd" wide nocase condition: $a }
rule wide_fullword { strings: $a = "eval" wide fullword condition: $a }
rule xor_wide { strings: $a = "skim" xor(2) wide condition: $a }
rule b64_wide_mod { strings: $a = "payment" base64 wide condition: $a }
rule b64_both { strings: $a = "payment" base64 base64wide condition: $a }
rule not_undef { strings: $a = "ab" condition: not (@a[50] == 1) }
rule undef_and { strings: $a = "ab" condition: (@a[50] == 1) or #a > 0 }
rule neg_at { strings: $a = "ab" condition: $a at -1 or true }
rule count_zero_of { strings: $a = "zzzz" $b = "qqqq" condition: 0 of them }
rule pct_round { strings: $a = "ab" $b = "cd" $c = "zz" condition: 34% of them }
rule for_none { strings: $a = "ab" condition: for none i in (1..#a) : ( @a[i] > 1000 ) }
rule for_range_empty { strings: $a = "zzzz" condition: for all i in (1..#a) : ( false ) }
rule for_range_empty_any { strings: $a = "zzzz" condition: for any i in (1..#a) : ( true ) }
rule int_readout { condition: uint32(filesize) == 0 or true }
rule int_readout_undef { condition: not (uint32(filesize) == 0) }
rule div_zero { condition: not (1 \ (filesize - filesize) == 0) }
rule shifts { condition: (1 << 63) < 0 and (-8 >> 1) == -4 and (1 << 64) == 0 }
rule string_cmp { condition: "abc" < "abd" and "b" > "abc" }
rule hex_alt_nested { strings: $a = { 61 ( 62 ( 63 | 64 ) | 65 ) } condition: #a == 1 }
rule regex_nocase_class { strings: $a = /[A-C]{2}d/i condition: $a }
rule regex_dot_newline { strings: $a = /b.d/ condition: $a }
rule regex_dollar { strings: $a = /cd$/ condition: $a }
rule regex_caret_mid { strings: $a = /b^c/ condition: $a }
rule regex_braces_literal { strings: $a = /a{,2}b/ condition: $a }
rule regex_counted_length { strings: $a = /a(b|bc)d?/ condition: !a[1] == 2 }
rule overlapping { strings: $a = "aa" condition: #a == 3 }
rule fullword_digits { strings: $a = "12" fullword condition: $a }
rule them_at { strings: $a = "ab" $b = "zz" condition: any of them in (0..0) }
rule float_cmp { condition: 0.1 + 0.2 > 0.3 }
rule mixed_cmp { condition: 3 == 3.0 and 2 < 2.5 }
rule filesize_units { condition: filesize < 1KB and filesize > 0 }
