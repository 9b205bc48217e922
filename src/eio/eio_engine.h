/* The Engine.IO server core, without I/O.
 *
 * The engine owns the sessions and decides everything the protocol decides:
 * which requests are admitted, what a poll answers, when to ping, when a
 * session is dead. It never touches a socket. The transport binding feeds it
 * requests, bodies, frames and clock ticks, and it asks the binding for
 * writes and closes through eio_transport_ops. The application (or the
 * Socket.IO layer) hears of sessions through eio_handler.
 *
 * Time is injected: every entry point that needs it takes `now` in
 * milliseconds on a monotonic clock.
 *
 * Lifetime: a session that closes leaves the sid table at once (later
 * requests get "Session ID unknown"), refuses sends, and stays in memory.
 * eio_engine_reap() then tells the layer above (on_close) and frees it once
 * no connection refers to it: nothing is freed, and no on_close runs, inside
 * a call the layer above made. */
#ifndef SIO_EIO_ENGINE_H
#define SIO_EIO_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/msg.h"
#include "util/request.h"

typedef struct eio_engine eio_engine;
typedef struct eio_session eio_session;

typedef enum eio_transport_kind {
    EIO_POLLING = 0,
    EIO_WEBSOCKET = 1,
} eio_transport_kind;

/* What a connection of the binding is to a session. */
typedef enum eio_conn_role {
    EIO_CONN_NONE = 0,
    EIO_CONN_GET,   /* a polling GET, held until there is something to send */
    EIO_CONN_POST,  /* a polling POST whose body is being received */
    EIO_CONN_WS,    /* the session's WebSocket */
    EIO_CONN_PROBE, /* a WebSocket probing an upgrade from polling */
} eio_conn_role;

/* Embedded by the transport binding in each connection's state. The engine
 * sets `session` to NULL when the session lets go of the connection, so the
 * binding never follows a dangling pointer. */
typedef struct eio_conn {
    eio_session *session;
    uint8_t role; /* eio_conn_role */
    /* Set by eio_conn_take_payload: whether the payload may be compressed,
     * that is, a packet in it did not ask not to be (as Node's polling
     * transport decides). */
    bool compress;
    /* Set by the binding for each polling request: a JSONP one (Engine.IO
     * v3's `j` parameter), whose POST body the engine unwraps and whose
     * poll answer it wraps (eio_jsonp.h), with the callback's index. */
    bool jsonp;
    uint32_t jsonp_index;
} eio_conn;

/* Engine.IO error codes, as in the HTTP 400/403 JSON body. */
typedef enum eio_error {
    EIO_ERR_NONE = -1,
    EIO_ERR_UNKNOWN_TRANSPORT = 0,
    EIO_ERR_UNKNOWN_SID = 1,
    EIO_ERR_BAD_HANDSHAKE_METHOD = 2,
    EIO_ERR_BAD_REQUEST = 3,
    EIO_ERR_FORBIDDEN = 4,
    EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION = 5,
} eio_error;

/* Node's wording of each code. */
const char *eio_error_message(eio_error e);
/* Appends {"code":N,"message":"..."} to b. Returns 0 or -1 (OOM). */
int eio_error_body(sio_buf *b, eio_error e);
/* The same with another message (JSON-escaped), as a refusal by the
 * application's allow_request carries. */
int eio_error_body_message(sio_buf *b, eio_error e, const char *message);

/* Why a session closed; the strings are Engine.IO's reasons. */
typedef enum eio_close_reason {
    EIO_CLOSE_TRANSPORT_CLOSE, /* "transport close": the client went away or sent close */
    EIO_CLOSE_TRANSPORT_ERROR, /* "transport error": a second GET, an aborted poll */
    EIO_CLOSE_PARSE_ERROR,     /* "parse error": an invalid packet */
    EIO_CLOSE_PING_TIMEOUT,    /* "ping timeout" */
    EIO_CLOSE_FORCED,          /* "forced close": the server closed it */
    EIO_CLOSE_QUEUE_FULL,      /* "send queue full": the client does not read */
    EIO_CLOSE_SERVER_SHUTDOWN, /* "server shutting down" */
} eio_close_reason;
const char *eio_close_reason_str(eio_close_reason r);

typedef struct eio_options {
    unsigned ping_interval;    /* ms, default 25000 */
    unsigned ping_timeout;     /* ms, default 20000 */
    unsigned upgrade_timeout;  /* ms, default 10000 */
    size_t max_payload;        /* bytes, default 1000000 */
    size_t max_queue_bytes;    /* bytes queued for one client before it is closed, counted as
                                * each message's payload plus EIO_MSG_OVERHEAD; default 16 MiB */
    size_t max_total_queue_bytes; /* all queues together, default 1 GiB (0: no budget); past
                                * it, a client holding more than its share (the budget
                                * over the sessions) is closed when sent more */
    unsigned max_poll_packets; /* packets in one polling response, default 16 */
    bool allow_polling;        /* default true */
    bool allow_websocket;      /* default true */
    bool allow_upgrades;       /* default true */
    bool allow_eio3;           /* accept Engine.IO v3 clients (EIO=3), default true */
} eio_options;

