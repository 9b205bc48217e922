/* The transport binding: HTTP long-polling and WebSocket on libwebsockets.
 *
 * The only layer that talks to libwebsockets (its .c file is the only one
 * that includes libwebsockets.h). It feeds the Engine.IO engine with
 * requests, bodies, frames and clock ticks, and runs the engine's timers on
 * the lws scheduler. lws runs on a libuv (epoll) loop owned by the binding. WebSocket frames queued during a round of events are
 * written after it, gathered into one send() per connection; HTTP responses
 * and anything lws could not send at once wait for a writable callback.
 *
 * Threads: everything runs on the thread that calls transport_run(), except
 * transport_stop() and transport_wake(), which any thread (or a signal
 * handler) may call. */
#ifndef SIO_TRANSPORT_H
#define SIO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eio/eio_cors.h"
#include "eio/eio_engine.h"
#include "transport/http_cookie.h"
#include "util/buf.h"

typedef struct sio_transport sio_transport;

/* An HTTP request outside the Engine.IO path, for the layer above (static
 * files, an HTTP API). Header values are NUL-terminated or NULL. */
typedef struct transport_http_request {
    const char *method; /* "GET", "POST", ... */
    const char *path;   /* URL-decoded, without the query */
    const char *query;  /* raw query string without '?', or "" */
    const char *authorization;
    const char *content_type;
    const char *if_none_match;
    const unsigned char *body;
    size_t body_len;
    const char *address; /* the client's, as sio_request_address */
} transport_http_request;

typedef struct transport_http_response {
    unsigned status;
    const char *content_type; /* static string */
    sio_buf body;             /* made with SIO_HEADROOM; the transport frees it */
    char etag[64];            /* sent as ETag when not empty */
    const char *cache_control; /* static string or NULL */
    void *conn;                /* the transport's, for transport_http_defer */
    bool deferred;             /* set by transport_http_defer */
} transport_http_response;

/* A request refused, as the log tells it. Strings are never NULL ("" when
 * unknown) and may hold anything the client sent. */
typedef struct transport_refusal {
    unsigned status;     /* the HTTP status answered */
    int code;            /* the Engine.IO error code answered, or -1 */
    const char *reason;  /* the answer's message */
    const char *method;  /* "GET", "POST", ... */
    const char *path;    /* URL-decoded */
    const char *address; /* the client's (X-Forwarded-For's from a trusted proxy) */
} transport_refusal;

/* A response the http_handler gives later: it calls transport_http_defer
 * and returns true without a status; the connection is then held (no
 * timeout; a client hanging up is noticed) until transport_deferred_reply,
 * from the loop thread. */
typedef struct transport_deferred transport_deferred;
/* NULL when out of memory (then answer now). A handler that defers and
 * then returns false gets its 404 now, and the handle is freed. */
transport_deferred *transport_http_defer(transport_http_response *res);
/* Answers and frees `d`. Returns 0, or -1 when the connection is gone
 * (nothing is sent) or out of memory (the client gets 500). */
int transport_deferred_reply(transport_deferred *d, unsigned status, const char *content_type,
                             const void *body, size_t len);
bool transport_deferred_open(const transport_deferred *d);

