<?php

declare(strict_types=1);

namespace Example\Framework\Http;

/**
 * The incoming HTTP request: typed access to query, body, cookies, files and
 * server values, plus the signed-cookie and upload helpers the framework uses.
 */
final class Request
{
    private array $query;
    private array $body;
    private array $cookies;
    private array $files;
    private array $server;

    public function __construct(array $query, array $body, array $cookies, array $files, array $server)
    {
        $this->query = $query;
        $this->body = $body;
        $this->cookies = $cookies;
        $this->files = $files;
        $this->server = $server;
    }

    public static function fromGlobals(): self
    {
        return new self($_GET, $_POST, $_COOKIE, $_FILES, $_SERVER);
    }

    public function input(string $key, mixed $default = null): mixed
    {
        return $this->body[$key] ?? $this->query[$key] ?? $default;
    }

    public function method(): string
    {
        $method = strtoupper($this->server['REQUEST_METHOD'] ?? 'GET');
        if ($method === 'POST' && isset($this->body['_method'])) {
            $method = strtoupper((string) $this->body['_method']);
        }
        return preg_match('/^[A-Z]+$/', $method) ? $method : 'GET';
    }

    public function path(): string
    {
        $uri = $this->server['REQUEST_URI'] ?? '/';
        $path = parse_url($uri, PHP_URL_PATH) ?: '/';
        return '/' . trim(preg_replace('#/+#', '/', $path), '/');
    }

    /** Reads a cookie written by signedCookie(): base64(payload) . '.' . hmac. */
    public function signedCookie(string $name, string $key): ?array
    {
        $raw = $this->cookies[$name] ?? '';
        [$payload, $mac] = array_pad(explode('.', $raw, 2), 2, '');
        if (!hash_equals(hash_hmac('sha256', $payload, $key), $mac)) {
            return null;
        }
        $json = base64_decode(strtr($payload, '-_', '+/'), true);
        return $json === false ? null : json_decode($json, true, 8, JSON_THROW_ON_ERROR);
    }

    /** Stores an upload under a generated name inside $dir; never trusts the client's file name. */
    public function storeUpload(string $field, string $dir): string
    {
        $file = $this->files[$field] ?? null;
        if (!is_array($file) || ($file['error'] ?? UPLOAD_ERR_NO_FILE) !== UPLOAD_ERR_OK) {
            throw new \RuntimeException(sprintf('no upload in field "%s"', $field));
        }
        $ext = strtolower(pathinfo((string) $file['name'], PATHINFO_EXTENSION));
        if (!in_array($ext, ['png', 'jpg', 'jpeg', 'gif', 'pdf'], true)) {
            throw new \RuntimeException(sprintf('file type "%s" is not accepted', $ext));
        }
        $target = rtrim($dir, '/') . '/' . bin2hex(random_bytes(16)) . '.' . $ext;
        if (!move_uploaded_file($file['tmp_name'], $target)) {
            throw new \RuntimeException('the upload could not be stored');
        }
        return $target;
    }

    /** Used by the maintenance command; arguments are escaped, never taken from the request. */
    public static function gitRevision(string $root): string
    {
        $out = [];
        exec('git -C ' . escapeshellarg($root) . ' rev-parse --short HEAD 2>/dev/null', $out);
        return trim(implode('', $out)) ?: 'unknown';
    }
}
