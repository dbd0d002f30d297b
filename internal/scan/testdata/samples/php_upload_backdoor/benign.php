<?php
/**
 * Avatar upload controller: fixed directory, random name, checked type.
 */
final class AvatarUpload
{
    private const ALLOWED = ['image/png' => 'png', 'image/jpeg' => 'jpg'];

    public function __construct(private string $dir) {}

    public function handle(): string
    {
        $file = $_FILES['avatar'] ?? null;
        if ($file === null || $file['error'] !== UPLOAD_ERR_OK) {
            throw new RuntimeException('No file was uploaded.');
        }
        $type = (new finfo(FILEINFO_MIME_TYPE))->file($file['tmp_name']);
        if (!isset(self::ALLOWED[$type])) {
            throw new RuntimeException('Only PNG and JPEG images are accepted.');
        }
        $name = bin2hex(random_bytes(16)) . '.' . self::ALLOWED[$type];
        if (!move_uploaded_file($_FILES['avatar']['tmp_name'], $this->dir . '/' . $name)) {
            throw new RuntimeException('The upload could not be saved.');
        }
        return $name;
    }
}
