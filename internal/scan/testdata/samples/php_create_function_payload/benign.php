<?php
/*
Plugin Name: Recent Offers Widget
Description: Shows the latest offers in a sidebar (legacy PHP 5 plugin).
*/
class Recent_Offers_Widget extends WP_Widget {
    function update($new, $old) {
        $instance = $old;
        $instance['title'] = strip_tags($new['title']);
        return $instance;
    }
}
add_action('widgets_init', create_function('', 'return register_widget("Recent_Offers_Widget");'));

if (isset($_POST['offers_nonce']) && wp_verify_nonce($_POST['offers_nonce'], 'offers')) {
    update_option('offers_count', (int) $_POST['offers_count']);
}
