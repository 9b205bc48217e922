#include "util/msg.h"

#include <stdlib.h>
#include <string.h>

/* Only the event-loop thread creates and frees messages, so a plain counter
 * is enough. */
static long live;

static sio_msg *alloc_msg(size_t n)
{
    sio_msg *m = malloc(sizeof(*m) + SIO_HEADROOM + n + 1);
    if (!m)
        return NULL;
    m->refs = 1;
    m->uncompressed = false;
    m->len = n;
    m->data = (unsigned char *)(m + 1) + SIO_HEADROOM;
    m->data[n] = 0; /* text messages are also C strings, for logs and tests */
    live++;
    return m;
}

sio_msg *sio_msg_new(char type, const void *p, size_t n, bool binary)
{
    size_t pre = type ? 1 : 0;
    sio_msg *m = alloc_msg(n + pre);
    if (!m)
        return NULL;
    m->binary = binary;
    if (pre)
        m->data[0] = (unsigned char)type;
    if (n)
        memcpy(m->data + pre, p, n);
    return m;
}

sio_msg *sio_msg_from_buf(sio_buf *b, bool binary)
{
    sio_msg *m = sio_msg_new(0, b->data, b->len, binary);
    if (m)
        sio_buf_free(b);
    return m;
}

void sio_msg_unref(sio_msg *m)
{
    if (m && --m->refs == 0) {
        live--;
        free(m);
    }
}

long sio_msg_live_count(void) { return live; }
