<?php
/**
 * Registration form handler of a membership plugin: new members get the
 * subscriber role; only an existing administrator may promote them.
 */
function members_register(): void
{
    $login = sanitize_user($_POST['login'] ?? '');
    $id = wp_insert_user(['user_login' => $login, 'user_pass' => wp_generate_password(), 'role' => 'subscriber']);
    if (!is_wp_error($id) && current_user_can('promote_users') && !empty($_POST['make_admin'])) {
        // A role is chosen from a list and checked against capabilities.
        (new WP_User($id))->set_role(get_option('members_admin_role', 'editor'));
    }
}
