<?php
// Synthetic packed injector for skimwatch tests. The payload decodes to a
// harmless echo; real ones write skimmer code into theme files.
$o = 'S03OyFdQKs7OzC1PLEnOUChJLS5RKE7MLchJVbIGAA==';
eval(gzinflate(base64_decode($o)));
