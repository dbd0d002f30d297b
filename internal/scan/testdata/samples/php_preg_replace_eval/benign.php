<?php
/**
 * Slug and text helpers.
 */
function slugify(string $title): string
{
    $s = preg_replace('/[^a-z0-9]+/i', '-', $title);
    $s = preg_replace('#-{2,}#', '-', $s);
    return strtolower(trim($s, '-'));
}

function collapse_spaces(string $text): string
{
    return preg_replace('/\s+/u', ' ', $text);
}

function link_section(string $html): string
{
    return preg_replace_callback('/#section-(\d+)/', fn($m) => '#s' . $m[1], $html);
}
