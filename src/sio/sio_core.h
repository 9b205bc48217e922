/* The Socket.IO core: namespaces, sockets, rooms, acks and broadcast over
 * Engine.IO sessions. Internal: the public API is include/sio.h, which this
 * layer implements, apart from the server's creation and event loop (in
 * src/api/, which wires the core to the transport).
 *
 * Sans-I/O like the engine below it: it reacts to engine events and clock
 * ticks, and queues messages on sessions. */
#ifndef SIO_SIO_CORE_H
#define SIO_SIO_CORE_H

#include <pthread.h>
#include <stdbool.h>

#include "eio/eio_engine.h"
#include "sio.h"
#include "sio/sio_adapter.h"
#include "sio/sio_codec.h"
#include "sio/sio_counters.h"
#include "sio/sio_parser.h"
#include "util/msg.h"
#include "util/rand_id.h"
#include "util/request.h"
#include "util/strmap.h"
#include "util/timer_heap.h"

typedef struct sio_client sio_client;
typedef struct sio_room sio_room;
typedef struct sio_post sio_post;

/* The answer an asynchronous middleware or namespace filter owes
 * (sio_decide). A middleware's is about a socket; a filter's about a
 * CONNECT to a namespace that does not exist yet. */
struct sio_decision {
    sio_socket *s;   /* a middleware's: a reference; NULL for a filter's */
    size_t index;    /* of the middleware in the namespace's chain, or of the dynamic rule */
    bool in_callback;
    bool decided, allow;
    char *message, *data; /* a refusal's */
    /* A filter's: the client whose CONNECT waits (NULL once it has gone),
     * the next in its list of such waits, and the CONNECT's name and auth. */
    sio_client *client;
    sio_decision *next_wait;
    char *nsp_name;
    char *auth;
};

/* A set of sockets with O(1) add and remove: each member remembers its
 * index in every room it is in. */
struct sio_room {
    char *name; /* NULL for a namespace's set of all sockets */
    sio_socket **members;
    size_t n, cap;
};

typedef struct sio_membership {
    sio_room *room;
    size_t idx;
} sio_membership;

typedef struct sio_handler {
    sio_event_cb cb;
    void *user;
} sio_handler;

typedef struct sio_middleware {
    sio_middleware_cb cb;        /* one of the two */
    sio_async_middleware_cb acb;
    void *user;
} sio_middleware;

struct sio_namespace {
    sio_server *srv;
    char *name;
    /* The server's map holds one reference while the namespace is in it,
     * and every socket made in it one (sio_nsp_release): a namespace taken
     * out of the map (cleanup_empty_child_namespaces) lives on while a
     * socket handle points to it. */
    uint32_t refs;
    uint32_t live; /* its sockets not yet disconnected */
    bool child;  /* made by sio_dynamic_namespaces */
    bool in_map;
    strmap rooms; /* name -> sio_room* (not the sockets' own rooms) */
    /* id -> connected socket. A socket's own room (named by its id) is this
     * entry and the socket's in_own_room flag, not a room record: every
     * socket has one, and a record cost about 150 B a socket. */
    strmap sockets;
    sio_room all; /* every connected socket */
    strmap events; /* event name -> sio_handler* */
    sio_handler any;
    sio_connection_cb on_connection;
    void *on_connection_user;
    sio_disconnect_cb on_disconnect;
    void *on_disconnect_user;
    sio_disconnect_cb on_disconnecting;
    void *on_disconnecting_user;
    sio_middleware *mw;
    size_t n_mw;
    sio_adapter *adapter; /* where broadcasts and server-wide operations go */
    /* Ack ids of the namespace's sockets: one counter, so that a broadcast
     * with acks can use one id for all its recipients (as Node does). */
    int64_t next_ack_id;
    strmap server_events; /* event name -> sio_server_handler* */
    struct sio_recovery *recovery; /* connection state recovery's store, or NULL (sio_recovery.h) */
    sio_nsp_counters counters;
};

enum sio_socket_state { SOCK_CONNECTING, SOCK_CONNECTED, SOCK_DISCONNECTED };

typedef struct sio_packet_mw {
    sio_packet_middleware_cb cb;
    void *user;
} sio_packet_mw;

typedef struct sio_pending_ack {
    struct sio_pending_ack *next;
    sio_socket *s;
    int64_t id;
    sio_ack_cb cb;
    void *user;
    sio_timer timer;
} sio_pending_ack;