void eio_options_defaults(eio_options *o);

/* Requests from the transport binding to the transport. */
typedef struct eio_transport_ops {
    void *ctx;
    /* `c` has something to send: call eio_conn_take_payload (GET) or
     * eio_conn_next_frame (WS/PROBE) once the connection is writable. */
    void (*want_write)(void *ctx, eio_conn *c);
    /* Drop the connection. The engine has already let go of it
     * (c->session is NULL). For a GET or POST, answer or abort it. */
    void (*close_conn)(void *ctx, eio_conn *c);
    /* Optional (eio_session_abort, a test server's fault): drop the
     * connection at once, answering nothing, as a network failure would.
     * NULL: close_conn. */
    void (*abort_conn)(void *ctx, eio_conn *c);
} eio_transport_ops;

/* Events for the layer above. Each may call back into the engine (send,
 * close) for any session; none may free anything. */
typedef struct eio_handler {
    void *ctx;
    void (*on_open)(void *ctx, eio_session *s);
    void (*on_message)(void *ctx, eio_session *s, const unsigned char *p, size_t n, bool binary);
    void (*on_close)(void *ctx, eio_session *s, eio_close_reason reason);
    /* Optional: the send queue of `s` became empty while on a transport
     * that can take more now. */
    void (*on_drain)(void *ctx, eio_session *s);
    /* Optional: `s` moved from polling to WebSocket. */
    void (*on_upgrade)(void *ctx, eio_session *s);
} eio_handler;

/* What holding one queued message costs beyond its payload: the message
 * struct and its headroom, the allocator's header, and a queue slot. */
#define EIO_MSG_OVERHEAD (sizeof(sio_msg) + SIO_HEADROOM + 16 + sizeof(void *))

/* --- the engine ---------------------------------------------------------- */

/* Returns NULL when out of memory. `opt` is copied; NULL means defaults. */
eio_engine *eio_engine_new(const eio_options *opt, const eio_transport_ops *ops,
                           const eio_handler *h);
/* Frees the engine and every session without calling any callback; the
 * binding must have dropped its connections first. */
void eio_engine_free(eio_engine *e);
const eio_options *eio_engine_options(const eio_engine *e);
void eio_engine_set_handler(eio_engine *e, const eio_handler *h);

/* A request as the binding saw it. Strings are NUL-terminated query
 * parameter values (URL-decoded) or NULL when absent. */
typedef enum eio_method { EIO_METHOD_GET, EIO_METHOD_POST, EIO_METHOD_OTHER } eio_method;
typedef struct eio_request {
    eio_method method;
    bool ws_upgrade; /* an HTTP upgrade to WebSocket */
    const char *eio;
    const char *transport;
    const char *sid;
    bool b64; /* v3: the client asked for base64 instead of binary payloads */
} eio_request;

/* Admission, in Node's order: transport, then (with a sid) session and
 * transport match, else (handshake) method, WebSocket-only-by-upgrade and
 * protocol version. On EIO_ERR_NONE, *s is the session for a request with a
 * sid, or NULL for a handshake. */
eio_error eio_engine_verify(eio_engine *e, const eio_request *r, eio_session **s);

/* Opens a session whose first connection is `c` (a polling GET answered with
 * the open packet, or a WebSocket). Returns the session, or NULL when out of
 * memory or out of randomness (answer 500). Calls on_open. */
eio_session *eio_engine_handshake(eio_engine *e, eio_transport_kind t, eio_conn *c, int64_t now);
/* The same for a given protocol version (3 or 4); `b64` is the v3 client's
 * request for base64 payloads; `query` is the handshake's query string
 * (URL-encoded, copied; NULL for none) and `req` the HTTP request (a
 * reference is taken; NULL for none), both kept for the layer above. In v3
 * the client pings and the server answers, and the session dies when
 * nothing comes for pingInterval + pingTimeout. */
eio_session *eio_engine_handshake_version(eio_engine *e, eio_transport_kind t, int protocol, bool b64,
                                          const char *query, sio_request *req, eio_conn *c, int64_t now);

/* Fires the timers due at `now` (pings, ping timeouts, upgrade timeouts). */
void eio_engine_tick(eio_engine *e, int64_t now);
/* Earliest timer, or INT64_MAX when none. */
int64_t eio_engine_next_deadline(const eio_engine *e);
/* Calls on_close for the sessions that closed since the last call (oldest
 * first; closes made by on_close itself are reported in the same call).
 * Frees nothing: the first half of eio_engine_reap. */
void eio_engine_deliver_closes(eio_engine *e);
/* Calls on_close for the sessions that closed since the last reap, then
 * frees those that no connection holds any more. Call when no engine call
 * is on the stack (the transport does it after every event). */
