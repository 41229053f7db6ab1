<?php
/**
 * Prepended to every PHP request (auto_prepend_file): the tunnel delivers HTTPS requests to nginx
 * as plain HTTP and says so in X-Forwarded-Proto; WordPress must see HTTPS, or it redirects in a
 * loop and serves mixed content. The forwarded host, when given, is the host the visitor used.
 */
if (($_SERVER['HTTP_X_FORWARDED_PROTO'] ?? '') === 'https') {
    $_SERVER['HTTPS'] = 'on';
    $_SERVER['SERVER_PORT'] = 443;
}
if (isset($_SERVER['HTTP_X_FORWARDED_HOST'])) {
    $_SERVER['HTTP_HOST'] = $_SERVER['HTTP_X_FORWARDED_HOST'];
}
