<?php
// Synthetic dropper for skimwatch tests: function names written as hex
// escapes inside double-quoted strings.
$a = "\x62\x61\x73\x65\x36\x34\x5f\x64\x65\x63\x6f\x64\x65";
$b = "\x67\x7a\x69\x6e\x66\x6c\x61\x74\x65";
echo $b($a('S03OyFdQKs7OzC1PLEnOUChJLS5RKE7MLchJVbIGAA=='));
