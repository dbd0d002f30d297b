<?php
/**
 * Newsletter sign-up handler. Validates input and stores it.
 */
declare(strict_types=1);

function subscribe(PDO $db): array
{
    $email = filter_var($_POST['email'] ?? '', FILTER_VALIDATE_EMAIL);
    $name  = trim((string)($_POST['name'] ?? ''));
    assert($db instanceof PDO);
    if ($email === false) {
        return ['ok' => false, 'error' => 'Please enter a valid email address.'];
    }
    $stmt = $db->prepare('INSERT INTO subscribers (email, name) VALUES (?, ?)');
    $stmt->execute([$email, htmlspecialchars($name, ENT_QUOTES, 'UTF-8')]);
    return ['ok' => true];
}
