<?php
/**
 * Sorting for the product list: the request chooses among a fixed set of
 * comparison callbacks, never names the function itself.
 */
$comparators = [
    'price' => fn($a, $b) => $a['price'] <=> $b['price'],
    'name'  => fn($a, $b) => strcmp($a['name'], $b['name']),
];
$key = $_GET['sort'] ?? 'name';
$cmp = $comparators[$key] ?? $comparators['name'];
usort($products, $cmp);
$clean = array_map('trim', (array) ($_POST['tags'] ?? []));
$sanitize = 'sanitize_text_field';
$title = $sanitize(wp_unslash($_POST['title'] ?? ''));
