/* The handshake request (request.h) and its public accessors (sio.h). */
#include "util/request.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

sio_request *sio_request_new(void)
{
    sio_request *r = calloc(1, sizeof(*r));
    if (r && !(r->text = calloc(1, 1))) {
        free(r);
        return NULL;
    }
    if (r) {
        r->refs = 1;
        r->text_len = r->text_cap = 1; /* offset 0: "" */
    }
    return r;
}

sio_request *sio_request_ref(sio_request *r)
{
    if (r)
        r->refs++;
    return r;
}

void sio_request_unref(sio_request *r)
{
    if (!r || --r->refs)
        return;
    if (!r->sealed) {
        free(r->headers);
        free(r->text);
    }
    free(r);
}

/* Appends a NUL-terminated copy of s[0..n) to the text; its offset, or 0
 * when out of memory (or too long). */
static uint32_t add_text(sio_request *r, const char *s, size_t n)
{
    if (r->sealed || n >= UINT32_MAX / 2 - r->text_len)
        return 0;
    if (r->text_len + n + 1 > r->text_cap) {
        size_t cap = r->text_cap;
        while (cap < r->text_len + n + 1)
            cap = cap < 64 ? 256 : 2 * cap;
        char *t = realloc(r->text, cap);
        if (!t)
            return 0;
        r->text = t;
        r->text_cap = (uint32_t)cap;
    }
    uint32_t off = r->text_len;
    memcpy(r->text + off, s, n);
    r->text[off + n] = 0;
    r->text_len += (uint32_t)n + 1;
    return off;
}

int sio_request_set(sio_request *r, uint32_t *field, const char *value)
{
    if (!value || !*value) {
        *field = 0;
        return 0;
    }
    uint32_t off = add_text(r, value, strlen(value));
    if (!off)
        return -1;
    *field = off;
    return 0;
}

int sio_request_add_header(sio_request *r, const char *name, size_t name_len, const char *value,
                           size_t value_len)
{
    if (r->sealed)
        return -1;
    if (r->n_headers == r->cap_headers) {
        uint32_t cap = r->cap_headers ? 2 * r->cap_headers : 8;
        sio_request_field *h = realloc(r->headers, cap * sizeof(*h));
        if (!h)
            return -1;
        r->headers = h;
        r->cap_headers = cap;
    }
    uint32_t n = add_text(r, name, name_len);
    uint32_t v = n ? add_text(r, value, value_len) : 0;
    if (!n || !v)
        return -1;
    for (char *c = r->text + n; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    r->headers[r->n_headers++] = (sio_request_field){n, v};
    return 0;
}

sio_request *sio_request_seal(sio_request *r)
{
    size_t fields = r->n_headers * sizeof(sio_request_field);
    sio_request *z = malloc(sizeof(*z) + fields + r->text_len);
    if (!z)
        return r;
    *z = *r;
    z->headers = r->n_headers ? (sio_request_field *)(z + 1) : NULL;
    z->text = (char *)(z + 1) + fields;
    if (fields)
        memcpy(z->headers, r->headers, fields);
    memcpy(z->text, r->text, r->text_len);
    z->cap_headers = z->n_headers;
    z->text_cap = z->text_len;
    z->sealed = true;
    sio_request_unref(r);
    return z;
}

/* --- addresses ------------------------------------------------------------------- */

/* An address as 16 bytes (IPv4 as IPv4-mapped IPv6); false when it is not
 * one. */
static bool parse_addr(const char *text, size_t len, unsigned char out[16])
{
    char buf[64];
    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, text, len);
    buf[len] = 0;
    struct in_addr a4;
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        return true;
    }
    return inet_pton(AF_INET6, buf, out) == 1;
}

/* A range: an address, or address/prefix (the prefix counted in the
 * address's own family). */
static bool parse_range(const char *text, unsigned char net[16], unsigned *bits)
{
    const char *slash = strchr(text, '/');
    size_t alen = slash ? (size_t)(slash - text) : strlen(text);
    if (!parse_addr(text, alen, net))
        return false;
    bool v4 = memchr(text, ':', alen) == NULL;
    unsigned max = v4 ? 32 : 128;
    unsigned b = max;
    if (slash) {
        const char *p = slash + 1;
        if (!*p || strlen(p) > 3)
            return false;
        b = 0;
        for (; *p; p++) {
            if (!isdigit((unsigned char)*p))
                return false;
            b = b * 10 + (unsigned)(*p - '0');
        }
        if (b > max)
            return false;
    }
    *bits = v4 ? b + 96 : b;
    return true;
}

