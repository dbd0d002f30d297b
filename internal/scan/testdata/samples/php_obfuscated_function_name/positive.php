<?php
// Synthetic dropper for skimwatch tests: the decoder's name is reversed and
// the evaluator is reached through a variable function. The payload decodes
// to a harmless echo.
$k = strrev('edoced_46esab');
$p = 'ZWNobyAic2tpbXdhdGNoIHRlc3Qgc2FtcGxlIjs=';
$r = create_function('', $k($p));
$r();
