<?php
// Synthetic two-step packed payload for skimwatch tests; it decodes to a
// harmless echo.
$k = 'ZWNobyAic2tpbXdhdGNoIHRlc3Qgc2FtcGxlIjs=';
$c = base64_decode($k);
@eval($c);
