/* libsio: a Socket.IO v4 server in C.
 *
 * Serves socket.io-client 4.x (Socket.IO protocol v5 over Engine.IO v4)
 * over HTTP long-polling and WebSocket.
 *
 * Handles:
 *   sio_server     the server: options, event loop, namespaces
 *   sio_namespace  a namespace ("/", "/chat"): handlers, rooms, broadcast
 *   sio_socket     one client in one namespace
 * A socket handle is valid from its connection callback until its
 * disconnect callback returns; to keep it longer take a reference
 * (sio_socket_ref); a held handle of a disconnected socket stays safe to use:
 * emits on it return SIO_ECLOSED.
 *
 * Threads: every function runs on the loop thread (inside callbacks),
 * except those marked "any thread".
 *
 * Arguments of emits are given as the text of a JSON array ("[1,\"a\"]",
 * NULL for none), validated before anything is sent. Binary arguments are
 * placeholders {"_placeholder":true,"num":N} in that array, N indexing the
 * sio_binary array passed alongside, as on the wire. */
#ifndef LIBSIO_SIO_H
#define LIBSIO_SIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sio_api.h"
#include "sio_version.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sio_server sio_server;
typedef struct sio_namespace sio_namespace;
typedef struct sio_socket sio_socket;
typedef struct sio_args sio_args;
typedef struct sio_ack sio_ack;

/* Error codes: every function that can fail returns one of these (< 0). */
enum {
    SIO_OK = 0,
    SIO_EINVAL = -1,    /* an argument is invalid (bad JSON, reserved event name, ...) */
    SIO_ENOMEM = -2,    /* out of memory */
    SIO_ECLOSED = -3,   /* the socket is disconnected */
    SIO_EFULL = -4,     /* the client's send queue is full: it is being disconnected */
    SIO_ENOTFOUND = -5, /* no such socket or namespace */
    SIO_EAGAIN = -6,    /* a volatile emit the transport could not take now */
    SIO_ESTATE = -7,    /* not allowed now (an ack already answered, a server not running) */
    /* Why a server could not start (sio_server_create). */
    SIO_EADDRINUSE = -8,    /* the port is in use */
    SIO_EADDRNOTAVAIL = -9, /* the address to listen on is not one of this machine's */
    SIO_EACCES = -10,       /* no permission to listen on the port */
    SIO_EEVENTLOOP = -11,   /* no event loop: libuv, or libwebsockets' libuv plugin
                             * (Debian package libwebsockets-evlib-uv) */
    SIO_ELISTEN = -12,      /* another failure to listen */
    SIO_ETLS = -13,         /* the TLS certificate or key cannot be read or used */
};
/* A static description of an error code. */
SIO_API const char *sio_strerror(int err);
/* The library's version at run time, "MAJOR.MINOR.PATCH" (SIO_VERSION_STRING
 * is the one of the headers a program was built with). */
SIO_API const char *sio_version(void);

/* --- options -------------------------------------------------------------- */

/* HTTP requests outside the Socket.IO path (static files, an HTTP API).
 * Strings are NUL-terminated, or NULL when the header is absent; the body
 * is capped at max_http_body bytes (larger: 413 before the handler runs). */
typedef struct sio_http_request {
    const char *method;
    const char *path;  /* URL-decoded, without the query */
    const char *query; /* raw query string without '?' ("" when none) */
    const char *authorization;
    const char *content_type;
    const char *if_none_match;
    const void *body;
    size_t body_len;
    const char *address; /* the client's, as sio_request_address() has it */
} sio_http_request;
typedef struct sio_http_response sio_http_response;
/* Sets the response: the body is copied. `content_type` must be a static
 * string. Returns SIO_OK or SIO_ENOMEM. */
SIO_API int sio_http_reply(sio_http_response *res, unsigned status, const char *content_type, const void *body,
                   size_t len);
/* Optional headers for the response: an ETag (copied, at most 63 bytes) and a
 * static Cache-Control value. */
SIO_API void sio_http_set_etag(sio_http_response *res, const char *etag);
SIO_API void sio_http_set_cache_control(sio_http_response *res, const char *value);
/* Return true after sio_http_reply; false answers 404. Runs on the loop
 * thread, so it may emit. */
typedef bool (*sio_http_handler)(const sio_http_request *req, sio_http_response *res, void *user);
/* Words the library's own refusal of a request outside the Socket.IO path,
 * made before the handler would run: 413 for a body over max_http_body, 400
 * for a body whose framing is invalid, 408 for a body not in within
 * request_timeout, 431 for headers too large. `req` is the request without
 * its body (headers may be NULL when they were not read); `reason` the
 * library's words ("Payload too large"). It may set the answer's body and
 * content type with sio_http_reply: the status stays `status`, and the
 * connection is closed after it. Without a reply the answer is `reason` as
 * text/plain. Runs on the loop thread. */
typedef void (*sio_http_refusal_fn)(const sio_http_request *req, unsigned status, const char *reason,
                                    sio_http_response *res, void *user);

/* --- the log ------------------------------------------------------------------
 *
 * What the server says (connections and disconnections, refused requests
 * and namespaces, libwebsockets' own lines, the cluster's state) comes as
 * records: a level, a short fixed message and fields. Levels: 0 error,
 * 1 warning, 2 info, 3 debug. The application prints or drops them, through
 * one of two callbacks (sio_options):
 *   log_record  receives each record, to print in its own format (for
 *               example with sio_log_format);
 *   log         receives each record as one line of text, "msg key=value
 *               ..." (sio_log_format's text without a time).
 * The records and fields the library makes are listed in docs/guide.md
 * ("The log"). */

