/* Engine.IO packets and polling payloads: pure functions over buffers.
 *
 * A packet is a type and data. Over WebSocket a text frame is the type digit
 * followed by the data ("4hello"), and a binary frame is a message packet's
 * raw bytes. A v4 polling payload joins packets with the record separator
 * 0x1e; a binary packet there is 'b' followed by the base64 of its bytes. */
#ifndef SIO_EIO_CODEC_H
#define SIO_EIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/msg.h"

typedef enum eio_packet_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6,
} eio_packet_type;

#define EIO_RECORD_SEPARATOR '\x1e'

/* A decoded packet. `data` points into the input (text) or into a scratch
 * buffer owned by the caller (binary from base64); it is not NUL-terminated. */
typedef struct eio_packet {
    eio_packet_type type;
    bool binary;
    const unsigned char *data;
    size_t len;
} eio_packet;

enum {
    EIO_CODEC_OK = 0,
    EIO_CODEC_EMPTY = -1,    /* zero-length packet */
    EIO_CODEC_BAD_TYPE = -2, /* first character not a packet type */
    EIO_CODEC_BAD_BASE64 = -3,
    EIO_CODEC_NOMEM = -4,
};

/* Decodes one text packet as carried by a WebSocket text frame or one
 * polling record: "<type digit><data>". Returns EIO_CODEC_OK or an error. */
int eio_decode_text(const unsigned char *p, size_t n, eio_packet *out);

/* Walks a v4 polling payload. Call with *pos = 0, then repeatedly; each call
 * decodes the next record into *out and advances *pos. A 'b' record is
 * decoded from base64 into `scratch` (reset by each call), and out->data
 * points into it. Returns 1 when a packet was produced, 0 at the end of the
 * payload, or a negative EIO_CODEC_* error (the payload is then invalid as a
 * whole). An empty payload yields an error, not zero packets. */
int eio_payload_next(const unsigned char *p, size_t n, size_t *pos, sio_buf *scratch,
                     eio_packet *out);

/* Appends one message to a v4 polling payload under construction in `b`,
 * inserting the separator when b is not empty. Text messages go as they are
 * ("4hello"), binary ones as 'b' + base64. Returns 0 or -1 (out of memory). */
int eio_payload_append(sio_buf *b, const sio_msg *m);

/* --- Engine.IO v3 polling payloads -------------------------------------- */

/* Text framing: "<length>:<packet>" per packet, the length counting UTF-16
 * code units of the packet (so U+20AC counts 1 and U+1D54A counts 2); a
 * binary packet is "b4" + base64. Walks like eio_payload_next. Invalid
 * UTF-8 inside a counted packet is an error. */
int eio_payload3_next(const unsigned char *p, size_t n, size_t *pos, sio_buf *scratch,
                      eio_packet *out);
/* Binary framing: per packet a kind byte (0 text, 1 binary), the length as
 * one byte per decimal digit, 0xFF, then the packet: for text the UTF-8
 * "<type><data>", for binary the type byte 4 followed by the bytes. */
int eio_payload3_next_binary(const unsigned char *p, size_t n, size_t *pos, eio_packet *out);
/* Append one message in text framing / binary framing. Return 0 or -1. */
int eio_payload3_append_text(sio_buf *b, const sio_msg *m);
int eio_payload3_append_binary(sio_buf *b, const sio_msg *m);
/* UTF-16 code units of the UTF-8 text p[0..n), or -1 if it is not valid UTF-8. */
long eio_utf16_units(const unsigned char *p, size_t n);

/* Builds the open packet's JSON: exactly sid, upgrades, pingInterval,
 * pingTimeout, maxPayload, prefixed with '0'. Returns 0 or -1. */
int eio_encode_open(sio_buf *b, const char *sid, bool can_upgrade, unsigned ping_interval,
                    unsigned ping_timeout, size_t max_payload);

#endif
