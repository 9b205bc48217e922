/* Socket.IO packets (protocol v5): pure encode and decode.
 *
 *   <type>[<attachments>-][/<namespace>,][<ack id>][<JSON payload>]
 *
 * The namespace ends at ',' or at the end of the packet; "/" is implied
 * when absent. A binary packet (BINARY_EVENT, BINARY_ACK) is followed on
 * the Engine.IO connection by its attachments, one binary message each;
 * its payload refers to them by {"_placeholder":true,"num":N}. */
#ifndef SIO_SIO_CODEC_H
#define SIO_SIO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/json.h"

typedef enum sio_packet_type {
    SIO_PKT_CONNECT = 0,
    SIO_PKT_DISCONNECT = 1,
    SIO_PKT_EVENT = 2,
    SIO_PKT_ACK = 3,
    SIO_PKT_CONNECT_ERROR = 4,
    SIO_PKT_BINARY_EVENT = 5,
    SIO_PKT_BINARY_ACK = 6,
} sio_packet_type;

/* The largest ack id accepted: JavaScript's safe integers. */
#define SIO_MAX_ACK_ID 9007199254740991LL

typedef struct sio_packet {
    sio_packet_type type;
    const char *nsp; /* into the input, or the static "/" */
    size_t nsp_len;
    int64_t id;           /* ack id, or -1 */
    unsigned attachments; /* binary packets: how many binary messages follow */
    const char *data;     /* JSON payload text (into the input), or NULL */
    size_t data_len;
    json_doc json; /* the parsed payload (ntok 0 when none); sio_packet_free */
} sio_packet;

typedef struct sio_codec_limits {
    unsigned max_attachments; /* default 10 */
    json_limits json;         /* default json limits */
} sio_codec_limits;

enum {
    SIO_DECODE_OK = 0,
    SIO_E_TYPE = -1,        /* empty, or not a packet type 0-6 */
    SIO_E_ATTACHMENTS = -2, /* missing, malformed, zero or over the limit */
    SIO_E_NSP = -3,         /* namespace with control characters */
    SIO_E_ACK_ID = -4,      /* ack id too long or too large */
    SIO_E_PAYLOAD = -5,     /* payload is not valid JSON */
    SIO_E_SHAPE = -6,       /* payload of the wrong form for the type */
    SIO_E_RESERVED = -7,    /* event name is reserved */
    SIO_E_PLACEHOLDER = -8, /* placeholder with a bad num */
    SIO_E_NOMEM = -9,
    SIO_E_MESSAGE = -10, /* a message the parser never takes here: text for msgpack, an
                          * attachment nobody announced, text while attachments are due */
};

void sio_codec_limits_default(sio_codec_limits *l);

/* Decodes and validates one packet a client sent, per the server's rules:
 * CONNECT has no payload or an object; DISCONNECT no payload; EVENT and
 * BINARY_EVENT a non-empty array whose first element is a string that is
 * not a reserved name (connect, connect_error, disconnect, disconnecting,
 * newListener, removeListener); ACK and BINARY_ACK an array; binary
 * packets 1..max_attachments attachments and every placeholder's num an
 * integer in [0, attachments). CONNECT_ERROR is never valid from a client.
 * `lim` may be NULL for defaults. On SIO_DECODE_OK, *out borrows `p` and
 * must be released with sio_packet_free; on error *out needs no release. */
int sio_decode(const char *p, size_t n, const sio_codec_limits *lim, sio_packet *out);
/* The second half of sio_decode, for a parser that found the parts some
 * other way: parses pkt->data (JSON text, or NULL for none) and checks the
 * packet by the rules above (a binary type's placeholders against
 * pkt->attachments). On SIO_DECODE_OK pkt is to be released with
 * sio_packet_free; on error it needs no release. */
int sio_packet_check(sio_packet *pkt, const sio_codec_limits *lim);
void sio_packet_free(sio_packet *pkt);
const char *sio_decode_strerror(int err);

/* Appends the packet header: the Engine.IO message type '4' is NOT
 * included. `nsp` "/" (or NULL) is omitted; id < 0 is omitted; attachments
 * are written for binary types. Returns 0 or -1 (OOM). */
int sio_encode_header(sio_buf *b, sio_packet_type t, const char *nsp, int64_t id, unsigned attachments);

/* Appends an event payload: ["<event>", <args...>] where args_json is the
 * text of a JSON array of the remaining arguments ("[1,2]") or NULL/"[]"
 * for none. args_json must already be valid JSON. Returns 0 or -1. */
int sio_encode_event_payload(sio_buf *b, const char *event, const char *args_json, size_t args_len);

/* True if `name` is one of the reserved event names. */
bool sio_is_reserved_event(const char *name, size_t len);

#endif
