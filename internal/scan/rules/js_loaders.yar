/*
 * Skimmer loaders: the small stub planted in a page, a theme file or a
 * database row that fetches the real skimmer at run time, so the planted
 * text itself holds no card-stealing code.
 *
 * Written for skimwatch from published descriptions of loader behaviour.
 * Core YARA only (no modules).
 */

rule js_script_injection_loader
{
    meta:
        description = "JavaScript adds a <script> element whose address or code is decoded at run time (atob, String.fromCharCode, unescape, reversed or hex-escaped text), the stub that loads a skimmer from a lookalike domain"
        severity = "high"
        reference = "RiskIQ and Flashpoint, 'Inside Magecart' (2018), on loaders that inject scripts from lookalike domains; Sansec, 'Magecart loaders hidden in CMS blocks' research notes (2020-2023); MITRE ATT&CK T1027 Obfuscated Files or Information"
        family = "loader"

    strings:
        $create = /createElement\s*\(\s*["']script["']\s*\)/
        $create_decoded = /createElement\s*\(\s*(atob|String\.fromCharCode|unescape)\s*\(/

        $src_atob = /\.src\s*=\s*(window\.|self\.)?atob\s*\(/
        $src_fcc = /\.src\s*=\s*String\.fromCharCode\s*\(/
        $src_unescape = /\.src\s*=\s*(unescape|decodeURIComponent)\s*\(\s*["']%/
        $src_reverse = /\.src\s*=\s*["'][^"'\n]{4,200}["']\s*\.split\s*\(\s*["']["']\s*\)\s*\.reverse\s*\(\s*\)\s*\.join\s*\(/
        $src_hex = /\.src\s*=\s*["'](\\x[0-9a-fA-F]{2}){8}/
        $attr_atob = /setAttribute\s*\(\s*["']src["']\s*,\s*(window\.)?(atob|String\.fromCharCode|unescape)\s*\(/
        // Literal pieces glued together: there is no reason to split a
        // constant address or tag name except to hide it from a search.
        $src_split = /\.src\s*=\s*["'](https?:)?\/\/["']\s*\+\s*["'][a-zA-Z0-9-]/
        $create_split = /createElement\s*\(\s*["'][a-z]{1,5}["']\s*\+\s*["'][a-z]{1,5}["']\s*\)/
        $text_atob = /\.(text|textContent|innerHTML)\s*=\s*(window\.)?(atob|String\.fromCharCode|unescape)\s*\(/

    condition:
        ($create and any of ($src_*, $attr_atob, $text_atob)) or $create_decoded or ($create_split and any of ($src_*))
}

rule js_websocket_loader
{
    meta:
        description = "JavaScript opens a WebSocket and runs what the server sends as code (eval, new Function or a script element), a loader that keeps the skimmer off disk"
        severity = "critical"
        reference = "Sansec and Akamai research on WebSocket-based Magecart loaders (2021-2023); MITRE ATT&CK T1059.007 Command and Scripting Interpreter: JavaScript"
        family = "loader"

    strings:
        $socket = /new\s+WebSocket\s*\(/
        $eval_data = /eval\s*\(\s*[a-zA-Z_$][a-zA-Z0-9_$]{0,20}\.data\s*\)/
        $func_data = /Function\s*\(\s*[a-zA-Z_$][a-zA-Z0-9_$]{0,20}\.data\s*\)/
        $text_data = /\.(text|textContent|innerHTML)\s*=\s*[a-zA-Z_$][a-zA-Z0-9_$]{0,20}\.data\s*[;,)]/
        $eval_atob_data = /eval\s*\(\s*(window\.)?atob\s*\(\s*[a-zA-Z_$][a-zA-Z0-9_$]{0,20}\.data\s*\)/

    condition:
        $socket and any of ($eval_data, $func_data, $text_data, $eval_atob_data)
}

rule js_encoded_checkout_words
{
    meta:
        description = "JavaScript hides the words a skimmer looks for (checkout, onepage, onestepcheckout, card-field names) in base64, \\x escapes or character codes, and decodes or runs code; no library has a reason to hide them"
        severity = "high"
        reference = "RiskIQ and Flashpoint, 'Inside Magecart' (2018); Sansec research on obfuscated Magecart kits (2019-2023); MITRE ATT&CK T1027 Obfuscated Files or Information"
        family = "magecart"

    strings:
        $b64_checkout = "checkout" base64
        $b64_onepage = "onepage" base64
        $b64_onestep = "onestepcheckout" base64
        $b64_ccnumber = "cc_number" base64
        $b64_cardnumber = "cardnumber" base64
        $b64_cccid = "cc_cid" base64
        $hex_checkout = "\\x63\\x68\\x65\\x63\\x6b\\x6f\\x75\\x74" nocase
        $hex_onepage = "\\x6f\\x6e\\x65\\x70\\x61\\x67\\x65" nocase
        $hex_cardnumber = "\\x63\\x61\\x72\\x64\\x6e\\x75\\x6d" nocase
        $fcc_checkout = "99,104,101,99,107,111,117,116"
        $fcc_checkout_spaced = "99, 104, 101, 99, 107, 111, 117, 116"
        $fcc_onepage = "111,110,101,112,97,103,101"
        $fcc_onepage_spaced = "111, 110, 101, 112, 97, 103, 101"
        $hex_ccnumber = "\\x63\\x63\\x5f\\x6e\\x75\\x6d" nocase

        $run_atob = "atob("
        $run_eval = /\beval\s*\(/
        $run_function = /\bFunction\s*\(/
        $run_location = /location\s*(\.|\[)/

    condition:
        filesize < 2MB and any of ($b64_*, $hex_*, $fcc_*) and any of ($run_*)
}

rule js_obfuscator_string_array
{
    meta:
        description = "JavaScript packed by a string-array obfuscator (_0x names, the array rotated with push/shift or checked with parseInt sums), the packing most Magecart kits ship in; review what the code does"
        severity = "medium"
        reference = "Sansec and Jscrambler research on obfuscated Magecart kits (2019-2023); MITRE ATT&CK T1027 Obfuscated Files or Information"
        family = "loader"

    strings:
        $hexname = /_0x[0-9a-f]{4,6}\b/
        $rotate = /\[\s*["']push["']\s*\]\s*\(\s*_0x[0-9a-f]{4,6}\s*\[\s*["']shift["']\s*\]\s*\(\s*\)\s*\)/
        $rotate_dot = /\.push\s*\(\s*_0x[0-9a-f]{4,6}\.shift\s*\(\s*\)\s*\)/
        $checksum = /parseInt\s*\(\s*_0x[0-9a-f]{4,6}\s*\(\s*0x[0-9a-f]{1,4}\s*\)\s*\)\s*\/\s*0x[0-9a-f]{1,2}/

    condition:
        #hexname > 20 and any of ($rotate, $rotate_dot, $checksum)
}