/* A field: a string (str, never NULL for one), or an integer (str NULL). */
typedef struct sio_log_field {
    const char *key;
    const char *str;
    int64_t num;
} sio_log_field;

/* A record, valid during the callback only. Its strings may hold anything a
 * client sent (a request's path): control characters, invalid UTF-8.
 * sio_log_format escapes them. */
typedef struct sio_log_record {
    int level;
    const char *msg;
    const sio_log_field *fields;
    size_t n_fields;
} sio_log_record;

typedef void (*sio_log_record_fn)(const sio_log_record *r, void *user);
typedef void (*sio_log_fn)(int level, const char *line, void *user);

typedef enum sio_log_style {
    /* logfmt: msg key=value key="a value". A value is quoted when it is
     * empty or holds a space, '=', a quote, a backslash, a control
     * character or invalid UTF-8; inside the quotes, a quote and a
     * backslash get a backslash in front, newline, return and tab are
     * written \n, \r and \t, other control bytes and the bytes of invalid
     * UTF-8 \xNN. The message is not quoted; its control bytes and invalid
     * UTF-8 are written \xNN too, so that a record is always one line.
     * With a time, the line starts with it and the level's name:
     * "<time> info msg key=value". */
    SIO_LOG_TEXT,
    /* One JSON object: {"time":..., "level":"info", "msg":..., then each
     * field under its key} ("time" only when given); integers are numbers,
     * strings escaped, invalid UTF-8 replaced by U+FFFD. */
    SIO_LOG_JSON,
} sio_log_style;

/* The record as one line, without a newline, in a new string to free();
 * NULL when out of memory. `time` (NULL: none) is written as it is given.
 * A string value longer than 1024 bytes is cut there (at a character's
 * boundary) and ends with "...". Keys are written as they are, with any
 * byte other than a letter, digit, '_', '-' and '.' as '_'. */
SIO_API char *sio_log_format(const sio_log_record *r, sio_log_style style, const char *time);
/* "error", "warn", "info" or "debug" (levels out of range: the nearest). */
SIO_API const char *sio_log_level_name(int level);

/* Transports, for sio_options.transports. */
#define SIO_TRANSPORT_POLLING 1u
#define SIO_TRANSPORT_WEBSOCKET 2u

/* Decides about a cross-origin request whose origin is neither listed in
 * cors_origins nor this server's: true allows it. `origin` is the Origin
 * header as sent. Runs on the loop thread, for every such request
 * (handshakes, polls, upgrades, preflights), so it should be quick. */
typedef bool (*sio_origin_filter)(const char *origin, void *user);

/* Decides whether a handshake may open a connection (Node's allowRequest),
 * from its request (sio_request_*: headers, cookies, address, ...; valid
 * during the call). Return false to refuse it: the client gets 403
 * {"code":4,"message":*message} (default "Forbidden"), which socket.io-client
 * reports as a connect_error. Runs on the loop thread. */
typedef struct sio_request sio_request;
typedef bool (*sio_allow_request_fn)(const sio_request *req, const char **message, void *user);

/* How packets are written on the wire (Node's `parser` option). Every
 * client of a server must use the same one. */
typedef enum sio_parser_kind {
    SIO_PARSER_DEFAULT = 0, /* socket.io-parser: text packets, binaries as attachments */
    SIO_PARSER_MSGPACK = 1, /* socket.io-msgpack-parser 3.0: each packet one MessagePack
                             * binary message, binaries inline */
} sio_parser_kind;

