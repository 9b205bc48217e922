/* permessage-deflate (RFC 7692) for the WebSocket transport, without I/O:
 * which offers the server accepts, and the messages compressed and
 * inflated, on zlib.
 *
 * Why not libwebsockets' own extension: in lws 4.1 its inflate path aborts
 * the process (an assertion on the output space, when a message inflates
 * past the receive buffer at its end) for ordinary compressed messages
 * from a client, and its receive buffer is the connection's. The binding
 * negotiates through a pass-through lws extension (lws then lets frames
 * with RSV1 through) and does the compression here.
 *
 * The server compresses every message on its own (a fresh window, as
 * server_no_context_takeover would have it), which any client can read
 * whatever it offered, so one compressor serves every connection. A
 * client may keep its window across messages: each connection that sends
 * compressed messages has an inflater of its own (about 40 KB), made with
 * its first one. */
#ifndef SIO_WS_DEFLATE_H
#define SIO_WS_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* Whether a Sec-WebSocket-Extensions value (NULL: none) holds a
 * permessage-deflate offer the server can take: its first such offer with
 * no parameter other than client_max_window_bits (with or without a value),
 * client_no_context_takeover and server_no_context_takeover. An offer that
 * limits the server's window (server_max_window_bits) is declined, as the
 * response could not carry the limit. */
bool ws_deflate_acceptable(const char *extensions);

/* The server's compressor, shared by its connections. Zero-initialise. */
typedef struct ws_deflater {
    void *z; /* z_stream *, made on first use */
} ws_deflater;

/* Appends to `out` the compressed form of prefix[0..plen) followed by
 * data[0..n) as one message (raw deflate, the final empty block's
 * 00 00 ff ff left off, as RFC 7692 7.2.1 says). Returns 0, or -1 when out
 * of memory or zlib fails. */
int ws_deflate_message(ws_deflater *d, const void *prefix, size_t plen, const void *data, size_t n, sio_buf *out);
void ws_deflater_free(ws_deflater *d);

/* A connection's inflater. Zero-initialise. */
typedef struct ws_inflater {
    void *z;
} ws_inflater;

enum {
    WS_INFLATE_OK = 0,
    WS_INFLATE_BAD = -1,     /* not valid deflate data: close 1007 */
    WS_INFLATE_TOO_BIG = -2, /* inflates past `max`: close 1009 */
    WS_INFLATE_NOMEM = -3,
};

/* Inflates one message (in[0..n), its trailer put back) into `out` (reset
 * first), at most `max` bytes; the window carries over to the next
 * message. Returns one of the codes above. */
int ws_inflate_message(ws_inflater *f, const void *in, size_t n, size_t max, sio_buf *out);
void ws_inflater_free(ws_inflater *f);

#endif
