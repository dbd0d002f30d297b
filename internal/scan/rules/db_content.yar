/*
 * Skimmers stored in a shop's database: script tags with obfuscated
 * loaders in CMS content rows that every page renders (Magento's
 * core_config_data design/head and footer values and cms_block, WordPress's
 * wp_options and posts, EC-CUBE's dtb_* HTML columns). `skimwatch scan --db`
 * feeds each value to the rules; the same text in a static HTML file matches
 * too.
 *
 * Written for skimwatch from published descriptions. Core YARA only.
 */

rule db_injected_script_loader
{
    meta:
        description = "An HTML fragment holds a <script> element whose code is obfuscated (atob, String.fromCharCode, eval, unescape of %-escapes, obfuscator-style _0x names, runs of \\x escapes), as skimmers injected into CMS blocks and configuration rows are"
        severity = "high"
        reference = "Sansec research on Magecart stored in Magento core_config_data and CMS blocks (2019-2023); Sucuri on malicious scripts injected into wp_options and wp_posts; MITRE ATT&CK T1027 Obfuscated Files or Information"
        family = "loader"

    strings:
        $tag = /<script(\s[^<>\n]{0,200})?>/ nocase
        $o_atob = "atob("
        $o_fcc = "fromCharCode("
        // eval of anything but a plain string literal (test pages eval('2*2')).
        $o_eval = /\beval\s*\(\s*[^"'\s)]/
        $o_unescape = /unescape\s*\(\s*["']%/
        $o_hexname = /_0x[0-9a-f]{4,6}\b/
        $o_hexesc = /(\\x[0-9a-fA-F]{2}){8}/
        $o_unicode = /(\\u00[0-9a-fA-F]{2}){8}/
        $end = "</script" nocase

    condition:
        // The obfuscation sits inside a script element: between an opening
        // tag and its own closing tag (the first one after it), at most 8 KB
        // on. JavaScript libraries that only write "<script ...></script>"
        // strings have nothing between the two. Counts are capped and only
        // one closing tag per opening tag reaches the inner test, so a
        // hostile file cannot make the condition quadratic.
        filesize < 2MB and #tag <= 200 and #end <= 200 and
        for any i in (1..#tag) : (
            for any j in (1..#end) : (
                @end[j] > @tag[i] and @end[j] < @tag[i] + 8192 and
                (j == 1 or @end[j - 1] < @tag[i]) and
                for any of ($o_*) : ($ in (@tag[i] .. @end[j]))
            )
        )
}
