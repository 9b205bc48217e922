/* Fuzz target: the HTTP edge's pure rules, as every request to the server
 * goes through them: http_request_framing (Content-Length and
 * Transfer-Encoding), http_keep_alive (Connection), eio_cors_check (Origin
 * and Host), and the chunked body decoder http_chunked_decode, fed the
 * same body whole and in pieces, as the bytes arrive from the socket.
 *
 * Input: a flags byte (which headers are present, HTTP/1.0 or 1.1, the
 * allowed origins), a byte for the body limit, a byte seeding the split
 * points, then five header values each ended by '\n' (Content-Length,
 * Transfer-Encoding, Connection, Origin, Host), then the chunked body.
 * Checks, beyond memory safety:
 *   - framing: both headers are invalid, "chunked" alone (any case, white
 *     space around) is chunked, a valid length prints and reads back the
 *     same;
 *   - keep-alive: "close" listed always closes; no header keeps HTTP/1.1
 *     only;
 *   - CORS: no Origin is always allowed, "*" allows every valid origin,
 *     an empty list allows none;
 *   - chunked: whole and in pieces give the same result, the same body and
 *     the same end; the body is never longer than the input nor than the
 *     limit; a finished body ends with CRLF within the input. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "eio/eio_cors.h"
#include "fuzz_check.h"
#include "transport/http_framing.h"
#include "util/buf.h"

enum { F_CL = 1, F_TE = 2, F_CONN = 4, F_ORIGIN = 8, F_HOST = 16, F_HTTP11 = 32 };
#define N_FIELDS 5

static void check_framing(const char *cl, const char *te)
{
    uint64_t len = 0;
    http_body_framing f = http_request_framing(cl, te, &len);
    if (!cl && !te) {
        FUZZ_CHECK(f == HTTP_BODY_NONE);
        return;
    }
    if (cl && te) {
        FUZZ_CHECK(f == HTTP_BODY_INVALID);
        return;
    }
    if (te) {
        const char *b = te, *e = te + strlen(te);
        while (b < e && (*b == ' ' || *b == '\t'))
            b++;
        while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
            e--;
        bool chunked = e - b == 7 && strncasecmp(b, "chunked", 7) == 0;
        FUZZ_CHECK(f == (chunked ? HTTP_BODY_CHUNKED : HTTP_BODY_INVALID));
        return;
    }
    FUZZ_CHECK(f == HTTP_BODY_LENGTH || f == HTTP_BODY_INVALID);
    if (f == HTTP_BODY_LENGTH) {
        FUZZ_CHECK(len < 1000000000000000000ull);
        char again[32];
        snprintf(again, sizeof(again), "%" PRIu64, len);
        uint64_t len2 = 1;
        FUZZ_CHECK(http_request_framing(again, NULL, &len2) == HTTP_BODY_LENGTH && len2 == len);
    }
}

static void check_keep_alive(int minor, const char *conn)
{
    bool keep = http_keep_alive(minor, conn);
    if (!conn)
        FUZZ_CHECK(keep == (minor >= 1));
    size_t n = conn ? strlen(conn) : 0;
    char *closing = malloc(n + 8);
    FUZZ_CHECK(closing != NULL);
    memcpy(closing, conn ? conn : "", n);
    memcpy(closing + n, ", close", 8);
    FUZZ_CHECK(!http_keep_alive(minor, closing));
    free(closing);
}

static void check_cors(unsigned which, const char *origin, const char *host)
{
    static const char *const one[] = {"https://a.example"};
    static const char *const any[] = {"https://a.example", "*"};
    static const char *const own[] = {"192.0.2.7", "2001:db8::7"};
    eio_cors c = {.port = 3000, .own_addrs = own, .n_own_addrs = 2};
    if (which == 1) {
        c.origins = one;
        c.n_origins = 1;
    } else if (which >= 2) {
        c.origins = any;
        c.n_origins = 2;
        c.credentials = which == 3;
    }
    eio_cors_verdict v = eio_cors_check(&c, origin, host);
    if (!origin) {
        FUZZ_CHECK(v == EIO_CORS_NO_ORIGIN);
        return;
    }
    bool valid = true;
    for (const unsigned char *p = (const unsigned char *)origin; *p; p++)
        valid = valid && (*p >= 0x20 || *p == '\t') && *p != 0x7f;
    if (!valid) {
        FUZZ_CHECK(v == EIO_CORS_BAD_ORIGIN);
        return;
    }
    if (which >= 2)
        FUZZ_CHECK(v == EIO_CORS_ALLOWED);
    if (which == 0)
        FUZZ_CHECK(v != EIO_CORS_ALLOWED);
    /* Same-origin only for this server's own port, by a name or address of
     * its own, and only with Host naming the same. */
    if (v == EIO_CORS_SAME_ORIGIN)
        FUZZ_CHECK(host && strstr(origin, "://") && strcasecmp(strstr(origin, "://") + 3, host) == 0 &&
                   strstr(host, "3000"));
    if (v == EIO_CORS_ALLOWED) {
        const char *allow = eio_cors_allow_origin(&c, origin);
        FUZZ_CHECK(allow == origin || strcmp(allow, "*") == 0);
    }
}

