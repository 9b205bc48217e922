#include "eio/eio_codec.h"

#include <string.h>

#include "util/base64.h"

int eio_decode_text(const unsigned char *p, size_t n, eio_packet *out)
{
    if (n == 0)
        return EIO_CODEC_EMPTY;
    if (p[0] < '0' || p[0] > '6')
        return EIO_CODEC_BAD_TYPE;
    out->type = (eio_packet_type)(p[0] - '0');
    out->binary = false;
    out->data = p + 1;
    out->len = n - 1;
    return EIO_CODEC_OK;
}

int eio_payload_next(const unsigned char *p, size_t n, size_t *pos, sio_buf *scratch,
                     eio_packet *out)
{
    if (n == 0)
        return EIO_CODEC_EMPTY;
    if (*pos > n)
        return 0;
    const unsigned char *start = p + *pos;
    const unsigned char *sep = memchr(start, EIO_RECORD_SEPARATOR, n - *pos);
    size_t len = sep ? (size_t)(sep - start) : n - *pos;
    /* pos one past the end means "done"; a trailing separator leaves an
     * empty last record, which is an error. */
    *pos += len + 1;
    if (len > 0 && start[0] == 'b') {
        sio_buf_reset(scratch);
        if (sio_base64_decode(scratch, (const char *)start + 1, len - 1))
            return EIO_CODEC_BAD_BASE64;
        out->type = EIO_MESSAGE;
        out->binary = true;
        out->data = scratch->data;
        out->len = scratch->len;
        return 1;
    }
    int rc = eio_decode_text(start, len, out);
    return rc == EIO_CODEC_OK ? 1 : rc;
}

int eio_payload_append(sio_buf *b, const sio_msg *m)
{
    if (b->len && sio_buf_putc(b, EIO_RECORD_SEPARATOR))
        return -1;
    if (!m->binary)
        return sio_buf_append(b, m->data, m->len);
    if (sio_buf_putc(b, 'b'))
        return -1;
    return sio_base64_encode(b, m->data, m->len);
}

int eio_encode_open(sio_buf *b, const char *sid, bool can_upgrade, unsigned ping_interval,
                    unsigned ping_timeout, size_t max_payload)
{
    int rc = 0;
    rc |= sio_buf_puts(b, "0{\"sid\":\"");
    rc |= sio_buf_puts(b, sid); /* ids are base64url: nothing to escape */
    rc |= sio_buf_puts(b, can_upgrade ? "\",\"upgrades\":[\"websocket\"]" : "\",\"upgrades\":[]");
    rc |= sio_buf_puts(b, ",\"pingInterval\":");
    rc |= sio_buf_put_i64(b, ping_interval);
    rc |= sio_buf_puts(b, ",\"pingTimeout\":");
    rc |= sio_buf_put_i64(b, ping_timeout);
    rc |= sio_buf_puts(b, ",\"maxPayload\":");
    rc |= sio_buf_put_i64(b, (int64_t)max_payload);
    rc |= sio_buf_putc(b, '}');
    return rc ? -1 : 0;
}
