/* The adapter boundary of the Socket.IO core: what a namespace does beyond
 * this node goes through one adapter per namespace.
 *
 * The core owns the local room index (rooms, memberships, the sockets of a
 * namespace); an adapter decides where an operation goes. The in-memory
 * adapter (sio_adapter_memory.c, the default) applies every operation to
 * this node only. A cluster adapter (src/cluster/) forwards each operation
 * to the other nodes and applies the local part with the same sio_local_*
 * functions the in-memory adapter uses, as Node's cluster adapters call
 * their in-memory base class.
 *
 *   application -> sio_broadcast, sio_fetch_sockets, ... (sio_server_ops.c)
 *               -> nsp->adapter->ops->...               (this interface)
 *               -> sio_local_* on this node, and, for a cluster adapter,
 *                  messages to the other nodes
 *   other node  -> cluster adapter -> sio_local_* / sio_op_* (replies)
 *
 * Requests that wait for answers (fetch sockets, serverSideEmit with ack,
 * broadcast with acks) are sio_op records kept by the core: the adapter
 * says how many other nodes will answer (sio_op_expect_nodes), feeds their
 * answers in, and the core merges them, applies the timeout and calls the
 * application back. An adapter keeps an op's id (sio_op_id), never the
 * pointer: sio_op_find returns NULL once the op has finished.
 *
 * Everything here runs on the loop thread. */
#ifndef SIO_SIO_ADAPTER_H
#define SIO_SIO_ADAPTER_H

#include <stdbool.h>
#include <stddef.h>

#include "sio.h"
#include "util/buf.h"

typedef struct sio_adapter sio_adapter;
typedef struct sio_op sio_op;

/* Flags of a broadcast, as Node's BroadcastFlags. */
enum {
    SIO_BCAST_LOCAL = 1u << 0,    /* this node only: not forwarded */
    SIO_BCAST_VOLATILE = 1u << 1, /* may be dropped when a transport is busy */
    SIO_BCAST_UNCOMPRESSED = 1u << 2, /* Node's compress(false): sent as it is where the
                                       * transport compresses (its messages are marked) */
};

/* Which sockets an operation is for (Node's BroadcastOptions). `except`
 * already holds the id of the excluded socket (socket.broadcast), which is
 * how other nodes learn of it; `exclude` is that socket, for this node.
 * `timeout_ms` is the wait for answers (never 0 here: the core puts
 * requests_timeout in its place). */
typedef struct sio_bcast {
    const char *const *rooms; /* none: the whole namespace */
    size_t n_rooms;
    const char *const *except;
    size_t n_except;
    const sio_socket *exclude;
    unsigned flags; /* SIO_BCAST_* */
    unsigned timeout_ms;
} sio_bcast;

/* A packet as it travels between nodes: the event name, its arguments as
 * the text of a JSON array (NULL: no arguments) whose placeholders index
 * `bins`, and the attachments. Valid during the call only. */
typedef struct sio_adapter_packet {
    const char *event;
    const char *args_json;
    const sio_binary *bins;
    size_t nbins;
} sio_adapter_packet;

/* What an adapter does. Every operation returns a count of this node's
 * sockets it reached (>= 0) or a SIO_E* code. The ops that take an `op`
 * must, sooner or later, call sio_op_expect_nodes on it (0 when no other
 * node will answer); until then it can only end by its timeout. */
typedef struct sio_adapter_ops {
    const char *name;
    /* Frees the adapter (the namespace is going away). */
    void (*destroy)(sio_adapter *a);
    /* Deliver here (sio_local_broadcast) and, unless SIO_BCAST_LOCAL,
     * forward. */
    int (*broadcast)(sio_adapter *a, const sio_bcast *b, const sio_adapter_packet *p);
    /* The same, with acks: the local part reports to sio_op_sink(op); each
     * other node reports its client count (sio_op_add_clients) and each of
     * its clients' replies (sio_op_add_reply). */
    int (*broadcast_with_ack)(sio_adapter *a, const sio_bcast *b, const sio_adapter_packet *p, sio_op *op);
    /* Adds the matching local sockets (sio_op_add_local) and asks the other
     * nodes for theirs (sio_op_add_remote, then sio_op_node_answered). */
    int (*fetch_sockets)(sio_adapter *a, const sio_bcast *b, sio_op *op);
    int (*add_sockets)(sio_adapter *a, const sio_bcast *b, const char *const *rooms, size_t n);
    int (*del_sockets)(sio_adapter *a, const sio_bcast *b, const char *const *rooms, size_t n);
    int (*disconnect_sockets)(sio_adapter *a, const sio_bcast *b, bool close);
    /* To the other nodes' handlers (never this node's, as in Node); `op`
     * NULL when no answer is wanted, else each node's reply goes to
     * sio_op_add_reply then sio_op_node_answered. */
    int (*server_side_emit)(sio_adapter *a, const sio_adapter_packet *p, sio_op *op);
    /* Whether every broadcast of the namespace passes through this node's
     * connection state recovery store (sio_recovery.h), so that sessions
     * can be kept and resumed here: the in-memory adapter's case. Without
     * it recovery is off, as with Node's adapters that are not session-aware. */
    bool keeps_sessions;
} sio_adapter_ops;

/* The start of every adapter's state; an implementation embeds it first. */
struct sio_adapter {
    const sio_adapter_ops *ops;
    sio_namespace *nsp; /* not a reference: the namespace owns its adapter */
};

