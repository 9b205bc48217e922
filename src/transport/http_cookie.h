/* The cookie engine.io sets on a handshake (its `cookie` option), without
 * I/O: the Set-Cookie value, written as Node's engine.io 6.6 writes it
 * (cookie.serialize of the `cookie` package: the attributes in its order),
 * so that a load balancer that sticks sessions by this cookie sees the same
 * thing from either server. */
#ifndef SIO_HTTP_COOKIE_H
#define SIO_HTTP_COOKIE_H

#include <stdbool.h>

#include "util/buf.h"

typedef struct http_cookie {
    const char *name;      /* NULL: no cookie */
    const char *path;      /* NULL: no Path */
    const char *domain;    /* NULL: no Domain */
    const char *same_site; /* "Lax", "Strict", "None" (any case), or NULL */
    bool http_only;
    bool secure;
    long max_age; /* seconds; 0: none (a session cookie) */
} http_cookie;

/* Whether the options can make a cookie: the name a token, the path and
 * domain without ';' or control characters, SameSite one of the three.
 * *what names the first fault. */
bool http_cookie_valid(const http_cookie *c, const char **what);

/* Appends "name=value; Max-Age=N; Domain=d; Path=p; HttpOnly; Secure;
 * SameSite=Lax" (the attributes set) to `out`; `value` is a session id
 * (URL-safe characters). Returns 0 or -1 when out of memory. */
int http_cookie_write(const http_cookie *c, const char *value, sio_buf *out);

#endif
