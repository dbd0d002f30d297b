/*
 * PHP backdoors beyond the one-liners in php_webshells.yar: collectors
 * ("gates") that receive stolen cards, droppers that hide the names of the
 * functions they call, callbacks and includes that run the request.
 *
 * Written for skimwatch from published descriptions of backdoor behaviour.
 * Core YARA only (no modules).
 */

rule php_card_gate
{
    meta:
        description = "PHP receives card fields (or a whole request, or an encoded blob) from the request and appends them to a file or mails them, as the collectors ('gates') behind skimmers do"
        severity = "critical"
        reference = "Sansec, Group-IB and Malwarebytes reports on Magecart gates and server-side card stealers in Magento and WooCommerce (2019-2023); MITRE ATT&CK T1005 Data from Local System, T1041 Exfiltration Over C2 Channel"
        family = "gate"

    strings:
        $card_request = /\$_(POST|GET|REQUEST|COOKIE)\s*\[\s*["'][^"'\n]{0,30}(cc[_-]?num|card[_-]?num|cardnumber|card[_-]?no\b|cardno|ccnum|cvv|cvc|cc[_-]?cid|card[_-]?code|security[_-]?code|cc[_-]?exp|exp(iry|ire|iration)?[_-]?(month|year|date))/ nocase
        $dump_request = /(print_r|var_export|serialize|json_encode|implode|http_build_query)\s*\(\s*(["'][^"'\n]{0,10}["']\s*,\s*)?\$_(POST|GET|REQUEST)\s*[,)]/
        $decode_request = /base64_decode\s*\(\s*\$_(POST|GET|REQUEST|COOKIE)\s*\[/
        // Magento: the payment array in the request, or the order's payment
        // object, read by code planted in the checkout.
        $card_magento_request = /\$_(POST|REQUEST)\s*\[\s*["']payment["']\s*\]\s*\[\s*["'](cc_number|cc_cid|cc_exp_month|cc_exp_year)["']/
        $card_magento_object = /->getCc(Number|Cid)\s*\(\s*\)/
        // Symfony, Laravel and EC-CUBE request objects.
        $card_framework_request = /->(get|getParam|getPost|input|query|post)\s*\(\s*["'][^"'\n]{0,20}(card_no|cc_number|cardnumber|card_number|cvv|cvc|security_code|cc_cid)["']/ nocase
        $input_body = /file_get_contents\s*\(\s*["']php:\/\/input["']\s*\)/
        // Gates answer with a pixel, or let any origin post to them.
        $reply_gif = /header\s*\(\s*["']Content-Type:\s*image\// nocase
        $reply_cors = /Access-Control-Allow-Origin:\s*\*/ nocase

        $store_append = /file_put_contents\s*\([^;\n]{0,300}FILE_APPEND/
        $store_fopen = /fopen\s*\([^;\n]{0,200},\s*["']a\+?b?["']\s*\)/
        $store_mail = /\bmail\s*\(/
        // Cards kept in a file named like an image or a stylesheet, to be
        // fetched later over the web (server-side Magento skimmers).
        $store_image = /(file_put_contents|fopen)\s*\([^;\n]{0,200}\.(jpe?g|png|gif|ico|css|svg)["']/ nocase
        // The request itself written out, inside the call.
        $inline_put = /file_put_contents\s*\([^;\n]{0,200}\$_(POST|GET|REQUEST|COOKIE)\s*\[/
        $inline_fwrite = /fwrite\s*\([^;\n]{0,200}\$_(POST|GET|REQUEST|COOKIE)\s*\[/
        $inline_mail = /\bmail\s*\([^;\n]{0,300}\$_(POST|GET|REQUEST|COOKIE)\s*\[/

        // A real gateway forwards the card to its provider; a gate keeps it.
        $forward_curl = "curl_init("
        $forward_wp = "wp_remote_post("
        $forward_stream = "stream_context_create("
        $forward_soap = "SoapClient("
        $forward_http = /->(post|request|sendRequest)\s*\(/

    condition:
        ((($card_request or $card_magento_request or $card_framework_request) and any of ($store_*) and not any of ($forward_*))
            or (any of ($card_request, $card_magento_request, $card_magento_object, $card_framework_request) and $store_image))
        or ($input_body and ($store_append or $store_fopen) and ($reply_gif or $reply_cors) and filesize < 64KB)
        or ($card_request and any of ($inline_*))
        or (($dump_request or $decode_request) and ($store_append or $store_fopen) and filesize < 64KB)
}

rule php_obfuscated_function_name
{
    meta:
        description = "PHP spells the name of a decoding or evaluating function (or $GLOBALS) backwards, in ROT13, in hex or octal escapes, with chr() or pack('H*'), or split into pieces, so that a search for base64_decode or eval finds nothing"
        severity = "high"
        reference = "Sucuri and Wordfence research on obfuscated PHP malware (2015-2023); MITRE ATT&CK T1027 Obfuscated Files or Information"
        family = "webshell"

    strings:
        $rev_b64 = "edoced_46esab" nocase
        $rev_inflate = "etalfnizg" nocase
        $rev_uncompress = "sserpmocnuzg" nocase
        $rev_rot13 = "31tor_rts" nocase
        $rev_create = "noitcnuf_etaerc" nocase
        $rot_b64 = "onfr64_qrpbqr" nocase
        $rot_inflate = "tmvasyngr" nocase
        $rot_create = "perngr_shapgvba" nocase
        $hex_b64 = "\\x62\\x61\\x73\\x65\\x36\\x34" nocase
        $hex_eval = "\\x65\\x76\\x61\\x6c" nocase
        $hex_inflate = "\\x67\\x7a\\x69\\x6e\\x66" nocase
        $hex_assert = "\\x61\\x73\\x73\\x65\\x72\\x74" nocase
        $oct_b64 = "\\142\\141\\163\\145\\66\\64"
        $oct_eval = "\\145\\166\\141\\154"
        $split_b64 = /["']base["']\s*\.\s*["']64_decode["']/ nocase
        $split_b64_2 = /["']base64_["']\s*\.\s*["']decode["']/ nocase
        $split_b64_3 = /["']ba["']\s*\.\s*["']se64/ nocase
        $split_b64_4 = /["']bas["']\s*\.\s*["']e64/ nocase
        $split_inflate = /["']gzin["']\s*\.\s*["']flate["']/ nocase
        $split_create = /["']create_["']\s*\.\s*["']function["']/ nocase
        $hex_globals = "\\x47\\x4c\\x4f\\x42\\x41\\x4c\\x53" nocase
        $chr_eval = /chr\s*\(\s*101\s*\)\s*\.\s*chr\s*\(\s*118\s*\)\s*\.\s*chr\s*\(\s*97\s*\)\s*\.\s*chr\s*\(\s*108\s*\)/ nocase
        $chr_base = /chr\s*\(\s*98\s*\)\s*\.\s*chr\s*\(\s*97\s*\)\s*\.\s*chr\s*\(\s*115\s*\)\s*\.\s*chr\s*\(\s*101\s*\)/ nocase
        $pack_hex = /pack\s*\(\s*["']H\*["']\s*,\s*["'](6576616c|6261736536345f6465636f6465|617373657274|677a696e666c617465)/ nocase

    condition:
        any of them
}

rule php_request_callback
{
    meta:
        description = "PHP calls a function whose name comes from the request: a variable function ($f = $_GET['f']; $f(...)), or a callback argument of call_user_func, array_map, usort and similar taken from the request"
        severity = "critical"
        reference = "PHP manual, 'Variable functions' and 'Callbacks / Callables'; NSA and ASD, 'Detect and Prevent Web Shell Malware' (2020); MITRE ATT&CK T1505.003"
        family = "webshell"

    strings:
        $var_call_request = /\$[a-zA-Z_][a-zA-Z0-9_]{0,30}\s*\(\s*[^;()\n]{0,60}\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        $assign_then_call = /\$[a-zA-Z_][a-zA-Z0-9_]{0,30}\s*=\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]\n]{1,40}\]\s*;\s*(@\s*)?\$[a-zA-Z_][a-zA-Z0-9_]{0,30}\s*\(/
        $cb_first = /(call_user_func|call_user_func_array|array_map|register_shutdown_function|register_tick_function|forward_static_call|forward_static_call_array)\s*\(\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        $cb_second = /(array_filter|array_walk|array_walk_recursive|array_reduce|usort|uasort|uksort|iterator_apply)\s*\([^,;\n]{1,120},\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE)\s*\[/

    condition:
        any of them
}

rule php_include_stream
{
    meta:
        description = "PHP includes code from the request body (php://input), a data: URI, an uploaded file or a request-chosen path, a way to run code that never lands on disk"
        severity = "critical"
        reference = "PHP manual, 'php:// wrappers' and 'data:// wrapper'; OWASP, 'File inclusion'; MITRE ATT&CK T1505.003"
        family = "webshell"

    strings:
        $include_stream = /include(_once)?\s*\(?\s*["'](php:\/\/input|data:)/ nocase
        $require_stream = /require(_once)?\s*\(?\s*["'](php:\/\/input|data:)/ nocase
        $include_request = /include(_once)?\s*\(?\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE|FILES)\s*\[/ nocase
        $require_request = /require(_once)?\s*\(?\s*(@\s*)?\$_(GET|POST|REQUEST|COOKIE|FILES)\s*\[/ nocase
        $eval_input = /eval\s*\(\s*(@\s*)?file_get_contents\s*\(\s*["']php:\/\/input/ nocase

    condition:
        any of them
}

rule php_admin_account_backdoor
{
    meta:
        description = "A small PHP file creates an administrator account, or logs the visitor in as one, when a request parameter asks (WordPress users, Magento admin_user rows)"
        severity = "critical"
        reference = "Sucuri and Wordfence reports on WordPress backdoors that add rogue administrators (2017-2023); Sansec on Magento admin_user backdoors; MITRE ATT&CK T1136 Create Account, T1505.003"
        family = "webshell"

    strings:
        $wp_role = /['"]role['"]\s*=>\s*['"]administrator['"]/
        $wp_set_role = /->set_role\s*\(\s*['"]administrator['"]\s*\)/
        $wp_login_as = /wp_set_auth_cookie\s*\(\s*(1|\$[a-zA-Z_]{1,20}->ID)\b/
        $mage_insert = /INSERT\s+INTO\s+`?(\{?\$?[a-z_]{0,20}\}?)?admin_user`?/ nocase
        $mage_model = /Mage::getModel\s*\(\s*['"]admin\/user['"]\s*\)/

        $request = /\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/
        $create_wp = /wp_(insert|create)_user\s*\(/

    condition:
        filesize < 24KB and $request and
        ((($wp_role or $wp_set_role) and $create_wp) or $wp_login_as or $mage_insert or $mage_model)
}
