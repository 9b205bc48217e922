/* How every server program ends: SIGINT or SIGTERM asks the server's loop to
 * stop (sio_server_stop() or eio_server_stop(), both safe in a signal
 * handler), so that its run function returns and the program frees what it
 * made; SIGPIPE is ignored, so that a peer that hangs up during a write is an
 * error of that write and not the end of the process. */
#ifndef SIO_PROGRAMS_SIGNALS_H
#define SIO_PROGRAMS_SIGNALS_H

#include "eio.h"
#include "sio.h"

enum {
    /* Only the first SIGINT/SIGTERM stops the server; the next one ends the
     * process at once (SA_RESETHAND), for when a shutdown takes too long. */
    SIGNALS_ONCE = 1 << 0,
};

/* Installs the handlers for one server, a Socket.IO one or an Engine.IO one
 * (one program has one; a second call replaces the first). The server must
 * stay valid until signals_forget() or the end of the process. Threads that
 * must not take the signals have to be started with them blocked. */
void signals_stop_sio(sio_server *srv, int flags);
/* SIGHUP reloads the Socket.IO server's TLS certificate and key
 * (sio_server_reload_tls); call after signals_stop_sio. */
void signals_reload_tls_on_hup(void);
void signals_stop_eio(eio_server *srv, int flags);

/* Leaves the server alone from now on: a later SIGINT/SIGTERM that still
 * reaches the handler does nothing. Call it before freeing the server when
 * the process has more to do afterwards. */
void signals_forget(void);

#endif