typedef struct result {
    int rc;
    size_t used; /* bytes of the body consumed, on DONE */
    sio_buf out;
} result;

static void decode_pieces(const uint8_t *body, size_t n, size_t max, uint32_t seed, bool whole, result *r)
{
    http_chunked c;
    memset(&c, 0, sizeof(c));
    sio_buf_init(&r->out, 0);
    r->rc = HTTP_CHUNKED_MORE;
    r->used = 0;
    size_t off = 0;
    uint32_t x = seed * 2654435761u + 1;
    while (off < n && r->rc == HTTP_CHUNKED_MORE) {
        size_t piece = n - off;
        if (!whole) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5;
            size_t want = x % 4 == 0 ? 0 : (x >> 8) % 17; /* some empty pieces */
            if (want < piece)
                piece = want;
        }
        size_t used = (size_t)-1;
        r->rc = http_chunked_decode(&c, body + off, piece, &r->out, max, &used);
        if (r->rc == HTTP_CHUNKED_DONE) {
            FUZZ_CHECK(used >= 1 && used <= piece);
            r->used = off + used;
        }
        off += piece;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned flags = data[0];
    size_t max = (size_t)1 << (data[1] % 24);
    uint32_t seed = data[2];
    const uint8_t *p = data + 3, *end = data + size;

    char *field[N_FIELDS] = {NULL};
    for (int i = 0; i < N_FIELDS; i++) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        const uint8_t *stop = nl ? nl : end;
        if (flags & (1u << i))
            field[i] = strndup((const char *)p, (size_t)(stop - p));
        p = nl ? nl + 1 : end;
    }
    check_framing(field[0], field[1]);
    check_keep_alive(flags & F_HTTP11 ? 1 : 0, field[2]);
    check_cors(flags >> 6, field[3], field[4]);
    for (int i = 0; i < N_FIELDS; i++)
        free(field[i]);

    size_t n = (size_t)(end - p);
    result whole, split;
    decode_pieces(p, n, max, seed, true, &whole);
    decode_pieces(p, n, max, seed, false, &split);
    FUZZ_CHECK(whole.rc == split.rc);
    FUZZ_CHECK(whole.out.len == split.out.len);
    FUZZ_CHECK(whole.out.len == 0 || memcmp(whole.out.data, split.out.data, whole.out.len) == 0);
    FUZZ_CHECK(whole.out.len <= n && whole.out.len <= max);
    if (whole.rc == HTTP_CHUNKED_DONE) {
        FUZZ_CHECK(whole.used == split.used && whole.used >= 5 && whole.used <= n);
        FUZZ_CHECK(p[whole.used - 2] == '\r' && p[whole.used - 1] == '\n');
    }
    sio_buf_free(&whole.out);
    sio_buf_free(&split.out);
    return 0;
}
