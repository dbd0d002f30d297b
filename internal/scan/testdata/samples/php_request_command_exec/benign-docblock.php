<?php
/**
 * Handles the upload form.
 *
 * @param array  $file   Reference to a single element of `$_FILES`.
 * @param string $action Expected value for `$_POST['action']`.
 *                       Must match `$_REQUEST['action']` when given.
 */
function handle_upload(array &$file, string $action): bool
{
    return isset($_POST['action']) && $_POST['action'] === $action && is_uploaded_file($file['tmp_name']);
}