void eio_engine_reap(eio_engine *e);
/* Closes every session gracefully (reason "server shutting down"). */
void eio_engine_close_all(eio_engine *e);
/* Closes every session at once and reaps: on_close runs for each. For the
 * end of the loop, after the transport dropped its connections. */
void eio_engine_shutdown(eio_engine *e);
size_t eio_engine_session_count(const eio_engine *e);

/* --- one session, from the transport binding ---------------------------- */

/* A polling GET arrived. Holds it (want_write once something is queued).
 * A GET while another is held answers the first with a close packet, closes
 * the session and returns EIO_ERR_BAD_REQUEST: answer this one 400. */
eio_error eio_session_poll_get(eio_session *s, eio_conn *c, int64_t now);
/* A POST began: only one at a time. Returns EIO_ERR_BAD_REQUEST (and closes
 * the session) for a concurrent one. */
eio_error eio_session_poll_post_begin(eio_session *s, eio_conn *c);
/* The whole body of the POST on `c` arrived (for v3, in text framing or,
 * when it starts with the byte 0 or 1, in binary framing). Returns EIO_ERR_NONE (answer
 * "ok") or EIO_ERR_BAD_REQUEST (invalid payload: answer 400; the session is
 * closed). The connection is released either way. A JSONP POST's body
 * (c->jsonp) is the form that carries the payload. */
eio_error eio_session_poll_post(eio_conn *c, const unsigned char *p, size_t n, int64_t now);
/* A WebSocket with this session's sid was accepted: it probes an upgrade.
 * Returns EIO_ERR_BAD_REQUEST when the session is not on polling, upgrades
 * are off, or a probe is already under way: refuse it. */
eio_error eio_session_ws_probe(eio_session *s, eio_conn *c, int64_t now);

/* A WebSocket message on `c` (role WS or PROBE). Returns 0, or -1 when the
 * connection must be closed (the engine already let go of it). */
int eio_conn_ws_recv(eio_conn *c, const unsigned char *p, size_t n, bool binary, int64_t now);
/* Next frame to write on a WS/PROBE connection, or NULL. The caller owns one
 * reference and unrefs it after writing. */
sio_msg *eio_conn_next_frame(eio_conn *c);
/* Fills `out` with the polling response for the held GET `c` and releases
 * the connection. Returns 0, or -1 when there is nothing to send yet
 * (a spurious writable). A v3 payload in binary framing (sent as
 * application/octet-stream) starts with the byte 0 or 1; a text payload
 * always starts with a printable character. A JSONP poll's (c->jsonp) is
 * the script that carries the payload. */
int eio_conn_take_payload(eio_conn *c, sio_buf *out);
/* The binding's connection is gone (closed by the peer, error, or after
 * close_conn). Safe to call for a connection the engine already released. */
void eio_conn_closed(eio_conn *c);

/* --- one session, from the layer above ----------------------------------- */

enum {
    EIO_SEND_OK = 0,
    EIO_SEND_CLOSED = -1,     /* the session is closing or closed */
    EIO_SEND_QUEUE_FULL = -2, /* over max_queue_bytes: the session is being closed */
    EIO_SEND_DROPPED = -3,    /* a volatile message the transport could not take now */
};
/* Queues a message (takes a new reference; the caller keeps its own).
 * Messages go out in the order they were queued, on whatever transport the
 * session has when they are written. */
int eio_session_send(eio_session *s, sio_msg *m);
/* As eio_session_send, but drops the message if it cannot be written now. */
int eio_session_send_volatile(eio_session *s, sio_msg *m);
/* Closes the session after what is queued has been written (bounded by
 * pingTimeout). on_close is called with EIO_CLOSE_FORCED. */
void eio_session_close(eio_session *s);
/* Closes the session now for a bad request made on it ("transport error"). */
void eio_session_fail(eio_session *s);
bool eio_session_is_open(const eio_session *s);
const char *eio_session_sid(const eio_session *s);
eio_transport_kind eio_session_transport(const eio_session *s);
/* 3 or 4. */
int eio_session_protocol(const eio_session *s);
/* The handshake's query string, URL-encoded ("" when none). */
const char *eio_session_query(const eio_session *s);
/* The handshake's HTTP request, or NULL when the binding gave none. */
sio_request *eio_session_request(const eio_session *s);
void eio_session_set_user(eio_session *s, void *user);
void *eio_session_user(const eio_session *s);
/* What the session's send queue costs: each message's payload plus
 * EIO_MSG_OVERHEAD (a broadcast's shared payload counts in every queue). */
size_t eio_session_queued_bytes(const eio_session *s);
/* The same over every session. */
size_t eio_engine_queued_bytes(const eio_engine *e);
/* The engine's counters (eio/eio_metrics.h); the binding counts its
 * refusals there. Loop thread. */
struct eio_metrics *eio_engine_metrics(eio_engine *e);

#endif
