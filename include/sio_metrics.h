/* libsio metrics: what a server has done and holds now, as numbers
 * (sio_server_metrics, sio_server_namespace_metrics) or as the Prometheus
 * text exposition format 0.0.4 (sio_metrics_text), for an application that
 * serves /metrics itself.
 *
 * Threads: loop thread only (inside callbacks, an HTTP handler for one),
 * like the rest of the server's state; sio_process_metrics_read runs on
 * any thread. The counters are plain integers the loop thread increments: to
 * read them from another thread, ask the loop thread with sio_server_call().
 *
 * Counters only grow while the server lives, except those of a namespace
 * dropped by cleanup_empty_child_namespaces: they go with it, and a
 * namespace made anew by the same name starts from zero (Prometheus takes
 * that as a counter reset). */
#ifndef LIBSIO_SIO_METRICS_H
#define LIBSIO_SIO_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sio.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Indices of the per-transport and per-version arrays below. */
enum { SIO_METRICS_POLLING = 0, SIO_METRICS_WEBSOCKET = 1, SIO_METRICS_TRANSPORTS = 2 };
enum { SIO_METRICS_EIO3 = 0, SIO_METRICS_EIO4 = 1, SIO_METRICS_EIO_VERSIONS = 2 };
/* Engine.IO error codes, the index of handshake_errors: 0 "Transport
 * unknown", 1 "Session ID unknown", 2 "Bad handshake method", 3 "Bad
 * request", 4 "Forbidden", 5 "Unsupported protocol version". */
#define SIO_METRICS_EIO_ERRORS 6

/* Why a CONNECT to a namespace was refused: fixed classes, whatever the
 * message the client was sent. */
typedef enum sio_connect_error_reason {
    SIO_CONNECT_ERROR_INVALID_NAMESPACE = 0, /* no such namespace, and no dynamic rule made it */
    SIO_CONNECT_ERROR_MIDDLEWARE = 1,        /* a middleware (sio_use, sio_use_async) refused it */
    SIO_CONNECT_ERROR_SERVER = 2,            /* the server could not take it (out of memory) */
    SIO_CONNECT_ERROR_REASONS = 3,
} sio_connect_error_reason;

/* Why a connected socket left: socket.io's disconnect reasons. */
typedef enum sio_disconnect_reason {
    SIO_DISCONNECT_CLIENT_NAMESPACE = 0, /* "client namespace disconnect" */
    SIO_DISCONNECT_SERVER_NAMESPACE,     /* "server namespace disconnect" */
    SIO_DISCONNECT_TRANSPORT_CLOSE,      /* "transport close" */
    SIO_DISCONNECT_TRANSPORT_ERROR,      /* "transport error" */
    SIO_DISCONNECT_PING_TIMEOUT,         /* "ping timeout" */
    SIO_DISCONNECT_PARSE_ERROR,          /* "parse error" */
    SIO_DISCONNECT_FORCED_CLOSE,         /* "forced close" */
    SIO_DISCONNECT_SERVER_SHUTDOWN,      /* "server shutting down" */
    SIO_DISCONNECT_QUEUE_FULL,           /* "send queue full" */
    SIO_DISCONNECT_OTHER,                /* any other */
    SIO_DISCONNECT_REASONS,
} sio_disconnect_reason;

/* The reason's words ("transport close"), or the class's label value
 * ("invalid_namespace", "middleware", "server_error"); NULL out of range. */
SIO_API const char *sio_disconnect_reason_name(int reason);
SIO_API const char *sio_connect_error_reason_name(int reason);

/* The server as a whole. */
typedef struct sio_metrics {
    /* Engine.IO connections open now, by the transport they are on now and
     * their protocol version; and those opened since the start, by the
     * transport of their handshake. */
    uint64_t connections[SIO_METRICS_TRANSPORTS][SIO_METRICS_EIO_VERSIONS];
    uint64_t connections_opened[SIO_METRICS_TRANSPORTS][SIO_METRICS_EIO_VERSIONS];
    /* Engine.IO payload bytes, exactly: the bodies of a session's polling
     * requests and answers (a JSONP script or form as it travels; not a
     * POST's "ok"), and the payloads of its WebSocket messages (the
     * upgrade's "2probe", "3probe" and "5" included, and Engine.IO v3's
     * type byte before binary data). Uncompressed (before HTTP compression
     * and permessage-deflate), without HTTP headers or WebSocket frame
     * headers. */
    uint64_t received_bytes, sent_bytes;
    /* What every client's send queue holds now (payloads plus upkeep, as
     * max_queue_bytes counts them), and the clients closed because theirs
     * was full ("send queue full"). */
    uint64_t queued_bytes;
    uint64_t queue_full_closes;
    /* Requests refused with an Engine.IO error (HTTP 400 or 403), by code. */
    uint64_t handshake_errors[SIO_METRICS_EIO_ERRORS];
    uint64_t connect_errors[SIO_CONNECT_ERROR_REASONS];
    /* Acks the server awaited that did not come in time: one per socket for
     * sio_emit_with_ack, one per sio_broadcast_with_ack whose answers did
     * not all come. */
    uint64_t ack_timeouts;
    uint64_t upgrades, upgrade_failures; /* polling to WebSocket: completed, abandoned */
    uint64_t disconnects[SIO_DISCONNECT_REASONS];
    size_t namespaces;
    bool stopping; /* sio_server_stop() was called */
} sio_metrics;

/* One namespace. */
typedef struct sio_namespace_metrics {
    const char *name; /* valid until the loop thread returns to its events */
    uint64_t sockets; /* connected now */
    uint64_t rooms;   /* rooms with a member now, besides the sockets' own */
    uint64_t events_received, events_sent;
    /* sio_broadcast and its kin (and broadcasts from other servers), and
     * the sockets they reached here; each recipient also counts one event
     * sent. */
    uint64_t broadcasts, broadcast_recipients;
} sio_namespace_metrics;

/* Fills *out. */
SIO_API void sio_server_metrics(sio_server *srv, sio_metrics *out);
/* Fills out[0 .. min(n, cap)) with the namespaces (in no set order) and
 * returns n, their number: call with cap 0 to size the array. */
SIO_API size_t sio_server_namespace_metrics(sio_server *srv, sio_namespace_metrics *out, size_t cap);

/* The process, read from /proc (Linux); a number that cannot be read is 0. */
typedef struct sio_process_metrics {
    double cpu_seconds;        /* user and system time */
    uint64_t resident_bytes;   /* resident set size */
    uint64_t open_fds;
    uint64_t max_fds;          /* the soft limit */
    double start_time_seconds; /* since the Unix epoch */
} sio_process_metrics;
SIO_API void sio_process_metrics_read(sio_process_metrics *out);

/* Everything above in the Prometheus text exposition format 0.0.4 (serve
 * it as "text/plain; version=0.0.4; charset=utf-8"): NUL-terminated, in a
 * string the caller frees, *len (when not NULL) its length; NULL when out of
 * memory. */
SIO_API char *sio_metrics_text(sio_server *srv, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
