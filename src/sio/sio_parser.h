/* The parser: how Socket.IO packets become Engine.IO messages and back.
 *
 * The core holds a packet one way whatever the parser: a type, a namespace,
 * an ack id, and its data as JSON text in which each binary is a
 * placeholder {"_placeholder":true,"num":N} for attachment N. A parser
 * turns that into messages (socket.io-parser's text packet followed by one
 * binary message per attachment; socket.io-msgpack-parser's one binary
 * message) and messages back into a checked sio_packet with its
 * attachments. One server uses one parser, as in Node; the core reaches it
 * only through this table, so it does not know which it is. */
#ifndef SIO_SIO_PARSER_H
#define SIO_SIO_PARSER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sio.h"
#include "sio/sio_codec.h"
#include "util/buf.h"
#include "util/msg.h"

/* A packet the server sends. */
typedef struct sio_out_packet {
    sio_packet_type type; /* CONNECT, DISCONNECT, EVENT, ACK or CONNECT_ERROR: binary
                           * packets are the parser's business */
    const char *nsp;      /* NULL: "/" */
    int64_t id;           /* ack id, or -1 */
    const char *event;    /* EVENT: the event's name (its arguments in data) */
    /* Valid JSON, or NULL. EVENT: the arguments as an array (NULL: none);
     * ACK: the array of the reply; CONNECT, CONNECT_ERROR: the payload
     * (NULL: none). Placeholders name bins. */
    const char *data;
    size_t data_len;
    const sio_binary *bins;
    size_t nbins;
} sio_out_packet;

/* One client's decoding state: what a packet being assembled holds, and
 * what a decoded packet borrows until sio_decoder_reset. Zeroed to start. */
typedef struct sio_decoder {
    char *text;        /* the packet's text (its own memory) */
    size_t text_len;
    unsigned expected; /* attachments announced by the text, still to come */
    sio_buf *bins;     /* the attachments */
    unsigned n_bins;
} sio_decoder;

/* Results of decode besides the sio_decode errors (SIO_E_*). */
enum {
    SIO_PARSE_PACKET = 1, /* *out is a packet, with d->bins and d->n_bins */
    SIO_PARSE_MORE = 2,   /* the message was taken; the packet awaits more */
};

typedef struct sio_parser {
    const char *name; /* "default", "msgpack" */
    /* Encodes p into one message (*out) and *natts attachment messages
     * (*atts, malloc'd, NULL when none), new references the caller releases
     * (sio_release_msgs). Returns SIO_OK, SIO_EINVAL (p->data is not what
     * its type needs) or SIO_ENOMEM, with nothing to release. */
    int (*encode)(const sio_out_packet *p, sio_msg **out, sio_msg ***atts, size_t *natts);
    /* Takes one Engine.IO message of a client. On SIO_PARSE_PACKET, *out
     * is checked as sio_decode checks a packet (lim applies), borrows from
     * d and from p (which the caller keeps until it is done with *out), and
     * is released with sio_packet_free then sio_decoder_reset. On an error
     * (a SIO_E_* code), the client is to be closed ("parse error"); d needs
     * a reset. */
    int (*decode)(sio_decoder *d, const unsigned char *p, size_t n, bool binary, const sio_codec_limits *lim,
                  sio_packet *out);
} sio_parser;

/* socket.io-parser, Node's default. */
extern const sio_parser sio_parser_json;

/* Frees what d holds and zeroes it. */
void sio_decoder_reset(sio_decoder *d);

#endif
