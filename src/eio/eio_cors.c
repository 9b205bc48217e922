#include "eio/eio_cors.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Whether `h` (len bytes) names this server: "localhost", a loopback
 * address, or one of its own. */
static bool own_host(const eio_cors *c, const char *h, size_t len)
{
    if (len == 9 && strncasecmp(h, "localhost", 9) == 0)
        return true;
    char ip[64];
    if (len >= sizeof(ip))
        return false;
    memcpy(ip, h, len);
    ip[len] = 0;
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, ip, &a4) == 1) {
        if ((ntohl(a4.s_addr) >> 24) == 127)
            return true;
    } else if (inet_pton(AF_INET6, ip, &a6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&a6))
            return true;
    } else {
        return false; /* a name: it may resolve here only for the attacker */
    }
    for (size_t i = 0; i < c->n_own_addrs; i++)
        if (strcmp(c->own_addrs[i], ip) == 0)
            return true;
    return false;
}

/* A same-origin request to this server: Origin "scheme://host[:port]" with
 * scheme http or https, host this server's, its port (the scheme's default
 * when absent) the server's, and Host naming the same authority. */
static bool same_origin(const eio_cors *c, const char *origin, const char *host)
{
    const char *auth;
    int def_port;
    if (strncmp(origin, "http://", 7) == 0)
        auth = origin + 7, def_port = 80;
    else if (strncmp(origin, "https://", 8) == 0)
        auth = origin + 8, def_port = 443;
    else
        return false;
    if (strcasecmp(auth, host) != 0 || c->port <= 0)
        return false;
    /* The host part: "[v6]" or up to the last ':'. */
    const char *h = auth, *end, *colon;
    if (*h == '[') {
        end = strchr(h, ']');
        if (!end)
            return false;
        colon = end[1] == ':' ? end + 1 : NULL;
        if (!colon && end[1])
            return false;
        h++;
    } else {
        colon = strrchr(h, ':');
        end = colon ? colon : h + strlen(h);
    }
    long port = def_port;
    if (colon) {
        char *stop;
        port = strtol(colon + 1, &stop, 10);
        if (stop == colon + 1 || *stop)
            return false;
    }
    return port == c->port && end > h && own_host(c, h, (size_t)(end - h));
}

/* A character of a host name's label, as browsers serialize origins
 * (internationalized names arrive as punycode, "xn--..."). */
static bool label_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_';
}

bool eio_cors_pattern_match(const char *pattern, const char *origin)
{
    /* "scheme://" then "*." then the rest of the host (and port), which
     * holds no other '*' and starts a label. */
    const char *sep = strstr(pattern, "://");
    if (!sep || sep == pattern || memchr(pattern, '*', (size_t)(sep - pattern)) || sep[3] != '*' ||
        sep[4] != '.' || !label_char(sep[5]) || strchr(sep + 5, '*'))
        return false;
    size_t scheme = (size_t)(sep - pattern) + 3; /* "https://" */
    if (strncasecmp(pattern, origin, scheme) != 0)
        return false;
    /* One label, then exactly the pattern's rest: no more labels, no other port. */
    const char *label = origin + scheme, *dot = label;
    while (label_char(*dot))
        dot++;
    return dot > label && *dot == '.' && strcasecmp(dot + 1, sep + 5) == 0;
}

eio_cors_verdict eio_cors_check(const eio_cors *c, const char *origin, const char *host)
{
    if (!origin)
        return EIO_CORS_NO_ORIGIN;
    if (!valid_header_value(origin))
        return EIO_CORS_BAD_ORIGIN;
    for (size_t i = 0; i < c->n_origins; i++)
        if (strcmp(c->origins[i], "*") == 0 || strcmp(c->origins[i], origin) == 0 ||
            eio_cors_pattern_match(c->origins[i], origin))
            return EIO_CORS_ALLOWED;
    if (host && same_origin(c, origin, host))
        return EIO_CORS_SAME_ORIGIN;
    if (c->filter && c->filter(origin, c->filter_user))
        return EIO_CORS_ALLOWED;
    return EIO_CORS_FORBIDDEN;
}

const char *eio_cors_allow_origin(const eio_cors *c, const char *origin)
{
    if (any_origin(c) && !c->credentials)
        return "*";
    return origin;
}
