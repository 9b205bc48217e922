/* Growable byte buffers with optional headroom in front of the data.
 *
 * The transport needs LWS_PRE bytes in front of every frame it writes; a
 * buffer made with headroom keeps that space before `data`, so a payload can
 * be built once and handed to the transport without a copy. */
#ifndef SIO_UTIL_BUF_H
#define SIO_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

/* Headroom the transport needs in front of a frame. The transport binding
 * checks at compile time that LWS_PRE fits in it. */
#define SIO_HEADROOM 32

typedef struct sio_buf {
    unsigned char *mem;  /* allocation; NULL while empty */
    unsigned char *data; /* mem + headroom */
    size_t len;          /* bytes used from data */
    size_t cap;          /* bytes available from data */
    size_t headroom;
} sio_buf;

/* An empty buffer that will reserve `headroom` bytes before its data. */
void sio_buf_init(sio_buf *b, size_t headroom);
/* Releases the memory; the buffer is empty and reusable afterwards. */
void sio_buf_free(sio_buf *b);
/* Forgets the contents and keeps the memory. */
static inline void sio_buf_reset(sio_buf *b) { b->len = 0; }
/* Makes room for `extra` more bytes. Returns 0, or -1 when out of memory. */
int sio_buf_reserve(sio_buf *b, size_t extra);
/* Appends bytes, a C string, one byte, or a decimal integer.
 * Each returns 0, or -1 when out of memory (the buffer is unchanged). */
int sio_buf_append(sio_buf *b, const void *p, size_t n);
int sio_buf_puts(sio_buf *b, const char *s);
int sio_buf_putc(sio_buf *b, unsigned char c);
int sio_buf_put_i64(sio_buf *b, int64_t v);
/* Appends printf-formatted text (without its NUL). Returns 0, or -1 when out
 * of memory or for a format error (the buffer is unchanged). */
int sio_buf_printf(sio_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
