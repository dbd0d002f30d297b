<?php
/**
 * Payment provider webhook: verifies the signature of the raw body, logs
 * the event id and answers in JSON.
 */
$body = file_get_contents('php://input');
$sig = $_SERVER['HTTP_X_PSP_SIGNATURE'] ?? '';
if (!hash_equals(hash_hmac('sha256', $body, getenv('PSP_WEBHOOK_SECRET')), $sig)) {
    http_response_code(400);
    exit;
}
$event = json_decode($body, true);
file_put_contents(__DIR__ . '/var/webhooks.log', date('c') . ' ' . ($event['id'] ?? '?') . "\n", FILE_APPEND);
header('Content-Type: application/json');
echo '{"ok":true}';
