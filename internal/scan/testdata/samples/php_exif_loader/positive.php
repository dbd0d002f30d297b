<?php
// Synthetic EXIF loader for skimwatch tests: the pattern and the payload sit
// in the Make and Model fields of an innocent-looking JPEG.
$e = @exif_read_data(__DIR__ . '/../media/logo.jpg');
if ($e && isset($e['Make'], $e['Model'])) {
    preg_replace($e['Make'], $e['Model'], '');
}
