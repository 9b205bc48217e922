/* libsio admin: the server side of the Socket.IO Admin UI
 * (@socket.io/admin-ui 0.5, Node's instrument()), for a C application to
 * watch and manage its own server from the UI.
 *
 * It adds a namespace ("/admin" by default) that the UI connects to, with
 * the UI's basic authentication (a username and a bcrypt hash of the
 * password), and sends the UI what it shows: the server's stats every
 * stats_interval ms, every socket of every namespace with its rooms,
 * transport and handshake (in a cluster, those of every server: see
 * sio_server_share_admin_fields in sio_observer.h), their connections, disconnections and room
 * changes, and (in development mode) every event they receive and are sent.
 * Unless read-only, the UI may make sockets join or leave rooms, disconnect
 * them, and emit to a namespace or a room.
 *
 *     sio_admin_options ao;
 *     sio_admin_options_init(&ao);
 *     ao.username = "admin";
 *     ao.password_hash = "$2b$10$...";        (htpasswd -bnBC 10 "" secret)
 *     if (sio_admin_instrument(srv, &ao) != SIO_OK) ...
 *
 * Call it once, on the loop thread or before the loop runs, after
 * sio_server_create. What it keeps is released by sio_server_free. */
#ifndef LIBSIO_SIO_ADMIN_H
#define LIBSIO_SIO_ADMIN_H

#include "sio.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sio_admin_options {
    const char *namespace_name; /* default "/admin" */
    /* Basic authentication, as the UI sends it: auth {username, password}
     * checked against password_hash, a bcrypt hash ($2a$, $2b$ or $2y$,
     * checked with libxcrypt's crypt()). A refused login gets the
     * connect_error "invalid credentials", which the UI shows. A login opens
     * a session (the UI keeps its id and reconnects with it). Passwords are
     * checked on a thread of the module's own (bcrypt costs tens of ms),
     * one at a time; beyond 16 waiting, a login is refused at once with
     * "too many login attempts". */
    const char *username;
    const char *password_hash;
    /* No authentication at all: must be asked for, as Node's auth: false.
     * With neither this nor a username and hash, sio_admin_instrument fails
     * (SIO_EINVAL). */
    bool no_auth;
    /* The UI may only look: its join, leave, disconnect and emit commands
     * are ignored (and it hides them). Default false. */
    bool readonly;
    /* The server's name in the UI; NULL: the host name. */
    const char *server_id;
    /* Production mode (Node's mode: "production"): stats only, no list of
     * sockets and no events (less work per event). Default false. */
    bool production;
    unsigned stats_interval; /* ms between server_stats, default 2000; their
                              * uptime counts from sio_admin_instrument */
} sio_admin_options;

SIO_API void sio_admin_options_init(sio_admin_options *o);

/* Instruments the server. The option strings are copied. Returns SIO_OK;
 * SIO_EINVAL for options the UI could not use (no auth chosen, a
 * password_hash that is not a bcrypt hash, a namespace name without its
 * leading '/'); SIO_ENOMEM. Instrument a server once. */
SIO_API int sio_admin_instrument(sio_server *srv, const sio_admin_options *o);

/* Whether `password` matches the bcrypt hash `hash` (compared in constant
 * time). False for a hash that is not bcrypt or is malformed. */
SIO_API bool sio_admin_password_ok(const char *password, const char *hash);
/* Whether `hash` is a well-formed bcrypt hash ($2a$, $2b$ or $2y$, cost 04
 * to 31, 53 characters of salt and digest). */
SIO_API bool sio_admin_is_bcrypt(const char *hash);
/* A new bcrypt hash ($2b$) of `password` with a random salt and cost
 * `cost` (4 to 31; 0 for 10), a copy to free(); NULL when out of memory,
 * for a bad cost, or when no randomness was to be had. */
SIO_API char *sio_admin_hash_password(const char *password, unsigned cost);

#ifdef __cplusplus
}
#endif
#endif