static bool in_range(const unsigned char a[16], const unsigned char net[16], unsigned bits)
{
    for (unsigned i = 0; i < 16 && bits; i++) {
        unsigned take = bits >= 8 ? 8 : bits;
        unsigned char mask = (unsigned char)(0xff << (8 - take));
        if ((a[i] & mask) != (net[i] & mask))
            return false;
        bits -= take;
    }
    return true;
}

bool sio_ranges_valid(const char *const *ranges, size_t n, const char **bad)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char net[16];
        unsigned bits;
        if (!ranges[i] || !parse_range(ranges[i], net, &bits)) {
            if (bad)
                *bad = ranges[i];
            return false;
        }
    }
    return true;
}

static bool addr_in_ranges(const char *addr, size_t len, const char *const *ranges, size_t n)
{
    unsigned char a[16];
    if (!parse_addr(addr, len, a))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char net[16];
        unsigned bits;
        if (parse_range(ranges[i], net, &bits) && in_range(a, net, bits))
            return true;
    }
    return false;
}

bool sio_addr_in_ranges(const char *addr, const char *const *ranges, size_t n)
{
    return addr && addr_in_ranges(addr, strlen(addr), ranges, n);
}

const char *sio_forwarded_client(const char *peer, const char *xff, const char *const *trusted, size_t n,
                                 char *out, size_t cap)
{
    const char *pick = peer ? peer : "";
    size_t pick_len = strlen(pick);
    if (xff && n && sio_addr_in_ranges(pick, trusted, n)) {
        /* From the right: each hop that is trusted passes on to the one
         * before it. */
        const char *end = xff + strlen(xff);
        while (end > xff) {
            const char *start = end;
            while (start > xff && start[-1] != ',')
                start--;
            const char *a = start, *b = end;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            unsigned char probe[16];
            if (!parse_addr(a, (size_t)(b - a), probe))
                break; /* not an address: stop at the last good hop */
            pick = a;
            pick_len = (size_t)(b - a);
            if (!addr_in_ranges(a, pick_len, trusted, n))
                break;
            end = start > xff ? start - 1 : xff;
        }
    }
    if (cap) {
        size_t k = pick_len < cap - 1 ? pick_len : cap - 1;
        memcpy(out, pick, k);
        out[k] = 0;
    }
    return out;
}

/* --- the public accessors ------------------------------------------------------------ */

const char *sio_request_header(const sio_request *r, const char *name)
{
    if (!r || !name)
        return NULL;
    for (size_t i = 0; i < r->n_headers; i++)
        if (strcasecmp(r->text + r->headers[i].name, name) == 0)
            return r->text + r->headers[i].value;
    return NULL;
}

size_t sio_request_header_count(const sio_request *r)
{
    return r ? r->n_headers : 0;
}

const char *sio_request_header_at(const sio_request *r, size_t i, const char **value)
{
    if (!r || i >= r->n_headers)
        return NULL;
    if (value)
        *value = r->text + r->headers[i].value;
    return r->text + r->headers[i].name;
}

char *sio_request_cookie(const sio_request *r, const char *name)
{
    const char *c = sio_request_header(r, "cookie");
    size_t nlen = name ? strlen(name) : 0;
    if (!c || !nlen)
        return NULL;
    /* "a=1; b=2" (RFC 6265 5.4); the first pair with the name wins. */
    for (const char *p = c; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ';')
            p++;
        const char *end = p + strcspn(p, ";");
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (eq) {
            const char *k = p, *ke = eq;
            while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
                ke--;
            if ((size_t)(ke - k) == nlen && memcmp(k, name, nlen) == 0) {
                const char *v = eq + 1, *ve = end;
                while (v < ve && (*v == ' ' || *v == '\t'))
                    v++;
                while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                    ve--;
                if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
                    v++;
                    ve--;
                }
                return strndup(v, (size_t)(ve - v));
            }
        }
        p = end;
    }
    return NULL;
}

const char *sio_request_address(const sio_request *r)
{
    return r ? r->text + r->address : "";
}

const char *sio_request_url(const sio_request *r)
{
    return r ? r->text + r->url : "";
}

int64_t sio_request_time(const sio_request *r)
{
    return r ? r->time_ms : 0;
}

bool sio_request_secure(const sio_request *r)
{
    return r && r->secure;
}