typedef struct sio_options {
    const char *bind_addr;          /* NULL: every interface */
    int port;                       /* default 3000; 0 picks a free port */
    const char *path;               /* default "/socket.io/" */
    unsigned ping_interval;         /* ms, default 25000 */
    unsigned ping_timeout;          /* ms, default 20000 */
    unsigned upgrade_timeout;       /* ms, default 10000 */
    unsigned connect_timeout;       /* ms to receive a CONNECT, default 45000 */
    size_t max_http_buffer_size;    /* bytes per message, default 1000000 */
    unsigned max_attachments;       /* binary attachments per packet, default 10 (with
                                     * the msgpack parser: binaries per packet) */
    sio_parser_kind parser;         /* default SIO_PARSER_DEFAULT; another value makes
                                     * sio_server_create fail (SIO_EINVAL) */
    const char *const *cors_origins; /* allowed origins ("*" for any; "https://" "*.example.com"
                                      * for one label in front of example.com); default none */
    size_t n_cors_origins;
    bool cors_credentials;          /* default false */
    sio_http_handler http_handler;  /* other HTTP requests; NULL: 404 */
    void *http_user;
    size_t max_http_body;           /* default 1 MiB */
    sio_http_refusal_fn http_refusal; /* NULL: the refusals above as text; gets http_user */
    unsigned request_timeout;       /* ms to receive a request's body once its head
                                     * is in, before it is answered 408 (Node's
                                     * requestTimeout); default 300000 */
    size_t max_queue_bytes;         /* what one client's send queue may hold (each message
                                     * counts its bytes plus about 80 of upkeep)
                                     * before it is disconnected ("send queue full");
                                     * default 16 MiB */
    size_t max_total_queue_bytes;   /* all clients' queues together, default 1 GiB (0: no
                                     * budget); past
                                     * it, a client holding more than its share is
                                     * disconnected when sent more */
    unsigned max_connections;       /* connections at once; one more is closed as soon
                                     * as it is accepted. 0 (default): as many as
                                     * the file descriptor limit leaves room for */
    unsigned keep_alive_timeout;    /* ms an idle keep-alive HTTP connection is kept
                                     * (whole seconds; Node's keepAliveTimeout);
                                     * default 5000 */
    sio_log_fn log;                 /* records as lines of text; NULL: none */
    sio_log_record_fn log_record;   /* records as they are, instead of `log`
                                     * (which is then not called); NULL: none */
    void *log_user;                 /* for either */
    unsigned transports;            /* SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET (the
                                     * default; 0 means the same): a request for
                                     * another gets 400 "Transport unknown" */
    bool allow_upgrades;            /* offer and accept the upgrade from polling to
                                     * WebSocket (allowUpgrades); default true */
    bool allow_eio3;                /* accept socket.io-client 2.x (Engine.IO v3,
                                     * allowEIO3); default true, unlike Node */
    sio_origin_filter origin_filter; /* NULL (default): unlisted origins are refused */
    void *origin_user;
    sio_allow_request_fn allow_request; /* NULL (default): every handshake may */
    void *allow_request_user;
    /* Proxies whose X-Forwarded-For is believed for sio_request_address():
     * addresses or CIDR blocks ("127.0.0.1", "10.0.0.0/8", "::1"); default
     * none. An entry that is neither makes sio_server_create fail (SIO_EINVAL). */
    const char *const *trusted_proxies;
    size_t n_trusted_proxies;
    /* Request headers to keep beyond those libwebsockets knows by name
     * (see sio_request_header), e.g. "x-api-key"; default none. */
    const char *const *extra_headers;
    size_t n_extra_headers;
    /* A namespace made by sio_dynamic_namespaces is dropped when its last
     * socket is gone (Node's cleanupEmptyChildNamespaces); the next
     * connection to that name makes it anew (its setup runs again). Keep no
     * pointer to such a namespace past its sockets. Default false. */
    bool cleanup_empty_child_namespaces;
    /* Connection state recovery (Node's connectionStateRecovery), default
     * off. A socket that goes for any reason but a clean disconnect (its
     * client's or the server's: "transport close", "ping timeout", ...)
     * leaves a session; when socket.io-client 4.6+ reconnects within
     * recovery_max_disconnection_duration ms (Node's
     * maxDisconnectionDuration, default 120000) it gets the same socket id,
     * rooms and JSON data back (sio_socket_recovered() is true) and every
     * packet sent meanwhile to it or to its rooms, in order, before any new
     * one. Every packet of an emit or broadcast without ack that is not
     * volatile then carries an offset as its last argument, as in Node.
     * Middlewares do not run for a resumed session unless
     * recovery_skip_middlewares is false (Node's skipMiddlewares, default
     * true). The packets kept for this take at most recovery_max_bytes per
     * namespace (default 16 MiB); past it the oldest go, and a client that
     * missed one of those gets a new session instead. Unavailable with
     * redis_url (the Redis adapter keeps no sessions, as Node's): said in
     * the log at startup. */
    bool connection_state_recovery;
    unsigned recovery_max_disconnection_duration;
    bool recovery_skip_middlewares;
    size_t recovery_max_bytes;
    /* A libuv loop (a uv_loop_t *) the application runs and the server
     * joins, instead of a loop of its own run by sio_server_run; see "on an
     * application's loop" below. NULL (default): its own. */
    void *uv_loop;
    /* On the application's loop: runs on the loop thread once a stop has
     * closed every client (or its grace has passed); the place to uv_stop()
     * or to close what keeps the loop running. */
    void (*on_stopped)(sio_server *srv, void *user);
    void *on_stopped_user;
    /* Polling responses of at least http_compression_threshold bytes are
     * compressed with gzip or deflate, as the request accepts (Node's
     * httpCompression); default on, 1024. */
    bool http_compression;
    size_t http_compression_threshold;
    /* The cookie set with the session id on the polling handshake, for load
     * balancers that stick a client to a server by cookie (Node's `cookie`
     * option, written as Node writes it). cookie_name NULL (default): none;
     * Node's `cookie: true` is the name "io" with the other defaults:
     * path "/", HttpOnly, SameSite "Lax"; cookie_max_age in seconds, 0 for
     * a session cookie. A name that is not a token, or another SameSite,
     * makes sio_server_create fail (SIO_EINVAL). */
    const char *cookie_name;
    const char *cookie_path;      /* NULL: no Path */
    const char *cookie_domain;    /* NULL (default): no Domain */
    const char *cookie_same_site; /* "Lax", "Strict", "None", or NULL */
    bool cookie_http_only;
    bool cookie_secure;
    long cookie_max_age;
    /* HTTPS and WSS (through libwebsockets' OpenSSL) with this certificate
     * (or chain) and private key, PEM files; both NULL (default): plain
     * HTTP. sio_server_reload_tls() reads them again. */
    const char *tls_cert;
    const char *tls_key;
    /* WebSocket permessage-deflate for clients that ask for it (Node's
     * perMessageDeflate): messages of at least per_message_deflate_threshold
     * bytes (1024) go compressed. Default off, as in Node: each connection
     * that uses it holds a zlib stream pair (about 300 KB). */
    bool per_message_deflate;
    size_t per_message_deflate_threshold;
    /* How long server-wide operations wait for the other servers' answers
     * (sio_fetch_sockets, sio_server_side_emit_with_ack, and
     * sio_broadcast_with_ack without a timeout of its own); Node's
     * requestsTimeout. ms, default 5000. */
    unsigned requests_timeout;
    /* Joins a cluster through Redis, as one more node of Node's
     * @socket.io/redis-adapter 8.3 (same channels, messages and server
     * ids): "redis://[[user]:password@]host[:port][/db]". Broadcasts and the
     * server-wide operations then reach the sockets of every node, and
     * @socket.io/redis-emitter reaches this server's. Redis need not be up:
     * the server serves its own clients meanwhile and joins when it comes
     * (state changes go to `log`). A bad URL makes sio_server_create fail
     * (SIO_EINVAL). NULL (default): this server alone. */
    const char *redis_url;
} sio_options;

