<?php
/**
 * Gallery: rotate uploaded photos according to their EXIF orientation.
 */
function orient(string $path, GdImage $img): GdImage
{
    $exif = @exif_read_data($path);
    $o = is_array($exif) ? (int) ($exif['Orientation'] ?? 1) : 1;
    $caption = preg_replace('/[^\pL\pN ,.-]+/u', '', (string) ($exif['ImageDescription'] ?? ''));
    return match ($o) {
        3 => imagerotate($img, 180, 0),
        6 => imagerotate($img, -90, 0),
        8 => imagerotate($img, 90, 0),
        default => $img,
    };
}
