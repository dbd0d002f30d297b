<?php
// Synthetic dropper for skimwatch tests: names built with chr() and pack().
$d = chr(98) . chr(97) . chr(115) . chr(101) . '64_decode';
$g = pack('H*', '677a696e666c617465');
echo $g($d('S03OyFdQKs7OzC1PLEnOUChJLS5RKE7MLchJVbIGAA=='));
