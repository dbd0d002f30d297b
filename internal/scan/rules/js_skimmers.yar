/*
 * JavaScript web skimmers (Magecart, formjacking).
 *
 * Written for skimwatch from published descriptions of skimmer behaviour.
 * Each rule describes a behaviour, not one sample: card fields read and sent,
 * code decoded and run, a library banner hiding exfiltration code, data
 * leaving over WebSocket or image beacons, code fetched from non-script
 * resources. Rules use only core YARA (no modules) so that skimwatch's own
 * engine and the yara command-line tool agree on them.
 */

rule js_card_field_harvest
{
    meta:
        description = "JavaScript reads payment card fields (number, expiry, security code), encodes them and sends them off the page"
        severity = "critical"
        reference = "RiskIQ, 'Inside the Magecart Breach of British Airways: How 22 Lines of Code Claimed 380,000 Victims' (2018); MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $num_qs = /querySelector(All)?\s*\(\s*["'][^)\n]{0,60}(cc[_-]?num|card[_-]?num|cardnumber|cc-number|credit[_-]?card|card[_-]?no\b|cardno|ccard)/ nocase
        $num_id = /getElementById\s*\(\s*["'][^)\n]{0,60}(cc[_-]?num|card[_-]?num|cardnumber|cc-number|credit[_-]?card|card[_-]?no\b|cardno|ccard)/ nocase
        $num_nm = /getElementsByName\s*\(\s*["'][^)\n]{0,60}(cc[_-]?num|card[_-]?num|cardnumber|cc-number|credit[_-]?card|card[_-]?no\b|cardno|ccard)/ nocase
        $num_jq = /\$\(\s*["'][^)\n]{0,60}(cc[_-]?num|card[_-]?num|cardnumber|cc-number|credit[_-]?card|card[_-]?no\b|cardno|ccard)/ nocase
        $cvv_qs = /querySelector(All)?\s*\(\s*["'][^)\n]{0,60}(cvv|cvc|cc[_-]?cid|security[_-]?code|card[_-]?code|cc-csc|card[_-]?csc)/ nocase
        $cvv_id = /getElementById\s*\(\s*["'][^)\n]{0,60}(cvv|cvc|cc[_-]?cid|security[_-]?code|card[_-]?code|cc-csc|card[_-]?csc)/ nocase
        $cvv_nm = /getElementsByName\s*\(\s*["'][^)\n]{0,60}(cvv|cvc|cc[_-]?cid|security[_-]?code|card[_-]?code|cc-csc|card[_-]?csc)/ nocase
        $cvv_jq = /\$\(\s*["'][^)\n]{0,60}(cvv|cvc|cc[_-]?cid|security[_-]?code|card[_-]?code|cc-csc|card[_-]?csc)/ nocase
        $exp_qs = /querySelector(All)?\s*\(\s*["'][^)\n]{0,60}(exp(iry|iration|ire)?[_-]?(date|month|year|mm|yy)|cc[_-]?exp|card[_-]?exp)/ nocase
        $exp_id = /getElementById\s*\(\s*["'][^)\n]{0,60}(exp(iry|iration|ire)?[_-]?(date|month|year|mm|yy)|cc[_-]?exp|card[_-]?exp)/ nocase
        $exp_nm = /getElementsByName\s*\(\s*["'][^)\n]{0,60}(exp(iry|iration|ire)?[_-]?(date|month|year|mm|yy)|cc[_-]?exp|card[_-]?exp)/ nocase
        $exp_jq = /\$\(\s*["'][^)\n]{0,60}(exp(iry|iration|ire)?[_-]?(date|month|year|mm|yy)|cc[_-]?exp|card[_-]?exp)/ nocase

        $s_fetch = /\bfetch\s*\(/
        $s_xhr = "XMLHttpRequest"
        $s_beacon = "sendBeacon"
        $s_image = /new\s+Image\b/
        $s_socket = /new\s+WebSocket\s*\(/

        // A checkout that sends the card to its payment provider serialises
        // it as JSON or a query string and reads the answer; skimmers hide
        // it (base64, escape) or send it where no answer comes back.
        $e_btoa = "btoa("
        $e_escape = /\bescape\s*\(/
        $blind_nocors = /mode\s*:\s*["']no-cors["']/

    condition:
        // Two different kinds of card field, whatever the accessor.
        ((any of ($num_*) and any of ($cvv_*)) or (any of ($num_*) and any of ($exp_*)) or (any of ($cvv_*) and any of ($exp_*)))
        and ((any of ($s_*) and any of ($e_*)) or $s_beacon or $s_image or $s_socket or $blind_nocors)
}

rule js_obfuscated_loader
{
    meta:
        description = "JavaScript decodes a hidden string and runs it as code (eval or new Function over atob, String.fromCharCode or unescape)"
        severity = "high"
        reference = "MITRE ATT&CK T1027 Obfuscated Files or Information; RiskIQ and Flashpoint, 'Inside Magecart' (2018)"
        family = "loader"

    strings:
        $eval_atob = /\beval\s*\(\s*(window\.|self\.|this\.)?atob\s*\(/
        $func_atob = /\bFunction\s*\(\s*(window\.|self\.)?atob\s*\(/
        $eval_fcc = /\beval\s*\(\s*String\.fromCharCode\s*\(/
        $func_fcc = /\bFunction\s*\(\s*String\.fromCharCode\s*\(/
        $eval_unescape = /\beval\s*\(\s*(unescape|decodeURIComponent|decodeURI)\s*\(/
        $split_eval = /\[\s*["']ev["']\s*\+\s*["']al["']\s*\]/
        $hex_eval = "[\"\\x65\\x76\\x61\\x6c\"]"
        $timer_atob = /setTimeout\s*\(\s*(window\.|self\.)?atob\s*\(/
        $interval_atob = /setInterval\s*\(\s*(window\.|self\.)?atob\s*\(/
        $index_eval_b64 = /\[\s*(window\.)?atob\s*\(\s*["']ZXZhbA==["']\s*\)\s*\]/
        $fcc_long = /String\.fromCharCode\s*\((\d{2,3}, ?){20}/
        $any_eval = /\beval\s*\(/
        $any_func = /\bFunction\s*\(/

    condition:
        any of ($eval_atob, $func_atob, $eval_fcc, $func_fcc, $eval_unescape, $split_eval, $hex_eval, $timer_atob, $interval_atob, $index_eval_b64)
        or ($fcc_long and ($any_eval or $any_func))
}

rule js_cdn_banner_exfil
{
    meta:
        description = "A file that opens with a well-known library's banner but carries code that watches the checkout and sends data away, as lookalike-CDN skimmers do"
        severity = "critical"
        reference = "RiskIQ, 'Inside the Magecart Breach of British Airways: How 22 Lines of Code Claimed 380,000 Victims' (2018), where skimming code was appended to a Modernizr library file"
        family = "magecart"

    strings:
        $banner = /\/\*[!*]?\s*\*?\s*(jQuery|jQuery JavaScript Library|jQuery Migrate|jQuery UI|Bootstrap|Lodash|Modernizr|Vue\.js|Popper|Swiper|Select2|Moment\.js|Knockout JavaScript library|Slick) ?(-|v|v\.)? ?\d/ nocase

        $s_fetch = /\bfetch\s*\(/
        $s_xhr = "XMLHttpRequest"
        $s_beacon = "sendBeacon"
        $s_image = /new\s+Image\b/
        $s_socket = /new\s+WebSocket\s*\(/

        $c_card_ccnum = /cc[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $c_card_cardnum = /card[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $c_card_cvv = /cvv[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $c_card_cvc = /cvc[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $c_card_cid = /cc[_-]?cid[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $c_card_billing = /billing[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $c_checkout = /location(\.href|\.pathname)?[^;\n]{0,40}["'][^"'\n]{0,20}(checkout|onepage|onestep|payment)/ nocase

    condition:
        $banner in (0..512) and any of ($s_*) and any of ($c_*)
}

rule js_websocket_exfil
{
    meta:
        description = "JavaScript opens a WebSocket and sends card or billing form data over it"
        severity = "critical"
        reference = "MITRE ATT&CK T1041 Exfiltration Over C2 Channel; public Magecart reports of skimmers exfiltrating over WebSocket (2020-2022)"
        family = "magecart"

    strings:
        $socket = /new\s+WebSocket\s*\(/
        $send = /\.send\s*\(/
        $card_ccnum = /cc[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cardnum = /card[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cvv = /cvv[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cvc = /cvc[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cid = /cc[_-]?cid[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_billing = /billing[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_expiry = /exp(iry)?[_-]?(date|month|year)[a-z0-9_\-\[\]]{0,30}["']/ nocase

    condition:
        $socket and $send and any of ($card_*)
}

rule js_image_beacon_exfil
{
    meta:
        description = "JavaScript sends encoded card or billing data in the URL of an image request (an image beacon)"
        severity = "critical"
        reference = "RiskIQ and Flashpoint, 'Inside Magecart' (2018); MITRE ATT&CK T1048 Exfiltration Over Alternative Protocol"
        family = "magecart"

    strings:
        $image = /new\s+Image\b/
        $src_concat = /\.src\s*=\s*[^;\n]{0,120}\+/
        $enc_btoa = "btoa("
        $enc_uri = /encodeURIComponent\s*\(/
        $enc_escape = /\bescape\s*\(/
        $card_ccnum = /cc[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cardnum = /card[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cvv = /cvv[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cvc = /cvc[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_cid = /cc[_-]?cid[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_billing = /billing[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $card_expiry = /exp(iry)?[_-]?(date|month|year)[a-z0-9_\-\[\]]{0,30}["']/ nocase

    condition:
        $image and $src_concat and any of ($enc_*) and any of ($card_*)
}

rule js_resource_eval_loader
{
    meta:
        description = "JavaScript fetches an image, icon, font or stylesheet and runs its content as code, hiding a skimmer in a non-script resource"
        severity = "high"
        reference = "Malwarebytes Labs, 'Web skimmer hides within EXIF metadata, exfiltrates credit cards via image files' (2020); MITRE ATT&CK T1027.003 Steganography"
        family = "loader"

    strings:
        $res_fetch = /fetch\s*\([^)\n]{0,120}\.(png|jpe?g|gif|svg|ico|css|woff2?|webp)\b/ nocase
        $res_open = /\.open\s*\([^)\n]{0,120}\.(png|jpe?g|gif|svg|ico|css|woff2?|webp)\b/ nocase
        $txt_text = /\.text\s*\(\s*\)/
        $txt_response = "responseText"
        $txt_pixels = "getImageData"
        $txt_buffer = /\.arrayBuffer\s*\(\s*\)/
        $sink_eval = /\beval\s*\(/
        $sink_function = /\bFunction\s*\(/
        $sink_then = /\.then\s*\(\s*eval\s*\)/

    condition:
        any of ($res_*) and any of ($txt_*) and any of ($sink_*)
}

rule js_fake_card_form
{
    meta:
        description = "JavaScript builds card-entry fields (card number, security code) into the page itself and sends what is typed, as the fake payment forms placed before a hand-off to the payment provider do"
        severity = "high"
        reference = "Trustwave SpiderLabs and others on Magecart fake payment forms injected into checkout pages (2019-2021); MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $markup_number = /<input[^>\n]{0,200}(autocomplete\s*=\s*\\?["']cc-number|name\s*=\s*\\?["'][^"'\\\n]{0,30}(cc[_-]?num|card[_-]?num|cardnumber))/ nocase
        $markup_cvv = /<input[^>\n]{0,200}(autocomplete\s*=\s*\\?["']cc-csc|name\s*=\s*\\?["'][^"'\\\n]{0,30}(cvv|cvc|cc[_-]?cid|security[_-]?code))/ nocase
        $inject_html = /\.(innerHTML|outerHTML|insertAdjacentHTML)\b/
        $inject_write = "document.write("

        $s_fetch = /\bfetch\s*\(/
        $s_xhr = "XMLHttpRequest"
        $s_beacon = "sendBeacon"
        $s_image = /new\s+Image\b/
        $s_socket = /new\s+WebSocket\s*\(/

    condition:
        $markup_number and $markup_cvv and any of ($inject_*) and any of ($s_*)
}

rule js_form_input_sweep_exfil
{
    meta:
        description = "JavaScript listens to form events in the capture phase, reads field values inside the listener (every input, or whichever field the event came from) and sends them away; review where the data goes"
        severity = "medium"
        reference = "RiskIQ and Flashpoint, 'Inside Magecart' (2018), on generic form-grabbing skimmers; MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $sweep_qsa = /querySelectorAll\s*\(\s*["'](input|select|textarea|form\s+input)/
        $sweep_tag = /getElementsByTagName\s*\(\s*["']input/
        $sweep_forms = /document\.forms\b/
        $sweep_formdata = /new\s+FormData\s*\(/
        $sweep_target = /\.target\b/
        $listen = /addEventListener\s*\(\s*["'](submit|change|input|blur|focusout|keyup|keydown)["']/
        $capture = /\}\s*,\s*(true|!0|\{\s*capture\s*:\s*(true|!0)\s*\})\s*\)/
        $value = /\.value\b/

        $s_fetch = /\bfetch\s*\(/
        $s_xhr = "XMLHttpRequest"
        $s_beacon = "sendBeacon"
        $s_image = /new\s+Image\b/
        $s_socket = /new\s+WebSocket\s*\(/
        $s_cookie = /document\.cookie\s*=[^;\n]{0,120}(btoa|encodeURIComponent|escape)\s*\(/

    condition:
        any of ($sweep_*) and any of ($s_*) and
        // The listener starts and the value is read within the 2 KB before a
        // "}, true)" that closes a capture-phase listener. Libraries with
        // such listeners and a .value somewhere else in the file do not
        // match. One loop over the closes, with capped counts, keeps a
        // hostile file from making the condition quadratic.
        #capture <= 1000 and #listen <= 1000 and #value <= 50000 and
        for any j in (1..#capture) : (
            $listen in (@capture[j] - 2048 .. @capture[j]) and $value in (@capture[j] - 2048 .. @capture[j])
        )
}

rule js_card_field_list_exfil
{
    meta:
        description = "JavaScript names card fields (number with security code or expiry) and sends data the way skimmers do and checkouts never do: a no-cors or keep-alive request, a beacon, an image URL, a WebSocket or a cookie"
        severity = "critical"
        reference = "Sansec, Malwarebytes and Group-IB reports on Magecart kits for Magento, WooCommerce and other carts (2019-2023); MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $num_cc = /cc[_-]?num[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $num_card = /card[_-]?(num|no\b|no["'])[a-z0-9_\-\[\]]{0,30}["']?/ nocase
        $num_cardno = /cardno[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $cvv_cvv = /cvv[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $cvv_cvc = /cvc[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $cvv_cid = /cc[_-]?cid[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $cvv_security = /security[_-]?code[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $exp_cc = /cc[_-]?exp[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $exp_card = /card[_-]?exp[a-z0-9_\-\[\]]{0,30}["']/ nocase
        $exp_word = /exp(iry|iration|ire)?[_-]?(date|month|year)[a-z0-9_\-\[\]]{0,30}["']/ nocase

        $x_nocors = /mode\s*:\s*["']no-cors["']/
        $x_keepalive = /keepalive\s*:\s*(true|!0)/
        $x_beacon = /\.sendBeacon\s*\(\s*[^)\s]/  // a call with an argument, not a mention in prose
        $x_image = /new\s+Image\s*(\(\s*\))?\s*\.src\s*=/
        $x_socket = /new\s+WebSocket\s*\(/
        $x_cookie = /document\.cookie\s*=[^;\n]{0,120}(btoa|encodeURIComponent|escape)\s*\(/
        $x_window = /window\.open\s*\([^)\n]{0,200}(btoa|encodeURIComponent|escape)\s*\(/
        // A hidden form built by script and posted elsewhere.
        $x_form = /createElement\s*\(\s*["']form["']\s*\)/

    condition:
        any of ($num_*) and (any of ($cvv_*) or any of ($exp_*)) and any of ($x_*)
        // A wider net than the rules above: one finding per file, named by
        // the most specific rule that matched.
        and not js_card_field_harvest and not js_websocket_exfil and not js_image_beacon_exfil
}

rule js_payment_sdk_hook
{
    meta:
        description = "JavaScript replaces a payment library's tokenising function with its own and sends the card it is given before calling the real one"
        severity = "critical"
        reference = "Public Magecart reports of skimmers wrapping payment SDK calls (2020-2023); MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $hook_token = /\.createToken\s*=\s*function\b/
        $hook_method = /\.createPaymentMethod\s*=\s*function\b/
        $hook_confirm = /\.confirmCardPayment\s*=\s*function\b/
        $real = /\.apply\s*\(\s*this\s*,\s*arguments\s*\)/

        $s_fetch = /\bfetch\s*\(/
        $s_xhr = "XMLHttpRequest"
        $s_beacon = "sendBeacon"
        $s_image = /new\s+Image\b/
        $s_socket = /new\s+WebSocket\s*\(/

    condition:
        any of ($hook_*) and $real and any of ($s_*)
}

rule js_checkout_form_serialize_exfil
{
    meta:
        description = "JavaScript serialises the checkout or payment form as a whole (jQuery serialize, FormData), encodes it (base64, escape) and sends it"
        severity = "critical"
        reference = "RiskIQ and Flashpoint, 'Inside Magecart' (2018), on Magento skimmers that serialise the one-page checkout; MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $form_magento = /co-(payment|billing|shipping)-form/
        $form_onestep = "onestepcheckout" nocase
        $form_woo = /form\.checkout\b|form\[name=["']?checkout/
        $form_eccube = "shopping_order_form"
        $form_generic = /#(payment|checkout)[_-]?form\b/
        $serialize = /\.serialize(Array)?\s*\(\s*\)/
        $formdata = /new\s+FormData\s*\(/
        $enc_btoa = "btoa("
        $enc_escape = /\bescape\s*\(/

        $s_ajax = /\$\.(ajax|post|get)\s*\(/
        $s_jq = /jQuery\.(ajax|post|get)\s*\(/
        $s_fetch = /\bfetch\s*\(/
        $s_xhr = "XMLHttpRequest"
        $s_beacon = "sendBeacon"
        $s_image = /new\s+Image\b/
        $s_socket = /new\s+WebSocket\s*\(/

    condition:
        any of ($form_*) and ($serialize or $formdata) and any of ($enc_*) and any of ($s_*)
}

rule js_input_sweep_encoded_beacon
{
    meta:
        description = "JavaScript collects the value of every input on the page, encodes it (base64, escape) and sends it where no answer is read: an image URL, a beacon, a WebSocket or a no-cors request"
        severity = "high"
        reference = "Group-IB, 'Inter: the skimmer kit sold on underground forums' and RiskIQ on generic Magecart kits (2019-2021); MITRE ATT&CK T1056.003 Input Capture: Web Portal Capture"
        family = "magecart"

    strings:
        $sweep = /(querySelectorAll\s*\(\s*["'](input|select|textarea|form\s+input)|getElementsByTagName\s*\(\s*["']input)/
        $value = /\.value\b/
        $enc = /(btoa|escape)\s*\(/
        $x_image = /new\s+Image\b/
        $x_beacon = /\.sendBeacon\s*\(\s*[^)\s]/
        $x_socket = /new\s+WebSocket\s*\(/
        $x_nocors = /mode\s*:\s*["']no-cors["']/

    condition:
        $value and any of ($x_*) and
        // The sweep and the encoding are parts of one piece of code (within
        // 1.5 KB of each other), not of two features of a large library.
        // One loop, capped counts: see js_form_input_sweep_exfil.
        #sweep <= 1000 and #enc <= 50000 and
        for any i in (1..#sweep) : ($enc in (@sweep[i] - 1500 .. @sweep[i] + 1500))
        and not js_form_input_sweep_exfil and not js_card_field_harvest and not js_card_field_list_exfil
}
