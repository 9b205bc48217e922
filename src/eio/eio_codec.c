#include "eio/eio_codec.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/base64.h"
#include "util/utf8.h"

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

/* --- Engine.IO v3 ----------------------------------------------------------- */

long eio_utf16_units(const unsigned char *p, size_t n)
{
    long units = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = sio_utf8_decode(p + i, n - i, &cp, NULL);
        if (!l)
            return -1;
        units += cp >= 0x10000 ? 2 : 1;
        i += l;
    }
    return units;
}

int eio_payload3_next(const unsigned char *p, size_t n, size_t *pos, sio_buf *scratch,
                      eio_packet *out)
{
    if (n == 0)
        return EIO_CODEC_EMPTY;
    if (*pos >= n)
        return 0;
    size_t i = *pos;
    uint64_t units = 0;
    size_t digits = 0;
    while (i < n && p[i] >= '0' && p[i] <= '9') {
        if (++digits > 9)
            return EIO_CODEC_BAD_TYPE;
        units = units * 10 + (uint64_t)(p[i++] - '0');
    }
    if (!digits || i >= n || p[i] != ':' || units == 0)
        return EIO_CODEC_BAD_TYPE;
    size_t start = ++i;
    /* Consume exactly `units` UTF-16 code units of UTF-8 text. */
    while (units > 0) {
        uint32_t cp = 0;
        size_t l = i < n ? sio_utf8_decode(p + i, n - i, &cp, NULL) : 0;
        if (!l || (cp >= 0x10000 ? 2u : 1u) > units)
            return EIO_CODEC_BAD_TYPE;
        uint64_t u = cp >= 0x10000 ? 2 : 1;
        units -= u;
        i += l;
    }
    *pos = i;
    size_t len = i - start;
    const unsigned char *pkt = p + start;
    if (pkt[0] == 'b') {
        if (len < 2 || pkt[1] < '0' || pkt[1] > '6')
            return EIO_CODEC_BAD_TYPE;
        sio_buf_reset(scratch);
        if (sio_base64_decode(scratch, (const char *)pkt + 2, len - 2))
            return EIO_CODEC_BAD_BASE64;
        out->type = (eio_packet_type)(pkt[1] - '0');
        out->binary = true;
        out->data = scratch->data;
        out->len = scratch->len;
        return 1;
    }
    int rc = eio_decode_text(pkt, len, out);
    return rc == EIO_CODEC_OK ? 1 : rc;
}

int eio_payload3_next_binary(const unsigned char *p, size_t n, size_t *pos, eio_packet *out)
{
    if (n == 0)
        return EIO_CODEC_EMPTY;
    if (*pos >= n)
        return 0;
    size_t i = *pos;
    unsigned char kind = p[i++];
    if (kind > 1)
        return EIO_CODEC_BAD_TYPE;
    uint64_t len = 0;
    size_t digits = 0;
    while (i < n && p[i] != 0xff) {
        if (p[i] > 9 || ++digits > 9)
            return EIO_CODEC_BAD_TYPE;
        len = len * 10 + p[i++];
    }
    if (!digits || i >= n || len == 0 || len > n - i - 1)
        return EIO_CODEC_BAD_TYPE;
    const unsigned char *pkt = p + i + 1;
    *pos = i + 1 + len;
    if (kind == 1) {
        if (pkt[0] > 6)
            return EIO_CODEC_BAD_TYPE;
        out->type = (eio_packet_type)pkt[0];
        out->binary = true;
        out->data = pkt + 1;
        out->len = len - 1;
        return 1;
    }
    if (eio_utf16_units(pkt, len) < 0)
        return EIO_CODEC_BAD_TYPE;
    int rc = eio_decode_text(pkt, len, out);
    return rc == EIO_CODEC_OK ? 1 : rc;
}

int eio_payload3_append_text(sio_buf *b, const sio_msg *m)
{
    if (m->binary) {
        size_t b64 = (m->len + 2) / 3 * 4;
        if (sio_buf_put_i64(b, (int64_t)(b64 + 2)) || sio_buf_puts(b, ":b4"))
            return -1;
        return sio_base64_encode(b, m->data, m->len);
    }
    long units = eio_utf16_units(m->data, m->len);
    if (units < 0)
        return -1;
    if (sio_buf_put_i64(b, units) || sio_buf_putc(b, ':'))
        return -1;
    return sio_buf_append(b, m->data, m->len);
}

int eio_payload3_append_binary(sio_buf *b, const sio_msg *m)
{
    char digits[24];
    size_t len = m->len + (m->binary ? 1 : 0);
    int nd = snprintf(digits, sizeof(digits), "%zu", len);
    if (sio_buf_putc(b, m->binary ? 1 : 0))
        return -1;
    for (int i = 0; i < nd; i++)
        if (sio_buf_putc(b, (unsigned char)(digits[i] - '0')))
            return -1;
    if (sio_buf_putc(b, 0xff))
        return -1;
    if (m->binary && sio_buf_putc(b, EIO_MESSAGE))
        return -1;
    return sio_buf_append(b, m->data, m->len);
}
