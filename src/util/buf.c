#include "util/buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sio_buf_init(sio_buf *b, size_t headroom)
{
    memset(b, 0, sizeof(*b));
    b->headroom = headroom;
}

void sio_buf_free(sio_buf *b)
{
    size_t headroom = b->headroom;
    free(b->mem);
    sio_buf_init(b, headroom);
}

int sio_buf_reserve(sio_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len)
        return 0;
    if (extra > SIZE_MAX / 2 - b->len - b->headroom)
        return -1;
    size_t want = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < want)
        cap *= 2;
    unsigned char *mem = realloc(b->mem, b->headroom + cap);
    if (!mem)
        return -1;
    b->mem = mem;
    b->data = mem + b->headroom;
    b->cap = cap;
    return 0;
}

int sio_buf_append(sio_buf *b, const void *p, size_t n)
{
    if (n == 0)
        return 0;
    if (sio_buf_reserve(b, n))
        return -1;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

int sio_buf_puts(sio_buf *b, const char *s) { return sio_buf_append(b, s, strlen(s)); }

int sio_buf_putc(sio_buf *b, unsigned char c) { return sio_buf_append(b, &c, 1); }

int sio_buf_printf(sio_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    /* Room for the NUL vsnprintf writes, which len does not take in. */
    if (n < 0 || sio_buf_reserve(b, (size_t)n + 1))
        return -1;
    va_start(ap, fmt);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int sio_buf_put_i64(sio_buf *b, int64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
    return sio_buf_append(b, tmp, (size_t)n);
}