/* Fills `o` with the defaults above. */
SIO_API void sio_options_init(sio_options *o);

/* --- server --------------------------------------------------------------- */

/* Creates the server and listens. Returns SIO_OK and sets *out, or the
 * reason it could not: SIO_EADDRINUSE, SIO_EADDRNOTAVAIL, SIO_EACCES,
 * SIO_EEVENTLOOP, SIO_ELISTEN, SIO_ETLS, SIO_EINVAL or SIO_ENOMEM, with one line naming
 * the address and port written to `why` (when not NULL; no newline).
 * Nothing is printed. Option strings must outlive the server. */
SIO_API int sio_server_create(const sio_options *o, sio_server **out, char *why, size_t why_len);
/* The same, returning NULL on failure with the reason's line on stderr. */
SIO_API sio_server *sio_server_new(const sio_options *o);
SIO_API int sio_server_port(const sio_server *srv);
/* Runs the event loop until sio_server_stop(); then disconnects every
 * client ("server shutting down") and returns 0. SIO_ESTATE at once for a
 * server on an application's loop. */
SIO_API int sio_server_run(sio_server *srv);
/* Any thread, and signal handlers. */
SIO_API void sio_server_stop(sio_server *srv);
/* Reads sio_options.tls_cert and tls_key again, on the loop thread soon
 * after, for the connections that come next: a renewed certificate without
 * a restart (sio-server does it on SIGHUP). Any thread, and signal
 * handlers; nothing when TLS is off. */
SIO_API void sio_server_reload_tls(sio_server *srv);
/* Frees the server and everything in it; after sio_server_run returned and
 * after every thread that calls sio_post_* has stopped doing so. */
SIO_API void sio_server_free(sio_server *srv);

/* On an application's loop (sio_options.uv_loop): the server's sockets and
 * timers are handles on that loop, and the application runs it (uv_run).
 * The server does its work in the loop's callbacks, and between rounds of
 * events through a prepare and a check handle, which do not keep the loop
 * alive by themselves. sio_server_stop() closes every client ("server
 * shutting down"), then sio_options.on_stopped runs; from then on new
 * connections are closed at once. sio_server_create() and sio_server_free()
 * are called on the loop thread while the loop is not running (before
 * uv_run, or after it returned): libwebsockets closes its handles
 * asynchronously, so they run the loop without waiting until the server's
 * handles are open (create, on failure) or closed (free), and other handles'
 * callbacks may run then. Every other function keeps its rules: loop thread
 * (in the loop's callbacks, the server's or the application's own), and
 * sio_post_* or sio_server_call from any thread. */

/* The namespace `name` ("/" is always there), created on first use.
 * Returns NULL when out of memory or when name does not start with '/'. */
SIO_API sio_namespace *sio_of(sio_server *srv, const char *name);

/* The namespace `name` if it exists, else NULL (never creates one). */
SIO_API sio_namespace *sio_find_namespace(sio_server *srv, const char *name);

/* Dynamic namespaces: a CONNECT to an unknown namespace whose name matches
 * the shell pattern (fnmatch, e.g. "/room-*") or that the callback accepts
 * creates that namespace and calls `on_create` to set it up. */
typedef bool (*sio_namespace_filter)(sio_server *srv, const char *name, const char *auth_json,
                                     void *user);
typedef void (*sio_namespace_setup)(sio_namespace *nsp, void *user);
SIO_API int sio_dynamic_namespaces(sio_server *srv, const char *pattern, sio_namespace_filter filter,
                           sio_namespace_setup on_create, void *user);

/* The same with a filter that answers later (Node's io.of((name, auth,
 * next) => ...) calling next later), for a check that must not block the
 * loop: it answers with sio_decide(), on the loop thread (a worker thread
 * goes through sio_server_call()), before or after it returns. `allow`
 * creates the namespace (unless another connection created it meanwhile)
 * and the connection goes on to its middlewares; a refusal passes the
 * CONNECT to the next dynamic rule, and the client gets "Invalid namespace"
 * when none accepts it (a refusal's message is not sent, as in Node).
 * sio_decision_socket() is NULL for such a decision: there is no socket
 * yet. While it is awaited the connection counts against connect_timeout.
 * Rules, synchronous and asynchronous, are tried in the order they were
 * added. */
typedef struct sio_decision sio_decision;
typedef void (*sio_namespace_filter_async)(sio_server *srv, const char *name, const char *auth_json,
                                           sio_decision *d, void *user);
