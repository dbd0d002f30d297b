<?php
/**
 * Deployment status page for administrators: shows the running revision.
 * Commands are fixed strings; request values are only compared, never run.
 */
$allowed = ['short' => '--short', 'long' => ''];
$mode = $_GET['mode'] ?? 'short';
if (!array_key_exists($mode, $allowed)) {
    http_response_code(400);
    exit('Unknown mode.');
}
exec('git -C ' . escapeshellarg(__DIR__) . ' rev-parse ' . $allowed[$mode] . ' HEAD', $out, $code);
$uptime = shell_exec('uptime');
printf("<p>Revision %s (exit %d), %s</p>", htmlspecialchars(implode('', $out)), $code, htmlspecialchars((string) $uptime));
