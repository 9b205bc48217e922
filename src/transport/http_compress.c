/* Compression of polling responses (http_compress.h), on zlib. */
#include "transport/http_compress.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* The quality of one Accept-Encoding element ("gzip;q=0.5"): 1 when it
 * names none, -1 when it is malformed. */
static double quality(const char *params, size_t len)
{
    for (const char *p = params, *end = params + len; p < end;) {
        while (p < end && (*p == ';' || *p == ' ' || *p == '\t'))
            p++;
        if (end - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            char num[16];
            size_t n = 0;
            for (p += 2; p < end && n < sizeof(num) - 1 && (isdigit((unsigned char)*p) || *p == '.'); p++)
                num[n++] = *p;
            num[n] = 0;
            char *e;
            double q = strtod(num, &e);
            return n && !*e && q >= 0 && q <= 1 ? q : -1;
        }
        while (p < end && *p != ';')
            p++;
    }
    return 1;
}

http_encoding http_pick_encoding(const char *ae)
{
    if (!ae)
        return HTTP_ENC_IDENTITY;
    /* Quality (-1: not named) and position in the list of each; "*" counts
     * for whichever is not named, after those that are. */
    double gzip = -1, deflate = -1, any = -1;
    int gzip_at = 0, deflate_at = 0, at = 0;
    for (const char *p = ae; *p; at++) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        size_t len = strcspn(p, ",");
        size_t name = strcspn(p, ";, \t");
        if (name > len)
            name = len;
        double q = quality(p + name, len - name);
        if (q >= 0) {
            if (name == 4 && strncasecmp(p, "gzip", 4) == 0 && gzip < 0) {
                gzip = q;
                gzip_at = at;
            } else if (name == 7 && strncasecmp(p, "deflate", 7) == 0 && deflate < 0) {
                deflate = q;
                deflate_at = at;
            } else if (name == 1 && *p == '*') {
                any = q;
            }
        }
        p += len;
    }
    if (gzip < 0) {
        gzip = any;
        gzip_at = at;
    }
    if (deflate < 0) {
        deflate = any;
        deflate_at = at + (gzip_at == at); /* both by "*": gzip first, as Node lists them */
    }
    if (gzip <= 0 && deflate <= 0)
        return HTTP_ENC_IDENTITY;
    if (gzip != deflate)
        return gzip > deflate ? HTTP_ENC_GZIP : HTTP_ENC_DEFLATE;
    return gzip_at <= deflate_at ? HTTP_ENC_GZIP : HTTP_ENC_DEFLATE; /* the client's order */
}

const char *http_encoding_name(http_encoding e)
{
    return e == HTTP_ENC_GZIP ? "gzip" : e == HTTP_ENC_DEFLATE ? "deflate" : NULL;
}

/* zlib's window bits: 15, plus 16 for the gzip wrapper. */
static z_stream *stream_for(http_encoder *z, http_encoding e)
{
    void **slot = e == HTTP_ENC_GZIP ? &z->gzip : &z->deflate;
    if (*slot) {
        if (deflateReset(*slot) != Z_OK)
            return NULL;
        return *slot;
    }
    z_stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    if (deflateInit2(s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, e == HTTP_ENC_GZIP ? 15 + 16 : 15, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        free(s);
        return NULL;
    }
    *slot = s;
    return s;
}

int http_compress(http_encoder *z, http_encoding e, const void *in, size_t n, sio_buf *out)
{
    z_stream *s = e == HTTP_ENC_IDENTITY ? NULL : stream_for(z, e);
    if (!s || n > UINT32_MAX)
        return -1;
    sio_buf_reset(out);
    size_t bound = deflateBound(s, (uLong)n);
    if (sio_buf_reserve(out, bound))
        return -1;
    s->next_in = (Bytef *)(uintptr_t)in;
    s->avail_in = (uInt)n;
    s->next_out = out->data;
    s->avail_out = (uInt)bound;
    if (deflate(s, Z_FINISH) != Z_STREAM_END)
        return -1;
    out->len = bound - s->avail_out;
    return 0;
}

void http_encoder_free(http_encoder *z)
{
    void *streams[2] = {z->gzip, z->deflate};
    for (int i = 0; i < 2; i++) {
        if (streams[i]) {
            deflateEnd(streams[i]);
            free(streams[i]);
        }
    }
    z->gzip = z->deflate = NULL;
}