SIO_API int sio_dynamic_namespaces_async(sio_server *srv, const char *pattern,
                                         sio_namespace_filter_async filter, sio_namespace_setup on_create,
                                         void *user);

/* --- namespace handlers ----------------------------------------------------- */

typedef void (*sio_connection_cb)(sio_socket *s, void *user);
/* `ack` is non-NULL when the client asked for an acknowledgement; answer it
 * with sio_ack_send (now, or later after sio_ack_retain). */
typedef void (*sio_event_cb)(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                             void *user);
/* Reasons are socket.io's: "client namespace disconnect", "server namespace
 * disconnect", "transport close", "transport error", "ping timeout",
 * "parse error", "forced close", "server shutting down"; and "send queue
 * full" when a client that does not read is dropped. */
typedef void (*sio_disconnect_cb)(sio_socket *s, const char *reason, void *user);
/* A middleware runs before the connection is accepted. Return true to let
 * it through; to refuse, return false after optionally setting
 * *message (default "not authorized") and *data_json (a JSON value or NULL);
 * the strings are copied. */
typedef bool (*sio_middleware_cb)(sio_socket *s, const char **message, const char **data_json,
                                  void *user);

/* An asynchronous middleware: it answers later with sio_decide(), from the
 * loop thread (for example from a worker thread through sio_server_call()),
 * so that a database or token check does not block the loop. It may also
 * answer before it returns. While the answer is awaited the connection
 * counts against connect_timeout, and the socket's emits wait, in order,
 * for the CONNECT reply as they always do. */
typedef void (*sio_async_middleware_cb)(sio_socket *s, sio_decision *d, void *user);

SIO_API void sio_on_connection(sio_namespace *nsp, sio_connection_cb cb, void *user);
/* Handler for one event name; a later call for the same name replaces it.
 * Returns SIO_OK or SIO_ENOMEM. */
SIO_API int sio_on(sio_namespace *nsp, const char *event, sio_event_cb cb, void *user);
/* Handler for every event that has no handler of its own. */
SIO_API void sio_on_any(sio_namespace *nsp, sio_event_cb cb, void *user);
SIO_API void sio_on_disconnect(sio_namespace *nsp, sio_disconnect_cb cb, void *user);
/* Runs when a connected socket starts to disconnect, before its disconnect
 * handler, while it is still in its rooms (Node's "disconnecting"): the
 * place to tell a room that someone leaves. The socket may still emit and
 * broadcast; a disconnect it asks for is the one already under way. */
SIO_API void sio_on_disconnecting(sio_namespace *nsp, sio_disconnect_cb cb, void *user);
/* Middlewares run in the order they were added, synchronous and
 * asynchronous alike. Returns SIO_OK or SIO_ENOMEM. */
SIO_API int sio_use(sio_namespace *nsp, sio_middleware_cb cb, void *user);
SIO_API int sio_use_async(sio_namespace *nsp, sio_async_middleware_cb cb, void *user);
/* Answers a decision, once, on the loop thread: `allow`, or a refusal with
 * `message` (default "not authorized") and `data_json` (a JSON value or
 * NULL), copied. The decision is consumed. Returns SIO_OK, or SIO_ECLOSED
 * when the connection went away meanwhile (nothing is sent then). Every
 * decision must be answered, also after sio_server_run has returned (then
 * from the thread that ran it, before sio_server_free): an unanswered one
 * keeps its socket's memory. */
SIO_API int sio_decide(sio_decision *d, bool allow, const char *message, const char *data_json);
/* The socket a middleware's decision is about (to read its auth, id, ...);
 * NULL for a namespace filter's. */
SIO_API sio_socket *sio_decision_socket(const sio_decision *d);
SIO_API const char *sio_namespace_name(const sio_namespace *nsp);
SIO_API size_t sio_namespace_socket_count(const sio_namespace *nsp);

/* --- event arguments ------------------------------------------------------- */

typedef enum sio_type {
    SIO_T_NULL,
    SIO_T_BOOL,
    SIO_T_NUMBER,
    SIO_T_STRING,
    SIO_T_ARRAY,
    SIO_T_OBJECT,
    SIO_T_BINARY, /* a placeholder for an attachment */
} sio_type;

/* Arguments after the event name (for acks: all of them). Valid during the
 * callback only. */
SIO_API size_t sio_args_count(const sio_args *a);
SIO_API sio_type sio_arg_type(const sio_args *a, size_t i);
/* The raw JSON text of argument i (not NUL-terminated); NULL if i is out of range. */
SIO_API const char *sio_arg_json(const sio_args *a, size_t i, size_t *len);
/* Decoded string argument i as a NUL-terminated copy the caller frees;
 * NULL if not a string (or out of memory). */
SIO_API char *sio_arg_string(const sio_args *a, size_t i);
SIO_API bool sio_arg_int(const sio_args *a, size_t i, int64_t *out);
SIO_API bool sio_arg_double(const sio_args *a, size_t i, double *out);
SIO_API bool sio_arg_bool(const sio_args *a, size_t i, bool *out);
/* The attachment that argument i stands for (type SIO_T_BINARY). */
SIO_API const void *sio_arg_binary(const sio_args *a, size_t i, size_t *len);
/* The JSON text of all arguments as an array, placeholders included
 * (suitable to emit again with the same attachments). */
SIO_API const char *sio_args_json(const sio_args *a, size_t *len);
/* The attachments, in placeholder order. */
SIO_API size_t sio_args_binary_count(const sio_args *a);
SIO_API const void *sio_args_binary(const sio_args *a, size_t k, size_t *len);

