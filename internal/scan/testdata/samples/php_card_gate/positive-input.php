<?php
// Synthetic gate for skimwatch tests: the raw request body appended to a log, a pixel as the answer.
$data = file_get_contents('php://input');
file_put_contents(__DIR__ . '/.sys.log', date('c') . ' ' . $data . "\n", FILE_APPEND);
header('Content-Type: image/gif'); echo base64_decode('R0lGODlhAQABAAAAACw=');
