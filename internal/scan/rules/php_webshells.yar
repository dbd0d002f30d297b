/*
 * PHP backdoors and webshells: the planted program that writes skimmers on
 * demand or runs an attacker's commands.
 *
 * Written for skimwatch from published descriptions of webshell behaviour.
 * Core YARA only (no modules).
 */

rule php_eval_request
{
    meta:
        description = "PHP runs code taken straight from the request (eval or assert of $_POST, $_GET, $_REQUEST or $_COOKIE), a one-line backdoor"
        severity = "critical"
        reference = "NSA and ASD, 'Detect and Prevent Web Shell Malware' (2020); MITRE ATT&CK T1505.003 Server Software Component: Web Shell"
        family = "webshell"

    strings:
        $eval_request = /\beval\s*\(\s*(@\s*)?((stripslashes|base64_decode|gzinflate|str_rot13|urldecode|rawurldecode|trim|hex2bin)\s*\(\s*)*\$_(POST|GET|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $assert_request = /\bassert\s*\(\s*(@\s*)?((stripslashes|base64_decode|gzinflate|str_rot13|urldecode|rawurldecode|trim|hex2bin)\s*\(\s*)*\$_(POST|GET|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        // Magento's request object, in controllers and planted observers.
        $eval_framework_request = /\beval\s*\(\s*(@\s*)?((base64_decode|gzinflate|str_rot13|urldecode|hex2bin)\s*\(\s*)*(\$this|Mage::app\s*\(\s*\))->getRequest\s*\(\s*\)\s*->(getParam|getPost)\s*\(/ nocase
        $call_request = /\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]\n]{1,40}\]\s*\(\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[/ nocase

    condition:
        any of them
}

rule php_decode_chain
{
    meta:
        description = "PHP runs code hidden behind decoding functions (eval of base64_decode, gzinflate, str_rot13 and similar), as packed webshells and skimmer injectors do"
        severity = "critical"
        reference = "MITRE ATT&CK T1027 Obfuscated Files or Information; MITRE ATT&CK T1505.003 Server Software Component: Web Shell"
        family = "webshell"

    strings:
        $eval_decode = /\beval\s*\(\s*(@\s*)?(gzinflate|gzuncompress|gzdecode|base64_decode|str_rot13|strrev|hex2bin|convert_uudecode)\s*\(/ nocase
        $assert_decode = /\bassert\s*\(\s*(@\s*)?(gzinflate|gzuncompress|gzdecode|base64_decode|str_rot13|strrev|hex2bin|convert_uudecode)\s*\(/ nocase
        // eval("?>" . gzinflate(...)) runs a decoded file that starts in HTML mode.
        $eval_close_tag = /\beval\s*\(\s*(@\s*)?["']\?>["']\s*\.\s*(gzinflate|gzuncompress|gzdecode|base64_decode|str_rot13|strrev|hex2bin|convert_uudecode)\s*\(/ nocase

    condition:
        any of them
}

rule php_decoded_variable_eval
{
    meta:
        description = "PHP decodes text into a variable (base64_decode, gzinflate, str_rot13 and similar) and evaluates a variable, the two-step form of a packed payload"
        severity = "high"
        reference = "Sucuri and Wordfence research on obfuscated PHP malware (2015-2023); MITRE ATT&CK T1027 Obfuscated Files or Information"
        family = "webshell"

    strings:
        $assign_decode = /\$[a-zA-Z_][a-zA-Z0-9_]{0,30}\s*=\s*(@\s*)?(gzinflate|gzuncompress|gzdecode|base64_decode|str_rot13|strrev|hex2bin|convert_uudecode)\s*\(/ nocase
        $eval_var = /\beval\s*\(\s*(@\s*)?["']?(\?>["']\s*\.\s*)?\$[a-zA-Z_][a-zA-Z0-9_]{0,30}\s*\)/ nocase

    condition:
        // assert($x) is left out: tests assert decoded values all the time.
        filesize < 512KB and $assign_decode and $eval_var
}

rule php_preg_replace_eval
{
    meta:
        description = "PHP calls preg_replace with the /e modifier, which runs the replacement as code (removed in PHP 7, still used by backdoors)"
        severity = "high"
        reference = "PHP manual, 'Possible modifiers in regex patterns' (the e modifier, removed in PHP 7.0); MITRE ATT&CK T1505.003"
        family = "webshell"

    strings:
        $preg_e = /preg_replace\s*\(\s*["'][\/#~@!|%][^"'\n]{0,200}[\/#~@!|%][imsxuADSUXJ]*e[imsxuADSUXJ]*["']/

    condition:
        $preg_e
}

rule php_create_function_payload
{
    meta:
        description = "PHP builds a function with create_function from request data or decoded text, a common way to run a hidden payload"
        severity = "high"
        reference = "PHP manual, 'create_function' (deprecated in PHP 7.2, removed in 8.0, because it evaluates its body); MITRE ATT&CK T1505.003"
        family = "webshell"

    strings:
        $cf_direct = /create_function\s*\(\s*["'][^"'\n]{0,80}["']\s*,\s*(@\s*)?(\$_(GET|POST|REQUEST|COOKIE)|base64_decode|gzinflate|gzuncompress|str_rot13|hex2bin|urldecode)/ nocase
        $cf = /create_function\s*\(/ nocase
        $request = /\$_(GET|POST|REQUEST|COOKIE)\s*\[/
        $decode_b64 = /base64_decode\s*\(/ nocase
        $decode_inflate = /gzinflate\s*\(/ nocase
        $decode_uncompress = /gzuncompress\s*\(/ nocase
        $decode_rot13 = /str_rot13\s*\(/ nocase
        $decode_hex = /hex2bin\s*\(/ nocase

    condition:
        $cf_direct or ($cf and $request and any of ($decode_*) and filesize < 64KB)
}

rule php_upload_backdoor
{
    meta:
        description = "PHP saves an uploaded file under a name or directory chosen by the request, letting an attacker drop any file (a webshell uploader)"
        severity = "high"
        reference = "MITRE ATT&CK T1505.003 Server Software Component: Web Shell; OWASP, 'Unrestricted File Upload'"
        family = "webshell"

    strings:
        $move_request_name = /move_uploaded_file\s*\(\s*\$_FILES\s*\[[^\]\n]{1,40}\]\s*\[\s*["']tmp_name["']\s*\]\s*,\s*(["'][^"'\n]{0,80}["']\s*\.\s*|\$[a-zA-Z_][a-zA-Z0-9_]*\s*\.\s*)?(basename\s*\(\s*)?\$_(FILES\s*\[[^\]\n]{1,40}\]\s*\[\s*["']name["']|POST|GET|REQUEST)/ nocase
        $copy_request_name = /\bcopy\s*\(\s*\$_FILES\s*\[[^\]\n]{1,40}\]\s*\[\s*["']tmp_name["']\s*\]\s*,\s*(["'][^"'\n]{0,80}["']\s*\.\s*|\$[a-zA-Z_][a-zA-Z0-9_]*\s*\.\s*)?(basename\s*\(\s*)?\$_(FILES\s*\[[^\]\n]{1,40}\]\s*\[\s*["']name["']|POST|GET|REQUEST)/ nocase

    condition:
        any of them
}

rule php_request_command_exec
{
    meta:
        description = "PHP runs an operating-system command taken from the request (system, exec, passthru, shell_exec, popen, proc_open or backticks)"
        severity = "critical"
        reference = "NSA and ASD, 'Detect and Prevent Web Shell Malware' (2020); MITRE ATT&CK T1505.003 Server Software Component: Web Shell"
        family = "webshell"

    strings:
        $x_system = /\bsystem\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $x_exec = /\bexec\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $x_passthru = /\bpassthru\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $x_shell_exec = /\bshell_exec\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $x_popen = /\bpopen\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $x_proc_open = /\bproc_open\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        $x_pcntl_exec = /\bpcntl_exec\s*\(\s*(@\s*)?((stripslashes|urldecode|rawurldecode|base64_decode|trim)\s*\(\s*)*\$_(GET|POST|REQUEST|COOKIE|SERVER)\s*\[/ nocase
        // A backtick expression as PHP code ends a statement;
        // in doc comments `$_POST['action']` is Markdown, followed by text.
        $backtick_request = /`\s*\$_(GET|POST|REQUEST|COOKIE)\s*\[[^\]\n]{1,40}\]\s*`\s*\)?\s*;/

    condition:
        any of them
}

rule php_exif_loader
{
    meta:
        description = "PHP reads an image's EXIF metadata and runs part of it as code, the loader half of a payload hidden in image metadata"
        severity = "critical"
        reference = "Malwarebytes Labs, 'Web skimmer hides within EXIF metadata, exfiltrates credit cards via image files' (2020); MITRE ATT&CK T1027.003 Steganography"
        family = "webshell"

    strings:
        $exif = /exif_read_data\s*\(/ nocase
        $eval = /\beval\s*\(/ nocase
        $assert = /\bassert\s*\(/ nocase
        $preg_variable = /preg_replace\s*\(\s*\$/ nocase
        $cf = /create_function\s*\(/ nocase

    condition:
        $exif and any of ($eval, $assert, $preg_variable, $cf)
}

rule php_webshell_kit
{
    meta:
        description = "PHP carries the markers of a published webshell kit (WSO/FilesMan, b374k, c99, r57, IndoXploit, Alfa) or the set of server-reconnaissance calls such file managers open with"
        severity = "critical"
        reference = "NSA and ASD, 'Detect and Prevent Web Shell Malware' (2020), on WSO, b374k, c99 and r57; MITRE ATT&CK T1505.003 Server Software Component: Web Shell"
        family = "webshell"

    strings:
        $kit_filesman = "FilesMan"
        $kit_wso = /WSO [0-9]\.[0-9]/
        $kit_b374k = "b374k"
        $kit_c99 = "c99shell" nocase
        $kit_r57 = "r57shell" nocase
        $kit_indoxploit = "IndoXploit"
        $kit_alfa = "ALFA_DATA"

        $recon_uname = "php_uname("
        $recon_pwuid = "posix_getpwuid("
        $recon_disabled = /ini_get\s*\(\s*["']disable_functions["']\s*\)/
        $recon_safe = /ini_get\s*\(\s*["']safe_mode["']\s*\)/
        $recon_free = "disk_free_space("
        $recon_request = /\$_POST\s*\[\s*["']p[123]["']\s*\]/

        $run_system = /\bsystem\s*\(/
        $run_shell = /\bshell_exec\s*\(/
        $run_passthru = /\bpassthru\s*\(/
        $run_popen = /\bpopen\s*\(/
        $run_proc = /\bproc_open\s*\(/

    condition:
        any of ($kit_*) or (4 of ($recon_*) and any of ($run_*))
}
