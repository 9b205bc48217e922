/* libsio observers: hear of what happens in a server (connections, sockets,
 * rooms, events, messages) without being the application's handler, for
 * monitoring and administration (the admin UI's server side, sio_admin.h,
 * is built on it).
 *
 * An observer is a set of optional hooks. They run on the loop thread,
 * synchronously, in the middle of the server's work: a hook may emit and
 * broadcast, but should not disconnect, join or leave the socket it is told
 * about, and it must be quick. With no observer each hook point costs one
 * test. The strings a hook is given are valid during the call. */
#ifndef LIBSIO_SIO_OBSERVER_H
#define LIBSIO_SIO_OBSERVER_H

#include "sio.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sio_observer {
    /* An Engine.IO connection opened, on `transport` ("polling" or
     * "websocket"); client_id is its Engine.IO id. */
    void (*connection_open)(sio_server *srv, const char *client_id, const char *transport, void *user);
    /* It moved from polling to WebSocket. */
    void (*connection_upgrade)(sio_server *srv, const char *client_id, void *user);
    /* It closed, with Engine.IO's reason ("transport close", "ping
     * timeout", ...); `transport` is the one it was on. */
    void (*connection_close)(sio_server *srv, const char *client_id, const char *transport,
                             const char *reason, void *user);
    /* A socket of any namespace was accepted: it is connected and in its
     * own room, and the namespace's connection handler has not run yet. */
    void (*socket_connect)(sio_socket *s, void *user);
    /* A connected socket goes, after the namespace's disconnecting handler
     * and while it is still in its rooms (sio_socket_room). */
    void (*socket_disconnect)(sio_socket *s, const char *reason, void *user);
    /* The socket's connection moved to WebSocket (after connection_upgrade). */
    void (*socket_upgrade)(sio_socket *s, void *user);
    /* The socket entered, or left, a room other than its own (not for the
     * rooms it leaves by disconnecting: see socket_disconnect). */
    void (*room_join)(sio_socket *s, const char *room, void *user);
    void (*room_leave)(sio_socket *s, const char *room, void *user);
    /* An event arrived from the socket's client, before its middlewares
     * and handler. */
    void (*event_in)(sio_socket *s, const char *event, const sio_args *args, void *user);
    /* An event is sent to the socket, by an emit to it or a broadcast that
     * reaches it on this server (once per recipient); args_json is the JSON
     * array of its arguments, placeholders included. */
    void (*event_out)(sio_socket *s, const char *event, const char *args_json, void *user);
    /* A Socket.IO message of `bytes` bytes (an attachment is one more)
     * arrived from a client, or was queued for one. */
    void (*message)(sio_server *srv, bool incoming, size_t bytes, void *user);
    /* The server is being freed: the last call, to release `user`. */
    void (*server_free)(sio_server *srv, void *user);
    void *user;
} sio_observer;

/* Adds an observer (copied); hooks run in the order observers were added.
 * Returns SIO_OK or SIO_ENOMEM. Loop thread (or before the loop runs). */
SIO_API int sio_server_observe(sio_server *srv, const sio_observer *o);

/* --- what observers read ---------------------------------------------------- */

/* The socket's transport and protocol version: sio_socket_transport() and
 * sio_socket_protocol() in sio.h. */
/* The Engine.IO id of the socket's connection (shared by its sockets on
 * other namespaces); NULL once it is disconnected. */
SIO_API const char *sio_socket_client_id(const sio_socket *s);
/* The socket's handshake as a JSON object with Node's keys (headers, time,
 * address, xdomain, secure, issued, url, query, auth), a copy to free();
 * NULL when out of memory. */
SIO_API char *sio_socket_handshake_json(const sio_socket *s);
/* Calls fn for every namespace of the server, in no given order; fn must
 * not create or drop namespaces. */
SIO_API void sio_server_each_namespace(sio_server *srv, void (*fn)(sio_namespace *nsp, void *user), void *user);
/* Calls fn for every connected socket of the namespace; fn must not
 * disconnect sockets. */
SIO_API void sio_namespace_each_socket(sio_namespace *nsp, void (*fn)(sio_socket *s, void *user), void *user);
/* Engine.IO connections now, and those of them on polling. */
SIO_API size_t sio_server_client_count(const sio_server *srv);
SIO_API size_t sio_server_polling_client_count(const sio_server *srv);
/* Whether the server is one node of a cluster (sio_options.redis_url): its
 * server-wide operations (sio_fetch_sockets, ...) then wait for the other
 * servers' answers; alone, they find this server's sockets only. */
SIO_API bool sio_server_clustered(const sio_server *srv);
/* From now on, the JSON data of this server's sockets, as other servers of
 * the cluster fetch it, carries "_admin": {"clientId", "transport"} (the
 * first 12 characters of its Engine.IO id, and "polling" or "websocket")
 * before its own keys, where @socket.io/admin-ui keeps them in Node's
 * socket.data: an admin UI connected to another server, Node's or this
 * library's, shows them. Only data that is an object gets it; what
 * sio_socket_data_json and this server's own fetches return is unchanged.
 * sio_admin_instrument turns it on. Loop thread. */
SIO_API void sio_server_share_admin_fields(sio_server *srv);

/* --- a repeating timer on the server's loop --------------------------------- */

typedef struct sio_interval sio_interval;
typedef void (*sio_interval_fn)(sio_server *srv, void *user);
/* Runs fn every `ms` milliseconds (at least 1) on the loop thread, until
 * sio_interval_cancel or the server is freed (which cancels it). NULL when
 * out of memory. */
SIO_API sio_interval *sio_server_every(sio_server *srv, unsigned ms, sio_interval_fn fn, void *user);
/* Stops and frees it; also from inside fn. */
SIO_API void sio_interval_cancel(sio_interval *iv);

#ifdef __cplusplus
}
#endif
#endif
