<?php
// Synthetic gate for skimwatch tests: the skimmer posts one base64 blob,
// the gate decodes it and appends it to a log file.
$d = base64_decode($_POST['d'] ?? '');
$f = fopen(sys_get_temp_dir() . '/sess_4f1a', 'a');
fwrite($f, date('c') . ' ' . $d . PHP_EOL);
fclose($f);
