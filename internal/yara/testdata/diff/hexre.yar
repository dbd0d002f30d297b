rule hex_plain { strings: $a = { 3C 73 63 72 69 70 74 } condition: $a }
rule hex_wild { strings: $a = { 61 ?? 63 } condition: $a }
rule hex_nibble { strings: $a = { 6? 62 ?3 } condition: $a }
rule hex_jump { strings: $a = { 61 62 [2-4] 65 } condition: $a }
rule hex_jump_open { strings: $a = { 3C 73 [-] 3E } condition: $a }
rule hex_jump_fixed { strings: $a = { 61 [2] 64 } condition: $a }
rule hex_alt { strings: $a = { 63 ( 76 76 | 61 72 64 ) } condition: $a }
rule hex_alt_wild { strings: $a = { 28 ( 61 62 | 63 ?? ) 29 } condition: $a }
rule hex_jump_unbounded_from { strings: $a = { 61 [3-] 7A } condition: $a }
rule re_plain { strings: $a = /fetch\(['"]https?:\/\/[a-z.]+/ condition: $a }
rule re_nocase { strings: $a = /DOCUMENT\.COOKIE/i condition: $a }
rule re_dotall { strings: $a = /start.end/s condition: $a }
rule re_nodot { strings: $a = /start.end/ condition: $a }
rule re_class { strings: $a = /[0-9]{4}[ -]?[0-9]{4}/ condition: $a }
rule re_alt { strings: $a = /(cvv|cvc|csc)[0-9]?=/ condition: $a }
rule re_wide { strings: $a = /ca+rd/ wide condition: $a }
rule re_fullword { strings: $a = /ev[a-z]l/ fullword condition: $a }
rule re_anchor { strings: $a = /^<script/ condition: $a }
rule re_end { strings: $a = /script>$/ condition: $a }
rule re_word { strings: $a = /\bpay\b/ condition: $a }
rule re_lazy { strings: $a = /a.*?c/ condition: !a[1] == 3 }
rule re_greedy { strings: $a = /a.*c/ condition: !a[1] > 3 }
rule re_escape { strings: $a = /\x41\x42\d\s\w/ condition: $a }
rule re_count { strings: $a = /a[b-d]/ condition: #a == 4 }
rule re_nocase_mod { strings: $a = /PAYMENT/ nocase condition: $a }
rule re_repeat { strings: $a = /b{2,3}/ condition: !a[1] == 3 }