/* --- sockets ----------------------------------------------------------------- */

typedef struct sio_binary {
    const void *data;
    size_t len;
} sio_binary;

/* Called exactly once: with the client's reply and err 0; or with reply
 * NULL and err SIO_ACK_TIMEOUT when the timeout passed first, SIO_ECLOSED
 * when the socket disconnected first, or SIO_ENOMEM when the reply could not
 * be handed over. */
typedef void (*sio_ack_cb)(sio_socket *s, const sio_args *reply, int err, void *user);
#define SIO_ACK_TIMEOUT 1

SIO_API const char *sio_socket_id(const sio_socket *s);
SIO_API sio_namespace *sio_socket_namespace(sio_socket *s);
SIO_API sio_server *sio_socket_server(sio_socket *s);
SIO_API bool sio_socket_connected(const sio_socket *s);
/* The auth object of the handshake as JSON text ("{}" when none). For
 * socket.io-client 2.x, which has no auth, it is the namespace's query
 * ("/nsp?token=x") or else the connection's query, as socket.io 2 had it. */
SIO_API const char *sio_socket_auth(const sio_socket *s);
/* The query parameters of the connection's handshake as a JSON object of
 * strings (io(url, {query: {...}}) in the client), Engine.IO's own left out;
 * "{}" when none or once disconnected. */
SIO_API const char *sio_socket_query(const sio_socket *s);
SIO_API void sio_socket_set_data(sio_socket *s, void *data);
SIO_API void *sio_socket_data(const sio_socket *s);
/* Node's socket.data: a JSON value that travels with the socket to the
 * servers that fetch it (sio_fetch_sockets). Copied after validation.
 * Returns SIO_OK, SIO_EINVAL (not JSON, or NULL) or SIO_ENOMEM. */
SIO_API int sio_socket_set_data_json(sio_socket *s, const char *json);
/* The socket's JSON data; "{}" until set, as in Node. */
SIO_API const char *sio_socket_data_json(const sio_socket *s);
/* Whether the socket resumed the session of an earlier one (connection
 * state recovery): same id, rooms and JSON data, and its missed packets
 * sent (Node's socket.recovered). */
SIO_API bool sio_socket_recovered(const sio_socket *s);
/* The transport of the socket's connection: "polling" or "websocket"; once
 * disconnected, the one it had then. */
SIO_API const char *sio_socket_transport(const sio_socket *s);
/* The Engine.IO protocol of its connection: 4 (socket.io-client 3.x and
 * 4.x) or 3 (socket.io-client 2.x). */
SIO_API int sio_socket_protocol(const sio_socket *s);
/* Keep a handle past the disconnect callback; every ref needs an unref. */
SIO_API sio_socket *sio_socket_ref(sio_socket *s);
SIO_API void sio_socket_unref(sio_socket *s);

/* Emits to one socket. An emit before the socket's CONNECT reply is queued
 * and sent right after it, in order. Returns SIO_OK, SIO_EINVAL (bad JSON,
 * reserved name, placeholder out of range), SIO_ECLOSED, SIO_EFULL, SIO_ENOMEM. */
SIO_API int sio_emit(sio_socket *s, const char *event, const char *args_json);
SIO_API int sio_emit_binary(sio_socket *s, const char *event, const char *args_json, const sio_binary *bins,
                    size_t nbins);
/* Dropped (SIO_EAGAIN) if the transport cannot take it right now. */
SIO_API int sio_emit_volatile(sio_socket *s, const char *event, const char *args_json);
/* With an acknowledgement: `cb` runs once, with the reply or on timeout
 * (timeout_ms 0: none) or when the socket disconnects. */
SIO_API int sio_emit_with_ack(sio_socket *s, const char *event, const char *args_json, const sio_binary *bins,
                      size_t nbins, unsigned timeout_ms, sio_ack_cb cb, void *user);

/* Answers a client's ack request, once. `ack` is consumed. Returns SIO_OK,
 * SIO_EINVAL or SIO_ECLOSED (the ack is consumed in every case). */
SIO_API int sio_ack_send(sio_ack *ack, const char *args_json, const sio_binary *bins, size_t nbins);
/* Keeps the ack past the event callback; then it must be answered with
 * sio_ack_send or released with sio_ack_discard. Returns `ack`. */
SIO_API sio_ack *sio_ack_retain(sio_ack *ack);
SIO_API void sio_ack_discard(sio_ack *ack);

/* A middleware for the events a socket receives (Node's socket.use), run
 * before the event's handler, in the order they were added. Return true to
 * let the event through; to refuse it, return false after optionally setting
 * *error (default "refused"; copied): the handler does not run and, when the
 * client asked for an acknowledgement, it receives one argument
 * {"error": <error>}. */
typedef bool (*sio_packet_middleware_cb)(sio_socket *s, const char *event, const sio_args *args,
                                         const char **error, void *user);
/* Adds one to the socket, typically from the connection handler. Returns
 * SIO_OK, SIO_ENOMEM or SIO_ECLOSED. */
SIO_API int sio_socket_use(sio_socket *s, sio_packet_middleware_cb cb, void *user);

