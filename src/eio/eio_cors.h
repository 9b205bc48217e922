/* Origin checks and CORS answers, without I/O.
 *
 * Like socket.io v3 and later, no cross-origin request is allowed unless its
 * origin is listed (or "*" is). A request without an Origin header (a
 * non-browser client) and a same-origin request (Origin matching Host, as
 * browsers send on POST and WebSocket) are always allowed. */
#ifndef SIO_EIO_CORS_H
#define SIO_EIO_CORS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct eio_cors {
    const char *const *origins; /* allowed origins, exactly as browsers send them; "*" for any */
    size_t n_origins;
    bool credentials; /* answer Access-Control-Allow-Credentials: true */
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

/* The value for Access-Control-Allow-Origin: "*" when any origin is allowed
 * without credentials, else the request's origin. */
const char *eio_cors_allow_origin(const eio_cors *c, const char *origin);

#endif
