/* The messages of Node's @socket.io/redis-adapter 8.3 and
 * @socket.io/redis-emitter 5.1, as bytes on the wire and as plain C structs
 * (docs/cluster-protocol.md describes the protocol).
 *
 * Pure functions, no I/O. Decoders take the bytes of one Redis message
 * (MessagePack, or JSON text when the first byte is '{') and fill a struct
 * that owns all its memory: release it with the matching _free function,
 * which is also safe on a struct a failed decoder left (it leaves it
 * zeroed). Encoders read a struct whose pointers the caller keeps (nothing
 * is taken over) and append the message to a buffer.
 *
 * Arbitrary values (event arguments, acks, socket data, handshakes) are
 * JSON text as in the rest of libsio, with every binary replaced by
 * {"_placeholder":true,"num":N} and kept as attachment N. */
#ifndef SIO_CLUSTER_REDIS_CODEC_H
#define SIO_CLUSTER_REDIS_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msgpack/mp_types.h"
#include "util/buf.h"

typedef enum sio_redis_err {
    /* The codes shared with the MessagePack helpers (msgpack/mp_types.h)
     * keep their values, so that theirs pass through unchanged. */
    SIO_REDIS_OK = SIO_MP_OK,
    SIO_REDIS_E_NOMEM = SIO_MP_E_NOMEM, /* allocation failed */
    SIO_REDIS_E_MSGPACK = SIO_MP_E_MSGPACK,  /* not one well-formed MessagePack value: truncated, trailing
                                  bytes, lengths beyond the input, nested deeper than 32 */
    SIO_REDIS_E_JSON = SIO_MP_E_JSON,     /* JSON message or JSON value that does not parse */
    SIO_REDIS_E_SHAPE = -4,    /* well-formed, but not the message: a field missing or of
                                  the wrong type */
    SIO_REDIS_E_VALUE = SIO_MP_E_VALUE,    /* a value JSON cannot hold: a string that is not UTF-8, a
                                  map key that is not a string; or a bad placeholder */
} sio_redis_err;

/* A short English description of a sio_redis_err (never NULL). */
const char *sio_redis_strerror(int err);

/* Request and response types (the adapter's RequestType). */
typedef enum sio_redis_type {
    SIO_REDIS_SOCKETS = 0,
    SIO_REDIS_ALL_ROOMS = 1,
    SIO_REDIS_REMOTE_JOIN = 2,
    SIO_REDIS_REMOTE_LEAVE = 3,
    SIO_REDIS_REMOTE_DISCONNECT = 4,
    SIO_REDIS_REMOTE_FETCH = 5,
    SIO_REDIS_SERVER_SIDE_EMIT = 6,
    SIO_REDIS_BROADCAST = 7,
    SIO_REDIS_BROADCAST_CLIENT_COUNT = 8,
    SIO_REDIS_BROADCAST_ACK = 9,
} sio_redis_type;

/* The emitter's server id. */
#define SIO_REDIS_EMITTER_UID "emitter"
/* Length of a server id or request id, as the adapter makes them. */
#define SIO_REDIS_UID_LEN 6

/* A list of strings: rooms, socket ids. */
typedef struct sio_redis_strs {
    char **v;
    size_t n;
} sio_redis_strs;

typedef sio_mp_bin sio_redis_bin;

/* A value: JSON text (NUL-terminated) with placeholders for its binaries.
 * json == NULL means absent (undefined in JavaScript). */
typedef sio_mp_value sio_redis_value;

/* The Socket.IO packet object Node passes between servers. */
typedef struct sio_redis_packet {
    int type;              /* 2 (EVENT) for broadcasts, binary or not */
    char *nsp;             /* "/" when the message has none */
    sio_redis_value data;  /* for events: ["event", args...] */
    bool has_id;
    int64_t id;            /* ack id; never set on broadcasts by Node */
} sio_redis_packet;

typedef struct sio_redis_flags {
    bool is_volatile, compress, local, broadcast, binary;
    bool has_timeout;
    uint64_t timeout; /* milliseconds */
} sio_redis_flags;

/* Which sockets: all of the namespace when rooms is empty, less those in
 * any except room. */
typedef struct sio_redis_opts {
    sio_redis_strs rooms;
    sio_redis_strs except;
    bool has_flags; /* flags are written only when set (broadcasts: always) */
    sio_redis_flags flags;
} sio_redis_opts;

/* [uid, packet, opts] on socket.io#<nsp># or socket.io#<nsp>#<room>#. */
typedef struct sio_redis_broadcast {
    char *uid;
    sio_redis_packet packet;
    sio_redis_opts opts;
} sio_redis_broadcast;