struct sio_socket {
    char *id; /* v5: random; v4 protocol: the Engine.IO sid, or "/nsp#sid" */
    uint8_t state;
    bool in_own_room; /* in the room named by its id (see sio_namespace.sockets) */
    bool closing;     /* its disconnecting handler runs: it is being closed */
    uint32_t refs;
    uint64_t mark; /* broadcast de-duplication (64 bits: never wraps) */
    sio_namespace *nsp;
    sio_client *client; /* NULL once disconnected */
    sio_socket *next_in_client;
    char *auth; /* NULL for {} */
    void *data;
    char *data_json; /* sio_socket_set_data_json; NULL for {} */
    sio_membership *mem; /* mem[0] is the namespace's `all` once connected */
    uint32_t n_mem, cap_mem;
    sio_msg **early; /* emits made before the CONNECT reply */
    uint32_t n_early, cap_early;
    sio_pending_ack *acks;
    sio_packet_mw *pmw; /* sio_socket_use */
    uint32_t n_pmw;
    sio_decision *decision; /* an asynchronous middleware's, while it is awaited */
    sio_request *req;       /* the handshake request (a reference), or NULL */
    /* Connection state recovery (sio_recovery.h): the private session id
     * (NULL when recovery is off), whether the socket resumed a session, and
     * until its CONNECT reply the offset it resumes from. */
    char *pid;
    bool recovered;
    char *recovery_offset;
    /* For the log (sio_log.c): when it connected (srv->clock), and its
     * connection's transport (eio_transport_kind) and Engine.IO protocol,
     * kept for when the connection has gone. */
    int64_t connected_at;
    uint8_t transport, eio_protocol;
};

struct sio_client {
    sio_server *srv;
    eio_session *es; /* NULL once the session closed */
    uint8_t protocol; /* Socket.IO protocol: 5, or 4 for socket.io-client 2.x (Engine.IO v3) */
    char *query;      /* the handshake's query as a JSON object; NULL for {} */
    sio_request *req; /* the handshake's request (a reference), or NULL */
    sio_socket *sockets;
    sio_decision *nsp_waits; /* CONNECTs awaiting an asynchronous namespace filter */
    sio_timer connect_timer;
    sio_decoder dec; /* the server's parser's state for this client */
    uint8_t closed_transport; /* the session's transport when it closed (es NULL) */
};

typedef struct sio_dyn_nsp {
    char *pattern;
    sio_namespace_filter filter;         /* at most one of the two */
    sio_namespace_filter_async afilter;
    sio_namespace_setup setup;
    void *user;
} sio_dyn_nsp;

struct sio_server {
    sio_options opt;
    sio_codec_limits lim;
    const sio_parser *parser; /* sio_parser_json unless sio_core_set_parser chose another */
    eio_engine *eng;
    strmap nsps;
    sio_dyn_nsp *dyn;
    size_t n_dyn;
    timer_heap timers;
    int64_t (*clock)(void); /* milliseconds, monotonic; injected */
    uint64_t epoch;
    sio_stats stats;
    sio_counters counters;
    /* Work posted from other threads. */
    pthread_mutex_t post_lock;
    sio_post *post_head, *post_tail;
    bool post_closed;
    /* The namespaces' adapters, and the operations awaiting answers. */
    sio_adapter_new_fn adapter_new;
    void *adapter_user;
    strmap ops; /* id -> sio_op* */
    /* The transport and the cluster (NULL without one), for the API layer. */
    void *transport;
    void *cluster;
    void (*wake)(void *transport);
    /* Observers (sio_observer.h) and intervals (sio_server_every). */
    struct sio_observer *observers;
    size_t n_observers;
    struct sio_interval *intervals;
    size_t polling_clients;
    bool share_admin_fields; /* sio_server_share_admin_fields */
    void *test_tap; /* sio_test_tap's callback (src/api/sio_testing.c), or NULL */
};

/* --- core entry points for the API layer --- */
sio_server *sio_core_new(const sio_options *o);
void sio_core_free(sio_server *srv);
eio_handler sio_core_engine_handler(sio_server *srv);
int64_t sio_core_next_deadline(sio_server *srv);
void sio_core_tick(sio_server *srv, int64_t now);
/* The parser of every client's packets (before any client connects). */
void sio_core_set_parser(sio_server *srv, const sio_parser *parser);
/* Runs the work other threads posted. */
void sio_core_run_posted(sio_server *srv);
/* Frees posted work not yet run and refuses more. */
void sio_core_close_posts(sio_server *srv);

/* --- the log (sio_log.c) --- */
/* Hands a record to the application's log callback, if any. */
void sio_log(const sio_server *srv, int level, const char *msg, const sio_log_field *fields, size_t n);
/* Whether the application has a log callback (to skip building records). */
bool sio_log_wanted(const sio_server *srv);
/* One line for a socket that connected (it is marked with the time), one
 * for a connected socket that goes (before it leaves its client), one for a
 * CONNECT refused (the namespace, its length, the message sent). */
void sio_log_connect(sio_socket *s);
void sio_log_disconnect(sio_socket *s, const char *reason);
void sio_log_connect_refused(const sio_client *c, const char *nsp, size_t len, const char *message);

/* --- shared between the core's files --- */
sio_namespace *sio_nsp_find(sio_server *srv, const char *name, size_t len);
void sio_nsp_release(sio_namespace *nsp);
/* After a socket of `nsp` closed: a child namespace left with no socket at
 * all leaves the server's map, with cleanup_empty_child_namespaces. */
void sio_nsp_cleanup_if_empty(sio_namespace *nsp);
sio_socket *sio_nsp_socket(sio_namespace *nsp, const char *id);
void sio_socket_close(sio_socket *s, const char *reason, bool notify_client);
/* Closes every socket of the client (one whose disconnecting handler is
 * running is left to finish its own close, detached from the client). */