/* Rooms. Every socket is in the room named by its id. */
SIO_API int sio_join(sio_socket *s, const char *room);
SIO_API int sio_leave(sio_socket *s, const char *room);
SIO_API bool sio_in_room(const sio_socket *s, const char *room);
SIO_API size_t sio_room_count(const sio_socket *s);
/* Room i of the socket (0 <= i < sio_room_count), its own room (its id)
 * first, then the others in the order it joined them; NULL past the end.
 * Valid until the socket joins or leaves a room. */
SIO_API const char *sio_socket_room(const sio_socket *s, size_t i);

/* Disconnects the socket from its namespace ("server namespace disconnect");
 * with `close_client`, closes the whole connection. */
SIO_API void sio_disconnect(sio_socket *s, bool close_client);
/* Closes the socket's connection, with every namespace on it, without the
 * Socket.IO DISCONNECT (Node's socket.conn.close()): its sockets go with
 * "forced close" once what is queued has been written, and socket.io-client
 * reconnects by itself (with connection state recovery, into the same
 * sessions). */
SIO_API void sio_close_connection(sio_socket *s);

/* --- the handshake request ---------------------------------------------------- */

/* The HTTP request that opened a connection (its Engine.IO handshake), as
 * Node's socket.handshake gives it: headers, cookies, the client's address,
 * URL, time and TLS. Valid as long as the socket it came from (or, in
 * allow_request, during the call). Header names are compared without case;
 * libwebsockets 4.1 gives every header it knows by name (Host, Cookie,
 * Authorization, User-Agent, Origin, X-Forwarded-For, ... about 80) plus
 * those listed in sio_options.extra_headers. */
SIO_API const sio_request *sio_socket_request(const sio_socket *s);
/* A header's value, or NULL. */
SIO_API const char *sio_request_header(const sio_request *r, const char *name);
/* Header i (its lower-case name; *value its value), or NULL past the end. */
SIO_API size_t sio_request_header_count(const sio_request *r);
SIO_API const char *sio_request_header_at(const sio_request *r, size_t i, const char **value);
/* A cookie's value (unquoted, as sent), a copy to free(); NULL when absent. */
SIO_API char *sio_request_cookie(const sio_request *r, const char *name);
/* The client's address: the TCP peer, or, when the peer is one of
 * sio_options.trusted_proxies, the client X-Forwarded-For names before them. */
SIO_API const char *sio_request_address(const sio_request *r);
/* The path and query, as requested. */
SIO_API const char *sio_request_url(const sio_request *r);
/* When it arrived, in ms since the Unix epoch. */
SIO_API int64_t sio_request_time(const sio_request *r);
/* Whether it came over TLS. */
SIO_API bool sio_request_secure(const sio_request *r);

/* --- broadcast --------------------------------------------------------------- */

typedef struct sio_target {
    const char *const *rooms;  /* NULL / 0: the whole namespace */
    size_t n_rooms;
    const char *const *except; /* rooms whose sockets are skipped */
    size_t n_except;
    const sio_socket *exclude; /* this socket is skipped (socket.broadcast) */
    bool is_volatile;
    bool local;          /* this server's sockets only, never other servers' */
    bool uncompressed;   /* Node's compress(false): sent as it is even where
                          * polling responses or WebSocket messages are
                          * compressed (for one socket: its own room) */
    unsigned timeout_ms; /* sio_broadcast_with_ack and sio_fetch_sockets:
                          * how long to wait; 0: requests_timeout */
} sio_target;

/* Emits to every socket of the namespace in the target. The packet is
 * encoded once for all recipients. Returns the number of recipients, or an
 * error code. */
SIO_API int sio_broadcast(sio_namespace *nsp, const sio_target *to, const char *event, const char *args_json,
                  const sio_binary *bins, size_t nbins);
/* Disconnects every socket in `room` (all of the namespace when NULL).
 * Returns how many. */
SIO_API int sio_disconnect_room(sio_namespace *nsp, const char *room, bool close_client);

/* --- server-wide operations ---------------------------------------------------
 *
 * These reach the sockets of every server of a cluster (through the
 * namespace's adapter; on a single server, this one's), unless the target
 * is `local`. Those that wait for answers call back once, on the loop
 * thread and never from inside the call that started them: with err 0 when
 * every server answered, or SIO_ACK_TIMEOUT with what arrived in time, or
 * SIO_ECLOSED when the server was freed first. They return SIO_OK (or the
 * number of this server's sockets reached) or an error, and then do not
 * call back. */

/* A socket found by sio_fetch_sockets, on this server or another (Node's
 * RemoteSocket). Valid during the callback only. */
typedef struct sio_remote_socket sio_remote_socket;
SIO_API const char *sio_remote_socket_id(const sio_remote_socket *r);
/* Its handshake as a JSON object with Node's keys: headers, time, address,
 * xdomain, secure, issued, url, query, auth. */
SIO_API const char *sio_remote_socket_handshake(const sio_remote_socket *r);
SIO_API size_t sio_remote_socket_room_count(const sio_remote_socket *r);
/* Room i (its own room, its id, first); NULL past the end. */
SIO_API const char *sio_remote_socket_room(const sio_remote_socket *r, size_t i);
/* Its JSON data (sio_socket_set_data_json). */
SIO_API const char *sio_remote_socket_data(const sio_remote_socket *r);
/* The socket itself when it is this server's and still connected, else
 * NULL (reach another server's socket with a broadcast to its id). */
SIO_API sio_socket *sio_remote_socket_local(const sio_remote_socket *r);

typedef void (*sio_fetch_cb)(sio_namespace *nsp, const sio_remote_socket *const *sockets, size_t n, int err,
                             void *user);
