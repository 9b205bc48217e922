/* Origin checks and CORS answers, without I/O.
 *
 * Like socket.io v3 and later, no cross-origin request is allowed unless its
 * origin is listed (or "*" is). A request without an Origin header (a
 * non-browser client) is allowed. A same-origin request (as browsers send on
 * POST and WebSocket) is allowed when its origin is this server itself: the
 * scheme http or https, the host "localhost" or one of the server's own
 * addresses, the server's port, and the Host header naming the same. Any
 * other name, even one that resolves here, must be listed: that is what
 * stops a DNS-rebinding page (its own name, pointed at this machine).
 *
 * A listed origin may be a pattern with a wildcard first label,
 * "https://" "*.example.com": it allows the origins of that scheme whose host
 * is one more label (letters, digits, '-', '_') in front of example.com, on
 * that port (none written: the scheme's default). Exactly one label, as in
 * a TLS wildcard certificate: https://a.example.com, not
 * https://a.b.example.com (list "https://" "*.b.example.com" for those), nor
 * https://example.com itself (list it too), nor https://example.com.evil.net,
 * http://a.example.com or https://a.example.com:8443. A '*' anywhere else
 * is not a wildcard (the entry then matches nothing a browser sends).
 *
 * Last, an origin nothing above allows is put to the filter, when there is
 * one: the application's own rule (a database of tenants, say). */
#ifndef SIO_EIO_CORS_H
#define SIO_EIO_CORS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct eio_cors {
    const char *const *origins; /* allowed origins, exactly as browsers send them; "*" for any */
    size_t n_origins;
    bool credentials; /* answer Access-Control-Allow-Credentials: true */
    /* The server itself, for same-origin requests: its port, and its
     * addresses as text ("127.0.0.1", "::1", ...; loopback ones are always
     * its own). No port: no request is same-origin. */
    int port;
    const char *const *own_addrs;
    size_t n_own_addrs;
    /* Asked about an origin the list does not allow and that is not this
     * server: true allows it. NULL: such origins are refused. */
    bool (*filter)(const char *origin, void *user);
    void *filter_user;
} eio_cors;

typedef enum eio_cors_verdict {
    EIO_CORS_NO_ORIGIN,   /* no Origin header: allowed, no CORS headers */
    EIO_CORS_SAME_ORIGIN, /* allowed, no CORS headers needed */
    EIO_CORS_ALLOWED,     /* allowed: add eio_cors_headers */
    EIO_CORS_FORBIDDEN,   /* answer 403, code 4 */
    EIO_CORS_BAD_ORIGIN,  /* the header has invalid characters: 400, code 3 */
} eio_cors_verdict;

/* `origin` and `host` are header values or NULL when absent. */
eio_cors_verdict eio_cors_check(const eio_cors *c, const char *origin, const char *host);

/* Whether `origin` matches the listed pattern: a scheme, "://" "*." and a
 * host with an optional port (see above). An entry that is not such a
 * pattern matches nothing. */
bool eio_cors_pattern_match(const char *pattern, const char *origin);

/* The value for Access-Control-Allow-Origin: "*" when any origin is allowed
 * without credentials, else the request's origin. */
const char *eio_cors_allow_origin(const eio_cors *c, const char *origin);

#endif