void sio_client_close_sockets(sio_client *c, const char *reason, bool notify_client);
int sio_room_add(sio_room *r, sio_socket *s);
void sio_room_remove(sio_room *r, sio_socket *s);
/* Enters a connecting socket in its namespace's map and its own room.
 * Returns 0, or -1 when out of memory. */
int sio_socket_register(sio_socket *s);
/* The socket whose own room `room` is, when it is in it; else NULL. */
sio_socket *sio_own_room_member(const sio_namespace *nsp, const char *room);
/* Encodes a packet with the server's parser into one Engine.IO message
 * plus *natts attachment messages. args_json NULL means "[]" semantics for
 * events (no args), an empty array for acks. Returns SIO_OK or an error; on
 * success *out (and *atts, *natts) are new references the caller releases. */
int sio_encode_packet(sio_server *srv, sio_packet_type kind, const char *nsp, int64_t id,
                      const char *event, const char *args_json, const sio_binary *bins, size_t nbins,
                      sio_msg **out, sio_msg ***atts, size_t *natts);
/* Sends the client a CONNECT, DISCONNECT or CONNECT_ERROR packet (data:
 * its JSON payload, or NULL) with the server's parser. Returns an
 * EIO_SEND_* code, or SIO_ENOMEM. */
int sio_client_send_packet(sio_client *c, sio_packet_type t, const char *nsp, const char *data);
void sio_release_msgs(sio_msg *m, sio_msg **atts, size_t n);
/* Queues an encoded packet on the socket's client (or holds it until the
 * CONNECT reply). */
int sio_socket_deliver(sio_socket *s, sio_msg *m, sio_msg **atts, size_t n, bool is_volatile);
void sio_dispatch_event(sio_socket *s, const sio_packet *pkt, sio_buf *bins, unsigned n_bins);
void sio_dispatch_ack(sio_socket *s, const sio_packet *pkt, sio_buf *bins, unsigned n_bins);
void sio_socket_fail_acks(sio_socket *s);
/* Awaits the ack `id` from the socket: cb runs once, as for
 * sio_emit_with_ack (timeout_ms 0: no timeout of its own). Returns SIO_OK or
 * SIO_ENOMEM. */
int sio_socket_expect_ack(sio_socket *s, int64_t id, unsigned timeout_ms, sio_ack_cb cb, void *user);
/* Stops awaiting ack `id` (its callback is not called); a no-op when not awaited. */
void sio_socket_forget_ack(sio_socket *s, int64_t id);
/* Whether text (NUL-terminated) is valid JSON and an array. */
bool sio_args_is_array(const char *text, const json_limits *lim);
/* Runs fn with the arguments of a JSON array (validated), or returns
 * SIO_EINVAL (not an array) or SIO_ENOMEM. */
int sio_args_with_json(sio_server *srv, const char *json, size_t len,
                       void (*fn)(const sio_args *args, void *user), void *user);
/* Ops that wait for answers (sio_op.c). */
typedef enum sio_op_kind { SIO_OP_FETCH, SIO_OP_REPLIES } sio_op_kind;
typedef struct sio_op_done {
    sio_fetch_cb fetch;  /* SIO_OP_FETCH */
    sio_replies_cb replies; /* SIO_OP_REPLIES */
    void *user;
} sio_op_done;
/* A new op of `nsp` that ends after timeout_ms; NULL when out of memory.
 * `local_pending`: the local part answers through sio_op_sink (a
 * broadcast with acks). */
sio_op *sio_op_new(sio_namespace *nsp, sio_op_kind kind, sio_op_done done, unsigned timeout_ms,
                   bool local_pending);
/* Drops an op whose adapter call failed, without calling back. */
void sio_op_abandon(sio_op *op);
/* Ends every op with SIO_ECLOSED (the server is being freed). */
void sio_op_close_all(sio_server *srv);
/* Fills the sio_bcast of a public target (NULL: the whole namespace).
 * When the target excludes a socket, its id is added to the except-rooms in
 * an array put in *owned for the caller to free (else *owned is NULL).
 * Returns SIO_OK or SIO_ENOMEM. */
int sio_bcast_from_target(sio_namespace *nsp, const sio_target *to, sio_bcast *b, const char ***owned);

/* Observer hook points (sio_observe.c): call them only when
 * srv->n_observers is not 0, so that a server without observers pays one
 * test. */
void sio_observe_connection_open(sio_server *srv, eio_session *es);
void sio_observe_connection_upgrade(sio_server *srv, sio_client *c);
void sio_observe_connection_close(sio_server *srv, eio_session *es, const char *reason);
void sio_observe_socket_connect(sio_socket *s);
void sio_observe_socket_disconnect(sio_socket *s, const char *reason);
void sio_observe_room(sio_socket *s, const char *room, bool joined);
void sio_observe_event_in(sio_socket *s, const char *event, const sio_args *args);
void sio_observe_event_out(sio_socket *s, const char *event, const char *args_json);
void sio_observe_message(sio_server *srv, bool incoming, size_t bytes);
/* At sio_core_free: intervals cancelled, observers told. */
void sio_observe_free(sio_server *srv);

#endif
