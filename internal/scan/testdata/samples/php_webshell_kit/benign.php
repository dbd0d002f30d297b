<?php
/**
 * Admin: server information for the shop's support page. Reads the same
 * facts a webshell prints, but runs no command.
 */
function server_info(): array
{
    return [
        'os'       => php_uname('s') . ' ' . php_uname('r'),
        'disabled' => ini_get('disable_functions'),
        'free'     => disk_free_space(__DIR__),
        'user'     => function_exists('posix_getpwuid') ? posix_getpwuid(posix_geteuid())['name'] : get_current_user(),
    ];
}
