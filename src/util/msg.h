/* Reference-counted outgoing messages.
 *
 * One message is one Engine.IO packet as it goes on a WebSocket: for text,
 * the packet type character followed by the data ("4hello", "2", "6"); for
 * binary, the raw bytes. It is built once and may sit in many sessions'
 * send queues at the same time (a broadcast encodes once), so it is never
 * modified after it is shared. SIO_HEADROOM bytes precede `data` for the
 * transport's framing. */
#ifndef SIO_UTIL_MSG_H
#define SIO_UTIL_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef struct sio_msg {
    uint32_t refs;
    bool binary;
    /* Sent as it is even where the transport compresses (Node's
     * compress(false)); false for a new message. */
    bool uncompressed;
    size_t len;
    unsigned char *data; /* points into the same allocation, after headroom */
} sio_msg;

/* A new message with refs = 1 holding a copy of `p` (text: prefixed by the
 * packet type `type`, a character '0'..'6'; pass type 0 for no prefix).
 * Returns NULL when out of memory. */
sio_msg *sio_msg_new(char type, const void *p, size_t n, bool binary);
/* Takes the contents of a buffer made with SIO_HEADROOM; the buffer is left
 * empty. Returns NULL when out of memory (the buffer is then unchanged). */
sio_msg *sio_msg_from_buf(sio_buf *b, bool binary);
static inline sio_msg *sio_msg_ref(sio_msg *m)
{
    m->refs++;
    return m;
}
/* Drops one reference; frees the message with the last one. NULL is a no-op. */
void sio_msg_unref(sio_msg *m);
/* Number of messages alive, for leak checks in tests. */
long sio_msg_live_count(void);

#endif
