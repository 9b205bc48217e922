/* What the files of the libwebsockets binding share: the transport's
 * state, the per-connection state, and the functions one file of the
 * binding calls in another. Only src/transport/ includes this (and so
 * libwebsockets.h). */
#ifndef SIO_TRANSPORT_LWS_INTERNAL_H
#define SIO_TRANSPORT_LWS_INTERNAL_H

#include "transport/transport.h"

#include "eio/eio_codec.h"
#include "transport/http_compress.h"
#include "transport/http_framing.h"
#include "transport/ws_deflate.h"

#include <libwebsockets.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#define WS_WRITE_BUDGET (256 * 1024) /* bytes per writable callback */
#define FLUSH_MAX_ROUNDS 64           /* rounds of reading before queued frames are written */
#define MAX_HEADER_BYTES (16 * 1024)  /* request headers, as Node's maxHeaderSize: 431 beyond */
/* lws's header table: larger than our limit, so that headers over it are
 * still read and answered 431 (lws drops a request that overflows its table
 * without a status line). Pages are touched only as far as a request fills it. */
#define LWS_HEADER_TABLE (32 * 1024)
#define REQUEST_SWEEP_MS 1000         /* how often request deadlines are checked */
#define AH_IDLE_SECS 10               /* lws's time for a request head once its first bytes are in */

struct sio_transport {
    transport_config cfg;
    struct lws_context *ctx;
    uv_loop_t *uv;   /* the loop lws runs on: &own_loop, or the application's */
    uv_loop_t own_loop;
    /* On the application's loop: the work transport_run does between rounds
     * (flush, timers, reaping), and whether the stop was reported. */
    uv_prepare_t before_poll;
    uv_check_t after_poll;
    bool app_handles;
    bool stopped;
    struct lws_protocols protocols[2];
    eio_engine *eng;
    lws_sorted_usec_list_t sul;
    int64_t scheduled; /* deadline the sul is set for, or INT64_MAX */
    int port;
    atomic_bool stop_requested;
    atomic_bool tls_reload; /* transport_reload_tls asked for it */
    bool stopping;
    int64_t stop_deadline;
    sio_buf scratch; /* polling responses are built here */
    sio_buf ws_out;  /* WebSocket frames gathered for one send() */
    http_encoder enc; /* polling responses' compression */
    sio_buf zout;     /* a compressed response is made here */
    sio_buf cookie;   /* the Set-Cookie value of the handshake being answered */
    sio_buf wsz;      /* a WebSocket message inflated, or compressed, is made here */
    ws_deflater deflater; /* permessage-deflate: one compressor for all connections */
    /* WebSockets with frames queued since the last flush (see want_write). */
    struct pss **flush;
    size_t n_flush, cap_flush;
    bool received; /* a WebSocket frame arrived in this round of events */
    /* Held polls are watched for the client hanging up: lws does not read a
     * connection in the middle of an HTTP transaction, so it would neither
     * see the hang-up nor stop polling the readable socket. */
    int held_epfd;
    struct lws *held_watch;
    /* Requests whose body is being read, each with a deadline for the whole
     * request (requestTimeout): lws's own timeout restarts at every byte, so
     * a body trickled a byte at a time would be held forever. */
    struct body_req *reading;
    lws_sorted_usec_list_t sweep;
    /* Keep-alive connections between requests, oldest first, and the timer
     * of the oldest (lws_keepalive.c). */
    struct pss *idle_head, *idle_tail;
    lws_sorted_usec_list_t idle_sweep;
    /* Connections: every lws connection object made (accepted sockets, and
     * the few of our own made at the start, counted in base_wsi). */
    long live_wsi, base_wsi;
    long max_connections;
    size_t queue_peak; /* the queues' high-water mark since the last trim */
    /* This machine's addresses, for same-origin requests (cfg.cors). */
    char **own_addrs;
    size_t n_own_addrs;
};

enum conn_kind { K_NONE, K_HTTP, K_WS };

/* A request outside the Engine.IO path, for the http_handler. Allocated only
 * for those, so that a WebSocket's state stays small. */
struct ext_req {
    const char *method;
    char *path, *query, *auth, *ctype, *inm;
    char etag[64];
    const char *cache_control;
};

/* A request whose body is being read (POST). Allocated only for those. */
struct body_req {
    struct pss *p;
    struct body_req *prev, *next; /* in the transport's reading list */
    int64_t deadline;
    bool chunked;
    http_chunked dec;
};

/* Per-connection state. lws keeps it across keep-alive HTTP requests, so it
 * is reset at the start of each request. */
