/* permessage-deflate (ws_deflate.h), on zlib. */
#include "transport/ws_deflate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

/* The parameter names of one offer, checked one by one. */
static bool param_ok(const char *p, size_t len)
{
    while (len && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
        len--;
    size_t name = 0;
    while (name < len && p[name] != '=' && p[name] != ' ')
        name++;
    static const char *const ok[] = {"client_max_window_bits", "client_no_context_takeover",
                                     "server_no_context_takeover"};
    for (int i = 0; i < 3; i++)
        if (name == strlen(ok[i]) && strncasecmp(p, ok[i], name) == 0)
            return name == len || i == 0; /* only client_max_window_bits takes a value */
    return false;
}

bool ws_deflate_acceptable(const char *ext)
{
    for (const char *p = ext; p && *p;) {
        size_t offer = strcspn(p, ",");
        const char *end = p + offer;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        size_t name = strcspn(p, ";, \t");
        if (name == 18 && strncasecmp(p, "permessage-deflate", 18) == 0) {
            bool ok = true;
            for (const char *q = p + name; ok && q < end;) {
                q += strspn(q, " \t");
                if (q >= end)
                    break;
                if (*q != ';')
                    return false;
                q++;
                size_t plen = strcspn(q, ";,");
                if (q + plen > end)
                    plen = (size_t)(end - q);
                ok = param_ok(q, plen);
                q += plen;
            }
            return ok; /* the first offer decides */
        }
        p = *end ? end + 1 : end;
    }
    return false;
}

int ws_deflate_message(ws_deflater *d, const void *prefix, size_t plen, const void *data, size_t n, sio_buf *out)
{
    z_stream *z = d->z;
    if (!z) {
        if (!(z = calloc(1, sizeof(*z))))
            return -1;
        if (deflateInit2(z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(z);
            return -1;
        }
        d->z = z;
    } else if (deflateReset(z) != Z_OK) {
        return -1;
    }
    if (n > UINT32_MAX / 2)
        return -1;
    size_t bound = deflateBound(z, (uLong)(plen + n)) + 16;
    if (sio_buf_reserve(out, bound))
        return -1;
    z->next_out = out->data + out->len;
    z->avail_out = (uInt)bound;
    const void *parts[2] = {prefix, data};
    size_t lens[2] = {plen, n};
    for (int i = 0; i < 2; i++) {
        z->next_in = (Bytef *)(uintptr_t)parts[i];
        z->avail_in = (uInt)lens[i];
        if (deflate(z, i ? Z_SYNC_FLUSH : Z_NO_FLUSH) != Z_OK || z->avail_in)
            return -1;
    }
    size_t made = bound - z->avail_out;
    if (made < 4 || memcmp(out->data + out->len + made - 4, "\x00\x00\xff\xff", 4) != 0)
        return -1;
    out->len += made - 4;
    return 0;
}

void ws_deflater_free(ws_deflater *d)
{
    if (d->z) {
        deflateEnd(d->z);
        free(d->z);
        d->z = NULL;
    }
}

/* One inflate call into up to 16 KB more of `out`: WS_INFLATE_OK with
 * zlib's code in *zrc, or WS_INFLATE_NOMEM / WS_INFLATE_TOO_BIG. */
static int inflate_some(z_stream *z, sio_buf *out, size_t max, int *zrc)
{
    size_t room = 16384;
    if (sio_buf_reserve(out, room))
        return WS_INFLATE_NOMEM;
    z->next_out = out->data + out->len;
    z->avail_out = (uInt)room;
    *zrc = inflate(z, Z_SYNC_FLUSH);
    out->len += room - z->avail_out;
    return out->len > max ? WS_INFLATE_TOO_BIG : WS_INFLATE_OK;
}

int ws_inflate_message(ws_inflater *f, const void *in, size_t n, size_t max, sio_buf *out)
{
    z_stream *z = f->z;
    if (!z) {
        if (!(z = calloc(1, sizeof(*z))))
            return WS_INFLATE_NOMEM;
        if (inflateInit2(z, -15) != Z_OK) {
            free(z);
            return WS_INFLATE_NOMEM;
        }
        f->z = z;
    }
    static const unsigned char trailer[4] = {0x00, 0x00, 0xff, 0xff};
    sio_buf_reset(out);
    const void *parts[2] = {in, trailer};
    size_t lens[2] = {n, sizeof(trailer)};
    int rc, zrc;
    for (int i = 0; i < 2; i++) {
        z->next_in = (Bytef *)(uintptr_t)parts[i];
        z->avail_in = (uInt)lens[i];
        while (z->avail_in) {
            if ((rc = inflate_some(z, out, max, &zrc)) != WS_INFLATE_OK)
                return rc;
            if (zrc == Z_STREAM_END) {
                /* A block with BFINAL set (RFC 7692 7.2.3.3): the sender
                 * starts afresh, and so does the window. */
                if (inflateReset(z) != Z_OK)
                    return WS_INFLATE_BAD;
                continue;
            }
            if ((zrc == Z_BUF_ERROR && z->avail_out) || (zrc != Z_OK && zrc != Z_BUF_ERROR))
                return WS_INFLATE_BAD; /* no progress with room to spare, or bad data */
        }
    }
    /* Output zlib still holds back for want of room. */
    do {
        if ((rc = inflate_some(z, out, max, &zrc)) != WS_INFLATE_OK)
            return rc;
        if (zrc != Z_OK && zrc != Z_BUF_ERROR && zrc != Z_STREAM_END)
            return WS_INFLATE_BAD;
    } while (!z->avail_out && zrc == Z_OK);
    return WS_INFLATE_OK;
}

void ws_inflater_free(ws_inflater *f)
{
    if (f->z) {
        inflateEnd(f->z);
        free(f->z);
        f->z = NULL;
    }
}
