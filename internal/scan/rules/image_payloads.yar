/*
 * Skimmer and backdoor code stored inside images and SVGs, where a file
 * integrity check by extension or a glance at the page would not look.
 *
 * Written for skimwatch from published descriptions. Core YARA only.
 */

rule svg_embedded_script
{
    meta:
        description = "An SVG image carries script (a <script> element, an event handler such as onload, or a javascript: link), or an inline <svg> element in a page carries an event handler"
        severity = "high"
        reference = "Sansec research on skimmers hidden in SVG social-media icons (2020); OWASP, 'Cross Site Scripting' (SVG vectors)"
        family = "magecart"

    strings:
        $xml = "<?xml" nocase
        $svg = "<svg" nocase
        $doctype = "<!DOCTYPE svg" nocase
        $script = "<script" nocase
        // Attribute handlers are written in lower case after a space; JavaScript
        // properties (onLoad, x.onload = f) are not, so libraries that build
        // SVG in code do not match.
        $on_handler = /\son(load|error|begin|end|focus|focusin|mouseover|click|activate|animationstart|repeat)\s*=\s*(["'][^"'\n]{0,20}[a-zA-Z_$(]|[a-zA-Z_$(])/
        $javascript_link = /href\s*=\s*["']\s*javascript:/ nocase
        // The Sansec case: a skimmer in an inline <svg> element of a page,
        // run by a handler on the element or one of its children.
        $inline_handler = /<svg[^\n]{0,400}\son(load|error|begin|end|focus|focusin|mouseover|click|activate|animationstart|repeat)\s*=\s*["'][^"'\n]{0,400}(atob|eval|fromCharCode|createElement|\.src\s*=|Function\s*\(|\\x[0-9a-fA-F]{2})/ nocase

    condition:
        (($svg in (0..64) or ($xml in (0..3) and $svg in (0..2048)) or $doctype in (0..1024))
            and ($script or $javascript_link or $on_handler))
        or $inline_handler
}

rule image_embedded_code
{
    meta:
        description = "A PNG, JPEG or GIF file also holds PHP or JavaScript code, in its metadata or after the image data (a polyglot or hidden payload)"
        severity = "critical"
        reference = "Malwarebytes Labs, 'Web skimmer hides within EXIF metadata, exfiltrates credit cards via image files' (2020); MITRE ATT&CK T1027.003 Steganography"
        family = "polyglot"

    strings:
        $png = { 89 50 4E 47 0D 0A 1A 0A }
        $jpeg = { FF D8 FF }
        $gif = "GIF8"

        $c_php = "<?php" nocase
        $c_script = "<script" nocase
        $c_eval = /\beval\s*\(/
        $c_atob = "atob("
        $c_fcc = "String.fromCharCode("
        $c_create = "document.createElement("
        $c_request = /\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        $c_b64 = /base64_decode\s*\(/
        $c_inflate = /gzinflate\s*\(/
        $c_rot13 = /str_rot13\s*\(/
        $c_shell = /shell_exec\s*\(/
        $c_passthru = /passthru\s*\(/

    condition:
        ($png at 0 or $jpeg at 0 or $gif at 0) and any of ($c_*)
}

rule image_exif_regex_eval
{
    meta:
        description = "A JPEG's EXIF metadata holds a regular expression with the /e modifier, the trigger half of a payload run by preg_replace over EXIF fields"
        severity = "critical"
        reference = "Sucuri and others on PHP backdoors hidden in EXIF headers of JPEG files (2013 onward); MITRE ATT&CK T1027.003 Steganography"
        family = "polyglot"

    strings:
        $jpeg = { FF D8 FF }
        $exif = { 45 78 69 66 00 00 }
        $regex_e = /\/[^\/\x00]{1,40}\/e\x00/
        $regex_ie = /\/[^\/\x00]{1,40}\/ie\x00/

    condition:
        $jpeg at 0 and $exif in (0..64) and any of ($regex_*)
}
