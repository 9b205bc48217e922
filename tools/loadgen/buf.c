/* Growable byte buffers (loadgen.h: buf): appended at the end, consumed at
 * the front, with the data moved down only when room is needed. A buffer
 * that empties gives back its memory when it had grown past 64 KB, so that
 * one large message does not stay allocated for every client. */
#include "loadgen.h"

#include <stdlib.h>
#include <string.h>

void buf_append(buf *b, const void *d, size_t n)
{
    if (b->off + b->len + n > b->cap) {
        if (b->off) {
            memmove(b->p, b->p + b->off, b->len);
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 256;
            while (cap < b->len + n)
                cap *= 2;
            b->p = xrealloc(b->p, cap);
            b->cap = cap;
        }
    }
    memcpy(b->p + b->off + b->len, d, n);
    b->len += n;
}

void buf_consume(buf *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (b->len == 0) {
        b->off = 0;
        if (b->cap > 65536) { /* give big buffers back */
            free(b->p);
            b->p = NULL;
            b->cap = 0;
        }
    }
}

void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