typedef struct pss {
    eio_conn conn; /* first: the engine hands it back */
    struct lws *wsi;
    sio_transport *t;
    uint8_t kind;
    bool close_requested; /* the engine let go: close at the next writable */
    bool in_flush;        /* listed in the transport's flush list */
    bool responding;      /* an HTTP response is ready to go */
    bool holding;         /* a polling GET waits for data */
    bool discard_body;    /* a POST refused before its body: drain, then answer */
    bool close_after;     /* say Connection: close, and close after the response */
    bool keep_alive_10;   /* an HTTP/1.0 request that asked for keep-alive */
    bool post;            /* a POST: its body is read */
    bool head;            /* a HEAD request: no body in the response */
    bool handshake;       /* the polling handshake: the response may set the cookie */
    bool cookie;          /* the response sets the transport's `cookie` */
    bool deflate;         /* a WebSocket with permessage-deflate (ws_deflate.h) */
    bool rx_deflated;     /* the message being read came compressed (RSV1) */
    bool idle;            /* kept alive between requests, in the transport's idle list */
    uint8_t accept_encoding; /* http_encoding a held poll's answer may use (read before the hold) */
    int64_t idle_since;
    uint32_t idle_segs;   /* data segments received when it went idle */
    struct pss *idle_prev, *idle_next;
    ws_inflater *inflater; /* made with the first compressed message */
    const char *content_encoding; /* of the response body, or NULL */
    int8_t pending_error; /* eio_error to answer once a refused POST's body is drained */
    uint16_t status;
    const char *ctype;
    const char *acao;     /* Access-Control-Allow-Origin value, or NULL */
    char *origin;         /* copy of the request's Origin, when reflected */
    sio_request *req;     /* a handshake's request, from its admission to the handshake */
    char *refusal;        /* the message of a handshake allow_request refused */
    sio_buf body;         /* request body, then the response body */
    struct ext_req *ext;  /* a request for the http_handler, else NULL */
    struct body_req *breq; /* a body being read, else NULL */
    struct transport_deferred *deferred; /* a response the http_handler gives later */
} pss;

/* A deferred response (transport_http_defer): `p` is NULL once its
 * connection closed. */
struct transport_deferred {
    pss *p;
};

static inline pss *pss_of(eio_conn *c) { return (pss *)c; }

typedef struct query {
    char eio[16], transport[32], sid[64];
    eio_request req;
    bool jsonp;            /* a JSONP poll (the j parameter) */
    unsigned long jsonp_index;
} query;

/* lws_transport.c */
/* Work after any event: free what closed, move the timer. */
void transport_after_event(sio_transport *t);

/* lws_keepalive.c: a keep-alive connection waits for its next request
 * (after lws_http_transaction_completed), and stops waiting (a request
 * head, an upgrade, a close). */
void transport_idle_begin(pss *p);
void transport_idle_end(pss *p);

/* lws_log.c: libwebsockets' log lines to cfg.log while the transport lives. */
void transport_log_route(sio_transport *t);
void transport_log_unroute(sio_transport *t);

/* lws_request.c */
char *transport_header_dup(struct lws *wsi, enum lws_token_indexes h);
/* The request as the layers above see it (headers, addresses, URL, time,
 * TLS); NULL when out of memory. */
sio_request *transport_capture_request(sio_transport *t, struct lws *wsi);
/* Lets go of what a request's admission kept (p->req, p->refusal). */
void transport_admission_done(pss *p);
/* Whether `path` is the Engine.IO path `want` (with or without its '/'). */
bool transport_path_matches(const char *path, const char *want);
/* The bytes of the request's headers that lws stores by name. */
size_t transport_header_bytes(struct lws *wsi);
/* Tells cfg.on_refused of a request of `wsi` answered `status` (`code`: the
 * Engine.IO error code answered, or -1) because `what`. */
void transport_refused(sio_transport *t, struct lws *wsi, unsigned status, int code, const char *what,
                       const char *path);
/* The client's address for the request of `wsi`: its peer, or the client
 * X-Forwarded-For names when the peer is a trusted proxy. */
void transport_client_address(sio_transport *t, struct lws *wsi, char *out, size_t cap);
/* The same for an accepted socket `fd` closed before any request was read. */
void transport_refused_socket(sio_transport *t, int fd, unsigned status, const char *what);
eio_cors_verdict transport_check_origin(pss *p, struct lws *wsi);
/* The URL arguments as lws decoded them, one at a time. */
typedef struct url_args {
    struct lws *wsi;
    char *buf;
    int cap, next;
} url_args;
void transport_url_args_open(url_args *a, struct lws *wsi);
const char *transport_url_args_next(url_args *a);
void transport_url_args_close(url_args *a);
const char *transport_handshake_query(struct lws *wsi, sio_buf *b);
void transport_read_query(struct lws *wsi, query *q, eio_method m, bool upgrade);
int transport_protocol_of(const query *q);
eio_error transport_admit(pss *p, struct lws *wsi, query *q, eio_session **s);
eio_method transport_method_of(struct lws *wsi, const char **name);

/* lws_http.c: the lws HTTP callbacks; each returns what the callback returns. */
int transport_http_on_request(pss *p, struct lws *wsi, const char *path, size_t path_len);
int transport_http_body(pss *p, const void *in, size_t len);
int transport_http_body_done(pss *p);
int transport_http_writable(pss *p);
void transport_http_closed(pss *p);
/* Held polls whose socket hung up or sent something. */
void transport_held_hangups(sio_transport *t);

/* lws_ws.c */
/* permessage-deflate's pass-through lws extension (lws_ws.c), and the
 * per-connection decision to take a client's offer. */
extern const struct lws_extension transport_deflate_extension[];
int transport_ws_confirm_extension(pss *p, struct lws *wsi, const char *name);
int transport_ws_filter(pss *p, struct lws *wsi);
int transport_ws_established(pss *p, struct lws *wsi);
int transport_ws_receive(pss *p, struct lws *wsi, const void *in, size_t len);
int transport_ws_writable(pss *p, struct lws *wsi);
void transport_ws_closed(pss *p);
/* The engine's want_write: a WebSocket goes on the flush list. */
void transport_want_write(void *ctx, eio_conn *c);
void transport_unlist_flush(sio_transport *t, pss *p);
/* Writes the listed WebSockets now, outside any lws callback. */
void transport_flush_writes(sio_transport *t);

#endif
