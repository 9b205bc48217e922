/* libsio: a raw Engine.IO v4 server.
 *
 * Messages (text or binary) to and from Engine.IO clients, over HTTP
 * long-polling, WebSocket and the upgrade between them. Most applications
 * want the Socket.IO API in sio.h instead; this one serves programs that
 * speak Engine.IO itself, such as the eio-echo conformance server.
 *
 * Threads: every function runs on the thread that called eio_server_run(),
 * inside a callback, except eio_server_stop(). */
#ifndef LIBSIO_EIO_H
#define LIBSIO_EIO_H

#include <stdbool.h>
#include <stddef.h>

#include "sio_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eio_server eio_server;
/* One client session. Valid from on_connection until on_close returns. */
typedef struct eio_client eio_client;

typedef struct eio_server_callbacks {
    void (*on_connection)(eio_server *srv, eio_client *c, void *user);
    void (*on_message)(eio_client *c, const void *data, size_t len, bool binary, void *user);
    /* `reason` is Engine.IO's: "transport close", "ping timeout", ... */
    void (*on_close)(eio_client *c, const char *reason, void *user);
} eio_server_callbacks;

/* Transports, for eio_server_options.transports. */
#define EIO_TRANSPORT_POLLING 1u
#define EIO_TRANSPORT_WEBSOCKET 2u

/* Decides about a cross-origin request whose origin is neither listed nor
 * this server's: true allows it. `origin` is the Origin header as sent.
 * Runs on the loop thread, for every such request (handshakes, polls,
 * upgrades, preflights), so it should be quick. */
typedef bool (*eio_origin_filter)(const char *origin, void *user);

typedef struct eio_server_options {
    const char *bind_addr;        /* NULL: every interface */
    int port;                     /* default 3000; 0 picks a free port */
    const char *path;             /* default "/engine.io/" */
    unsigned ping_interval;       /* ms, default 25000 */
    unsigned ping_timeout;        /* ms, default 20000 */
    unsigned upgrade_timeout;     /* ms, default 10000 */
    size_t max_payload;           /* bytes, default 1000000 */
    const char *const *cors_origins; /* allowed origins ("*" for any; "https://" "*.example.com"
                                   * for one label in front of example.com); default none */
    size_t n_cors_origins;
    bool cors_credentials;        /* default false */
    unsigned request_timeout;     /* ms to receive a request's body once its head is
                                   * in, before it is answered 408; default 300000 */
    size_t max_queue_bytes;       /* one client's send queue, default 16 MiB */
    size_t max_total_queue_bytes; /* all queues together, default 1 GiB */
    unsigned max_connections;     /* connections at once, 0 (default): as many as
                                   * the file descriptor limit leaves room for */
    unsigned keep_alive_timeout;  /* ms an idle keep-alive HTTP connection is kept
                                   * (whole seconds); default 5000 */
    unsigned transports;          /* EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET (the
                                   * default; 0 means the same): a request for
                                   * another gets 400 "Transport unknown" */
    bool allow_upgrades;          /* offer and accept the upgrade from polling to
                                   * WebSocket; default true */
    bool allow_eio3;              /* accept Engine.IO v3 clients (socket.io-client 2.x);
                                   * default true */
    eio_origin_filter origin_filter; /* NULL (default): unlisted origins are refused */
    void *origin_user;
} eio_server_options;

/* Fills `o` with the defaults above. */
SIO_API void eio_server_options_init(eio_server_options *o);

/* Why a server could not start. */
enum {
    EIO_SERVER_OK = 0,
    EIO_SERVER_ENOMEM = -2,
    EIO_SERVER_EADDRINUSE = -8,    /* the port is in use */
    EIO_SERVER_EADDRNOTAVAIL = -9, /* the address is not one of this machine's */
    EIO_SERVER_EACCES = -10,       /* no permission to listen on the port */
    EIO_SERVER_EEVENTLOOP = -11,   /* no event loop: libuv, or libwebsockets' libuv plugin */
    EIO_SERVER_ELISTEN = -12,      /* another failure to listen */
};

/* Creates a server listening on o->port. Returns EIO_SERVER_OK and sets
 * *out, or one of the codes above with a line naming the address and port
 * in `why` (when not NULL). Nothing is printed. The option strings must
 * outlive the server. */
SIO_API int eio_server_create(const eio_server_options *o, const eio_server_callbacks *cb, void *user,
                      eio_server **out, char *why, size_t why_len);
/* The same, returning NULL on failure with the reason's line on stderr. */
SIO_API eio_server *eio_server_new(const eio_server_options *o, const eio_server_callbacks *cb, void *user);
/* The port actually listened on. */
SIO_API int eio_server_port(const eio_server *srv);
/* Runs the event loop until eio_server_stop(); then closes every client and
 * returns 0. */
SIO_API int eio_server_run(eio_server *srv);
/* Asks the loop to stop. Safe from any thread and from a signal handler. */
SIO_API void eio_server_stop(eio_server *srv);
/* Frees the server; call after eio_server_run returned. */
SIO_API void eio_server_free(eio_server *srv);

/* Queues a message for the client. Returns 0, or -1 when the client is
 * closing or closed, or its send queue is over its limit. */
SIO_API int eio_client_send(eio_client *c, const void *data, size_t len, bool binary);
/* Closes the client after its queued messages are sent. */
SIO_API void eio_client_close(eio_client *c);
/* The session id (a NUL-terminated string owned by the client). */
SIO_API const char *eio_client_id(const eio_client *c);

#ifdef __cplusplus
}
#endif
#endif