/* The sockets of the target (rooms, except, exclude, local, timeout_ms;
 * NULL: all of the namespace) on every server. */
SIO_API int sio_fetch_sockets(sio_namespace *nsp, const sio_target *to, sio_fetch_cb cb, void *user);
/* Makes the sockets of the target join, or leave, `rooms`. Returns the
 * number of this server's sockets concerned, or an error. */
SIO_API int sio_sockets_join(sio_namespace *nsp, const sio_target *to, const char *const *rooms, size_t n);
SIO_API int sio_sockets_leave(sio_namespace *nsp, const sio_target *to, const char *const *rooms, size_t n);
/* Disconnects the sockets of the target ("server namespace disconnect");
 * with `close_client`, their whole connections. Returns the number of this
 * server's sockets concerned, or an error. */
SIO_API int sio_disconnect_sockets(sio_namespace *nsp, const sio_target *to, bool close_client);

/* The answers to an operation with acks, each the JSON text of one value:
 * the first argument of each client's ack (sio_broadcast_with_ack), or each
 * server's reply (sio_server_side_emit_with_ack). Valid during the call. */
typedef void (*sio_replies_cb)(sio_namespace *nsp, const char *const *replies, size_t n, int err, void *user);
/* A broadcast whose every recipient, on every server, is asked for an ack
 * (Node's io.timeout(ms).emit(..., cb)). The callback runs once all have
 * answered, or after to->timeout_ms (0: requests_timeout) with the replies
 * so far. Returns the number of this server's recipients, or an error. */
SIO_API int sio_broadcast_with_ack(sio_namespace *nsp, const sio_target *to, const char *event,
                                   const char *args_json, const sio_binary *bins, size_t nbins,
                                   sio_replies_cb cb, void *user);

/* Emits an event to the other servers of the cluster (Node's
 * serverSideEmit): their handlers (sio_on_server_event) get it; this
 * server's do not. No binary arguments. Returns SIO_OK or an error. */
SIO_API int sio_server_side_emit(sio_namespace *nsp, const char *event, const char *args_json);
/* The same, collecting one reply per server, within requests_timeout (on
 * a single server: none, at once). */
SIO_API int sio_server_side_emit_with_ack(sio_namespace *nsp, const char *event, const char *args_json,
                                          sio_replies_cb cb, void *user);
/* A handler for a server-side event another server emitted. `ack` is
 * non-NULL when that server waits for a reply: answer it once with
 * sio_server_ack_send (now, or later after sio_server_ack_retain). */
typedef struct sio_server_ack sio_server_ack;
typedef void (*sio_server_event_cb)(sio_namespace *nsp, const char *event, const sio_args *args,
                                    sio_server_ack *ack, void *user);
/* A later call for the same event replaces the handler. Returns SIO_OK,
 * SIO_EINVAL or SIO_ENOMEM. */
SIO_API int sio_on_server_event(sio_namespace *nsp, const char *event, sio_server_event_cb cb, void *user);
/* Answers with one JSON value (NULL: null), once; `ack` is consumed in
 * every case. Returns SIO_OK, SIO_EINVAL (not JSON: nothing is sent) or
 * SIO_ESTATE (already answered). */
SIO_API int sio_server_ack_send(sio_server_ack *ack, const char *value_json);
SIO_API sio_server_ack *sio_server_ack_retain(sio_server_ack *ack);
SIO_API void sio_server_ack_discard(sio_server_ack *ack);

/* --- from any thread --------------------------------------------------------- */

/* Queue an emit for the loop thread (any thread). `socket_id` selects one
 * socket; else `rooms` (all of the namespace when n_rooms is 0). Arguments
 * are validated and copied now. Returns SIO_OK, SIO_EINVAL, SIO_ENOMEM or
 * SIO_ESTATE (the server is stopping). Emits posted by one thread are
 * carried out in the order they were posted. */
SIO_API int sio_post_emit(sio_server *srv, const char *nsp, const char *socket_id, const char *const *rooms,
                  size_t n_rooms, const char *event, const char *args_json);
/* Queue a disconnect of one socket (socket_id) or of a room's sockets (any thread). */
SIO_API int sio_post_disconnect(sio_server *srv, const char *nsp, const char *socket_id, const char *room);
/* Runs fn(srv, arg) on the loop thread (any thread may call it), in order
 * with the posts above: the way for a worker thread to answer an ack or a
 * sio_decision it was handed, or to do anything else the loop thread must.
 * If the server stops before fn runs (sio_server_run returns, or the server
 * is freed), fn runs then with srv NULL, on that thread, so that it can
 * release arg. Returns SIO_OK, SIO_ENOMEM or SIO_ESTATE (the server has
 * stopped: fn will not run; release arg yourself). */
typedef void (*sio_call_fn)(sio_server *srv, void *arg);
SIO_API int sio_server_call(sio_server *srv, sio_call_fn fn, void *arg);

/* Counters, for tests and monitoring (loop thread). */
typedef struct sio_stats {
    uint64_t packets_encoded;   /* broadcast and emit encodings */
    uint64_t broadcast_recipients;
    uint64_t emits_after_close; /* emits refused with SIO_ECLOSED */
    size_t clients;             /* Engine.IO sessions */
} sio_stats;
SIO_API void sio_server_stats(const sio_server *srv, sio_stats *out);

#ifdef __cplusplus
}
#endif
#endif
