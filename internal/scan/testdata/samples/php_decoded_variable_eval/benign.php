<?php
/**
 * Template cache: decodes stored settings and evaluates an arithmetic
 * expression with a safe parser, never with eval.
 */
function load_settings(string $blob): array
{
    $json = base64_decode($blob, true);
    return $json === false ? [] : (array) json_decode($json, true);
}

function evaluate_price_rule(string $rule, float $price): float
{
    $settings = load_settings(get_option('price_rules', ''));
    $calc = new Price_Expression($settings['precision'] ?? 2);
    return $calc->evaluate($rule, ['price' => $price]);
}
