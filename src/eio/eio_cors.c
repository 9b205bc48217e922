#include "eio/eio_cors.h"

#include <string.h>

/* Node refuses header values with characters outside TAB and visible
 * ASCII/Latin-1 (checkInvalidHeaderChar). */
static bool valid_header_value(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            return false;
    return true;
}

static bool any_origin(const eio_cors *c)
{
    for (size_t i = 0; i < c->n_origins; i++)
        if (strcmp(c->origins[i], "*") == 0)
            return true;
    return false;
}

eio_cors_verdict eio_cors_check(const eio_cors *c, const char *origin, const char *host)
{
    if (!origin)
        return EIO_CORS_NO_ORIGIN;
    if (!valid_header_value(origin))
        return EIO_CORS_BAD_ORIGIN;
    for (size_t i = 0; i < c->n_origins; i++)
        if (strcmp(c->origins[i], "*") == 0 || strcmp(c->origins[i], origin) == 0)
            return EIO_CORS_ALLOWED;
    const char *authority = strstr(origin, "://");
    if (host && authority && strcmp(authority + 3, host) == 0)
        return EIO_CORS_SAME_ORIGIN;
    return EIO_CORS_FORBIDDEN;
}

const char *eio_cors_allow_origin(const eio_cors *c, const char *origin)
{
    if (any_origin(c) && !c->credentials)
        return "*";
    return origin;
}
