<?php
/**
 * Loaded by each site's wp-config.php:
 *
 *     require_once '/usr/local/etc/onprem/onprem-site.php';
 *     onprem_site('kuma8088');
 *
 * Defines the site's database and Redis settings from the container environment, which
 * onprem-infra sets (SITE_<KEY>_DB_NAME / _DB_USER / _DB_PASSWORD, ONPREM_DB_HOST,
 * ONPREM_REDIS_HOST). No password is ever written into a site's files.
 */
function onprem_site(string $site): void
{
    $key = strtoupper(str_replace('-', '_', $site));
    $env = static function (string $name) use ($site): string {
        $value = getenv($name);
        if ($value === false || $value === '') {
            throw new RuntimeException("onprem_site('$site'): $name is not set in the container environment");
        }
        return $value;
    };
    define('DB_NAME', $env("SITE_{$key}_DB_NAME"));
    define('DB_USER', $env("SITE_{$key}_DB_USER"));
    define('DB_PASSWORD', $env("SITE_{$key}_DB_PASSWORD"));
    define('DB_HOST', $env('ONPREM_DB_HOST'));
    define('DB_CHARSET', 'utf8mb4');
    define('DB_COLLATE', '');
    // Redis Object Cache: one server for every site, so each site keeps its own key prefix.
    define('WP_REDIS_HOST', $env('ONPREM_REDIS_HOST'));
    define('WP_REDIS_PORT', 6379);
    define('WP_REDIS_PREFIX', $site . ':');
    define('WP_CACHE_KEY_SALT', $site . ':');
}