/* A request on socket.io-request#<nsp>#. Which fields are used depends on
 * the type (see docs/cluster-protocol.md); the others stay zero. */
typedef struct sio_redis_request {
    sio_redis_type type;
    char *uid;               /* NULL when absent (the emitter's 2, 3, 4) */
    char *request_id;        /* NULL when absent: no answer expected */
    bool has_opts;
    sio_redis_opts opts;     /* 2, 3, 4, 5, 7: which sockets */
    sio_redis_strs rooms;    /* 0: rooms to list; 2, 3: rooms to join or leave */
    char *sid, *room;        /* 2, 3, 4 in the old one-socket form (no opts) */
    bool close;              /* 4 */
    sio_redis_value data;    /* 6: ["event", args...] */
    sio_redis_packet packet; /* 7 */
} sio_redis_request;

/* One socket in a REMOTE_FETCH answer. */
typedef struct sio_redis_socket {
    char *id;
    sio_redis_value handshake; /* a JSON object */
    sio_redis_strs rooms;
    sio_redis_value data;      /* socket.data; absent when undefined */
} sio_redis_socket;

/* A response on socket.io-response#<nsp>#[<uid>#]. Answers to 0-5 carry no
 * type: the asker knows it from the request_id. */
typedef struct sio_redis_response {
    bool has_type;
    sio_redis_type type;       /* 6, 8, 9 */
    char *request_id;
    bool has_sockets;          /* 0 and 5: "sockets" was present */
    sio_redis_strs sids;       /* 0: socket ids */
    sio_redis_socket *sockets; /* 5 */
    size_t nsockets;
    bool has_rooms;            /* 1 */
    sio_redis_strs rooms;
    uint64_t client_count;     /* 8 */
    sio_redis_value data;      /* 6: the reply; 9: the client's ack ("packet") */
} sio_redis_response;

int sio_redis_broadcast_decode(const void *p, size_t n, sio_redis_broadcast *out);
int sio_redis_request_decode(const void *p, size_t n, sio_redis_request *out);
int sio_redis_response_decode(const void *p, size_t n, sio_redis_response *out);
void sio_redis_broadcast_free(sio_redis_broadcast *m);
void sio_redis_request_free(sio_redis_request *r);
void sio_redis_response_free(sio_redis_response *r);

/* Encoders: append the message to out and return SIO_REDIS_OK, or a
 * sio_redis_err with out as it was. Broadcasts are MessagePack; requests
 * and responses take Node's format for their type (MessagePack for 7 and 9,
 * JSON for the others) unless they carry binary, which only MessagePack
 * holds. A value's JSON must be valid and its placeholders must name its
 * attachments (SIO_REDIS_E_JSON, SIO_REDIS_E_VALUE). A packet with nsp
 * NULL is written with "/". */
int sio_redis_broadcast_encode(const sio_redis_broadcast *m, sio_buf *out);
int sio_redis_request_encode(const sio_redis_request *r, sio_buf *out);
int sio_redis_response_encode(const sio_redis_response *r, sio_buf *out);

/* Channel names for the key prefix (NULL: "socket.io") and a namespace,
 * appended to out (no NUL). Return 0, or -1 when out of memory.
 *   broadcast: prefix#nsp#, or prefix#nsp#room# when room is not NULL
 *   request:   prefix-request#nsp#
 *   response:  prefix-response#nsp#, or prefix-response#nsp#uid# when uid
 *              is not NULL */
int sio_redis_broadcast_channel(sio_buf *out, const char *prefix, const char *nsp, const char *room);
int sio_redis_request_channel(sio_buf *out, const char *prefix, const char *nsp);
int sio_redis_response_channel(sio_buf *out, const char *prefix, const char *nsp, const char *uid);

/* The room of a broadcast channel, as Node reads it: what follows
 * prefix#nsp# less the last character. Sets *room and *room_len to a span
 * of channel (length 0 for a broadcast to no single room) and returns true;
 * false when the channel is not a broadcast channel of that namespace. */
bool sio_redis_channel_room(const char *channel, size_t len, const char *prefix, const char *nsp,
                            const char **room, size_t *room_len);

/* A fresh server or request id: SIO_REDIS_UID_LEN characters of
 * A-Z a-z 0-9 - _ and a NUL. Returns 0, or -1 when the kernel gave no
 * randomness. */
int sio_redis_make_uid(char out[SIO_REDIS_UID_LEN + 1]);

#endif