/* The server of an adapter's namespace (for sio_op_find). */
sio_server *sio_adapter_server(const sio_adapter *a);

/* Makes the adapter of a namespace (NULL when out of memory). */
typedef sio_adapter *(*sio_adapter_new_fn)(sio_namespace *nsp, void *user);

/* Sets how the server's namespaces get their adapter: existing ones are
 * given a new one now (call it before clients connect), later ones when
 * they are made. NULL restores the in-memory adapter. Returns SIO_OK or
 * SIO_ENOMEM (the namespaces keep the adapter they had). */
int sio_core_set_adapter(sio_server *srv, sio_adapter_new_fn fn, void *user);

/* The in-memory adapter. */
sio_adapter *sio_adapter_memory_new(sio_namespace *nsp, void *user);

/* --- this node's part: what the in-memory adapter is made of ---------------- */

/* Emits to this node's matching sockets, the packet encoded once. Returns
 * the count of recipients or a SIO_E* code. */
int sio_local_broadcast(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p);

/* Where the answers to a broadcast with acks go. `count` is called once,
 * with the number of local clients sent the packet; `reply` once per client
 * that answers in time, with the JSON text of its first argument ("null"
 * when none); `release` once at the end (all answered, or b->timeout_ms
 * passed), after which nothing more is called. */
typedef struct sio_reply_sink {
    void (*count)(void *ctx, size_t n);
    void (*reply)(void *ctx, const char *json, size_t len);
    void (*release)(void *ctx);
    void *ctx;
} sio_reply_sink;

/* Emits with one ack id to the matching local sockets and reports to
 * `sink` (which is released in every case, also on failure). Returns the
 * count of recipients or a SIO_E* code. */
int sio_local_broadcast_with_ack(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p,
                                 const sio_reply_sink *sink);

/* Appends the JSON data of a local socket as other nodes fetch it: its
 * sio_socket_data_json, with "_admin" {clientId, transport} first when the
 * server shares them (sio_server_share_admin_fields) and the data is an
 * object. Returns 0, or -1 when out of memory. */
int sio_local_fetch_data(const sio_socket *s, sio_buf *out);

/* Calls fn for each matching local socket (each once, except-rooms and the
 * excluded socket skipped), on a snapshot taken first: fn may join, leave
 * or disconnect. Returns the count or SIO_ENOMEM. */
int sio_local_each(sio_namespace *nsp, const sio_bcast *b, void (*fn)(sio_socket *s, void *user),
                   void *user);
int sio_local_add_sockets(sio_namespace *nsp, const sio_bcast *b, const char *const *rooms, size_t n);
int sio_local_del_sockets(sio_namespace *nsp, const sio_bcast *b, const char *const *rooms, size_t n);
int sio_local_disconnect(sio_namespace *nsp, const sio_bcast *b, bool close);
/* Calls fn with the name of each room that has members on this node, the
 * sockets' own rooms (their ids) included, as Node's adapter lists its
 * rooms. fn must not join, leave or disconnect. */
void sio_local_rooms(const sio_namespace *nsp, void (*fn)(const char *room, void *user), void *user);
/* Whether a room has members on this node (a cluster adapter skips
 * broadcasts for rooms it does not have). */
bool sio_local_has_room(const sio_namespace *nsp, const char *room);

/* Runs this node's handler of a server-side event that came from another
 * node. With `sink` (the sender wants an answer), the handler's one reply
 * goes to sink->reply; sink->release is called in every case, once. Returns
 * SIO_OK, SIO_EINVAL (bad arguments) or SIO_ENOMEM. */
int sio_local_server_event(sio_namespace *nsp, const sio_adapter_packet *p, const sio_reply_sink *sink);

/* The handshake of a local socket as Node's socket.handshake serialises:
 * {"headers":{...},"time":"...","address":"...","xdomain":b,"secure":b,
 * "issued":ms,"url":"...","query":{...},"auth":{...}}. Returns 0, or -1 when
 * out of memory. */
int sio_handshake_json(const sio_socket *s, sio_buf *out);

/* --- operations that wait for answers ------------------------------------------------ */

const char *sio_op_id(const sio_op *op);
/* The op with this id while it is waiting, else NULL. */
sio_op *sio_op_find(sio_server *srv, const char *id);
/* How many other nodes will answer (for a broadcast with acks: send their
 * client count). Until it is called the op waits; called again, the last
 * count holds. */
void sio_op_expect_nodes(sio_op *op, unsigned n);
/* One other node has answered in full. */
void sio_op_node_answered(sio_op *op);
/* A socket of another node, for fetch_sockets: JSON texts as Node sends
 * them (handshake an object, data any value). Returns SIO_OK or SIO_ENOMEM. */
int sio_op_add_remote(sio_op *op, const char *id, const char *handshake_json, const char *const *rooms,
                      size_t n_rooms, const char *data_json);
/* A local socket, for fetch_sockets. */
int sio_op_add_local(sio_op *op, sio_socket *s);
/* A reply (a JSON value): a node's to serverSideEmit, or a client's to a
 * broadcast with acks. Returns SIO_OK, SIO_EINVAL (not JSON) or SIO_ENOMEM. */
int sio_op_add_reply(sio_op *op, const char *json, size_t len);
/* Broadcast with acks: another node sent the packet to n clients (this
 * counts as its answer). */
void sio_op_add_clients(sio_op *op, size_t n);
/* The sink for the local part of a broadcast with acks; it holds the op
 * until released. */
sio_reply_sink sio_op_sink(sio_op *op);

#endif
