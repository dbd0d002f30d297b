<?php
/**
 * Template: product image fallback and placeholders.
 */
const PLACEHOLDER_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

function placeholder_image(): void
{
    header('Content-Type: image/png');
    header('Cache-Control: public, max-age=86400');
    echo base64_decode(PLACEHOLDER_PNG);
}

function product_image_tag(array $product): string
{
    $src = $product['image'] ?? 'data:image/png;base64,' . PLACEHOLDER_PNG;
    $alt = htmlspecialchars($product['name'] ?? '', ENT_QUOTES, 'UTF-8');
    return sprintf('<img src="%s" alt="%s" loading="lazy">', htmlspecialchars($src, ENT_QUOTES, 'UTF-8'), $alt);
}

function decode_config(string $blob): array
{
    $json = gzinflate(base64_decode($blob));
    return $json === false ? [] : json_decode($json, true);
}
