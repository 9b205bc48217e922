#include "eio/eio_jsonp.h"

#include <stdio.h>
#include <string.h>

int eio_jsonp_wrap(sio_buf *out, unsigned long index, const unsigned char *p, size_t n)
{
    char head[40];
    int hn = snprintf(head, sizeof(head), "___eio[%lu](\"", index);
    int rc = sio_buf_append(out, head, (size_t)hn);
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = p[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            rc = sio_buf_append(out, esc, 2);
        } else if (c < 0x20) {
            static const char short_esc[] = "btn\0fr"; /* 8..13, \v has none */
            if (c >= 8 && c <= 13 && short_esc[c - 8]) {
                esc[0] = '\\', esc[1] = short_esc[c - 8];
                rc = sio_buf_append(out, esc, 2);
            } else {
                snprintf(esc, sizeof(esc), "\\u%04x", c);
                rc = sio_buf_append(out, esc, 6);
            }
        } else if (c == 0xe2 && i + 2 < n && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9)) {
            rc = sio_buf_puts(out, p[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
            i += 2;
        } else {
            rc = sio_buf_putc(out, c);
        }
    }
    if (!rc)
        rc = sio_buf_puts(out, "\");");
    return rc ? -1 : 0;
}

static int hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int eio_jsonp_unwrap(sio_buf *out, const unsigned char *body, size_t n)
{
    /* Find the field d=... among &-separated fields. */
    const unsigned char *v = NULL, *end = NULL;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && body[j] != '&')
            j++;
        if (j - i >= 2 && body[i] == 'd' && body[i + 1] == '=') {
            v = body + i + 2;
            end = body + j;
            break;
        }
        i = j + 1;
    }
    if (!v)
        return -1;
    /* URL-decode, then turn the two characters \n into a newline, and
     * \\n (an escaped one) into \n, as the client encoded them. */
    sio_buf raw;
    sio_buf_init(&raw, 0);
    int rc = 0;
    for (const unsigned char *q = v; q < end && !rc; q++) {
        unsigned char c = *q;
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (end - q < 3 || hex(q[1]) < 0 || hex(q[2]) < 0) {
                rc = -1;
                break;
            }
            c = (unsigned char)(hex(q[1]) << 4 | hex(q[2]));
            q += 2;
        }
        rc = sio_buf_putc(&raw, c);
    }
    const unsigned char *r = raw.data;
    for (size_t i = 0; i < raw.len && !rc;) {
        if (i + 2 < raw.len && r[i] == '\\' && r[i + 1] == '\\' && r[i + 2] == 'n') {
            rc = sio_buf_append(out, "\\n", 2);
            i += 3;
        } else if (i + 1 < raw.len && r[i] == '\\' && r[i + 1] == 'n') {
            rc = sio_buf_putc(out, '\n');
            i += 2;
        } else {
            rc = sio_buf_putc(out, r[i++]);
        }
    }
    sio_buf_free(&raw);
    return rc ? -1 : 0;
}
