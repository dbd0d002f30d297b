<?php
/**
 * CSV export helpers: chr() for the byte-order mark and separators, pack()
 * for a binary header, neither spelling a function name.
 */
const BOM = "\xEF\xBB\xBF";
function csv_separator(string $kind): string
{
    return $kind === 'tab' ? chr(9) : chr(44);
}
function header_bytes(int $rows): string
{
    return pack('H*', '53484f50') . pack('N', $rows);
}
