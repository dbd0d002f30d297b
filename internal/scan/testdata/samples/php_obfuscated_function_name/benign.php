<?php
/**
 * String helpers for the storefront: reversing for palindromes, ROT13 for
 * spoiler text, and hex escapes for a JSON-safe output test.
 */
function is_palindrome(string $s): bool
{
    $s = strtolower(preg_replace('/[^a-z0-9]/i', '', $s));
    return $s === strrev($s);
}

function spoiler(string $s): string
{
    return '<span class="spoiler" data-rot13="' . htmlspecialchars(str_rot13($s)) . '"></span>';
}

const ESCAPED_SAMPLE = "\x48\x65\x6c\x6c\x6f";  // "Hello"
$encoded = base64_encode('decoded');
