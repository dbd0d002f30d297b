<?php
/**
 * Webhook endpoint: reads the JSON body from php://input (never includes
 * it) and loads a template chosen from a fixed list.
 */
$body = json_decode(file_get_contents('php://input'), true);
$templates = ['paid' => __DIR__ . '/tpl/paid.php', 'failed' => __DIR__ . '/tpl/failed.php'];
$which = $_GET['event'] ?? 'paid';
include $templates[$which] ?? $templates['paid'];