typedef struct transport_config {
    const char *bind_addr; /* NULL: every interface */
    int port;              /* 0: any free port (see transport_port) */
    const char *path;      /* Engine.IO path, default "/engine.io/" */
    eio_cors cors;
    size_t ws_rx_buffer;   /* bytes lws reads into per WebSocket, default 256: about 1.9 KB
                            * RSS per idle session; larger messages arrive in pieces */
    /* Other HTTP requests. Return true after filling `res`; false for 404.
     * Bodies of POSTs to other paths are capped at max_http_body bytes. */
    bool (*http_handler)(void *ctx, const transport_http_request *req, transport_http_response *res);
    void *http_ctx;
    /* Optional: words a refusal of such a request made before the handler
     * (413, 400, 408, 431): sets res (its status is ignored) or leaves its
     * content_type NULL for the transport's text. `req` has no body. */
    void (*http_refusal)(void *ctx, const transport_http_request *req, unsigned status, const char *reason,
                         transport_http_response *res);
    size_t max_http_body;  /* default 1 MiB */
    /* Time to read a request's body once its head is in, before it is
     * answered 408 and closed (Node's requestTimeout); default 300000. (lws
     * drops a head not complete within 10 s.) */
    unsigned request_timeout_ms;
    /* An idle keep-alive connection is closed after this; default 5 (Node's). */
    unsigned keep_alive_secs;
    /* Connections at once: one more is closed as soon as it is accepted.
     * 0: as many as the process's file descriptor limit leaves room for. */
    unsigned max_connections;
    /* Runs on the loop thread soon after transport_wake(). */
    void (*on_wake)(void *ctx);
    void *wake_ctx;
    /* Timers of the layer above, run on the same scheduler as the engine's. */
    int64_t (*next_deadline)(void *ctx);
    void (*tick)(void *ctx, int64_t now);
    void *timer_ctx;
    /* Called for each refused request, for the log. */
    void (*on_refused)(void *ctx, const struct transport_refusal *r);
    void *refused_ctx;
    /* The handshake's request: X-Forwarded-For is believed only from these
     * peers (addresses or CIDR blocks); headers lws does not know by name
     * that are kept too (names, without the colon). */
    const char *const *trusted_proxies;
    size_t n_trusted_proxies;
    const char *const *extra_headers;
    size_t n_extra_headers;
    /* Decides whether a handshake may open a session (Node's allowRequest);
     * false refuses it with 403 {"code":4,"message":*message} (default
     * "Forbidden"). NULL: every handshake may. */
    bool (*allow_request)(void *ctx, const sio_request *req, const char **message);
    void *allow_ctx;
    /* Receives libwebsockets' errors and warnings (level 0 error, 1
     * warning), see lws_log.c; NULL leaves lws's logging alone. */
    void (*log)(void *ctx, int level, const char *line);
    void *log_ctx;
    /* Lines of the binding's own (a TLS reload), level as sio_log_fn's;
     * NULL: none. Called with log_ctx. */
    void (*notice)(void *ctx, int level, const char *line);
    /* A libuv loop (uv_loop_t *) the application runs; NULL: the binding
     * makes its own, run by transport_run. On the application's loop the
     * binding's work after each round of events is done by a prepare and a
     * check handle, and on_stopped runs (loop thread) once a stop has closed
     * every session or its grace has passed; new connections are closed
     * from then on. */
    void *app_loop;
    void (*on_stopped)(void *ctx);
    void *stopped_ctx;
    /* engine.io's httpCompression: polling responses of at least
     * compress_threshold bytes are compressed when the request accepts gzip
     * or deflate (http_compress.h); compress_threshold 0: never. */
    size_t compress_threshold;
    /* engine.io's cookie: set with the session id on the polling handshake
     * when cookie.name is not NULL (http_cookie.h). */
    http_cookie cookie;
    /* HTTPS and WSS on the port, with this certificate (chain) and private
     * key, PEM files; both NULL: plain HTTP. transport_reload_tls reads the
     * same files again. */
    const char *tls_cert, *tls_key;
    /* permessage-deflate (RFC 7692, Node's perMessageDeflate) offered to
     * WebSocket clients that ask for it; messages of at least
     * deflate_threshold bytes then go compressed (by lws's extension),
     * smaller ones as they are. Off by default, as in Node: it costs a zlib
     * stream pair per connection. */
    bool per_message_deflate;
    size_t deflate_threshold;
} transport_config;

void transport_config_defaults(transport_config *c);

/* Why transport_new failed. The numbers are those of the public codes
 * (SIO_E* in sio.h, EIO_SERVER_E* in eio.h; src/api/ checks they agree). */
typedef enum transport_error {
    TRANSPORT_OK = 0,
    TRANSPORT_ENOMEM = -2,
    TRANSPORT_EADDRINUSE = -8,     /* the port is in use */
    TRANSPORT_EADDRNOTAVAIL = -9,  /* the address is not one of this machine's */
    TRANSPORT_EACCES = -10,        /* no permission to listen on the port */
    TRANSPORT_EEVENTLOOP = -11,    /* no event loop: libuv, or lws's libuv plugin */
    TRANSPORT_ELISTEN = -12,       /* another failure to listen */
    TRANSPORT_ETLS = -13,          /* the TLS certificate or key cannot be used */
} transport_error;

typedef struct transport_failure {
    transport_error code;
    char message[200]; /* one line naming the address and port, no newline */
} transport_failure;

/* Creates the listening socket and the engine. Returns NULL on failure and,
 * when `why` is not NULL, fills it; nothing is printed. The config strings
 * must outlive the transport. */
sio_transport *transport_new(const transport_config *cfg, const eio_options *eopt,
                             const eio_handler *h, transport_failure *why);
eio_engine *transport_engine(sio_transport *t);
int transport_port(const sio_transport *t);
/* Whether the transport runs on the application's loop (cfg.app_loop). */
bool transport_on_app_loop(const sio_transport *t);
/* Services until transport_stop(); then closes every session gracefully
 * (bounded by a short deadline). Returns 0; -1 at once on the
 * application's loop, which the application runs. */
int transport_run(sio_transport *t);
/* Async-signal-safe and thread-safe. */
void transport_stop(sio_transport *t);
/* Whether transport_stop() was called (any thread). */
bool transport_stopping(sio_transport *t);
/* Thread-safe: on_wake will run on the loop thread. */
void transport_wake(sio_transport *t);
/* Async-signal-safe and thread-safe: the loop thread loads cfg.tls_cert and
 * cfg.tls_key again, for the connections that come next (a renewed
 * certificate without a restart); nothing when TLS is off. */
void transport_reload_tls(sio_transport *t);
/* Frees everything; only after transport_run returned (or was never
 * called). On the application's loop: on the loop thread while the loop is
 * not running (after uv_run returned); the loop is run without waiting until
 * the transport's handles are closed, so other handles' callbacks may run. */
void transport_free(sio_transport *t);
/* The libuv loop (a uv_loop_t *) the transport runs on: its own or the
 * application's. Other handles of the server (the link to Redis) go there. */
void *transport_uv_loop(sio_transport *t);
/* For work done in a loop callback that is not the transport's (a message
 * from another server): reaps the sessions it closed and re-arms the
 * timer for the deadlines it moved, as after the transport's own events. */
void transport_settle(sio_transport *t);
/* The engine's clock: milliseconds, monotonic. */
int64_t transport_now_ms(void);

#endif
