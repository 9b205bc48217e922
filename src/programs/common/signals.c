/* SIGINT/SIGTERM stop the program's server, SIGHUP reloads its TLS
 * certificate, SIGPIPE is ignored (signals.h). */
#include "signals.h"

#include <signal.h>
#include <stddef.h>

/* The server the handler stops: at most one of the two is set. */
static sio_server *sio_to_stop;
static eio_server *eio_to_stop;

static void on_signal(int sig)
{
    (void)sig;
    if (sio_to_stop)
        sio_server_stop(sio_to_stop);
    else if (eio_to_stop)
        eio_server_stop(eio_to_stop);
}

static void install(int flags)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    if (flags & SIGNALS_ONCE)
        sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

void signals_stop_sio(sio_server *srv, int flags)
{
    eio_to_stop = NULL;
    sio_to_stop = srv;
    install(flags);
}

void signals_stop_eio(eio_server *srv, int flags)
{
    sio_to_stop = NULL;
    eio_to_stop = srv;
    install(flags);
}

static void on_hup(int sig)
{
    (void)sig;
    if (sio_to_stop)
        sio_server_reload_tls(sio_to_stop);
}

void signals_reload_tls_on_hup(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_hup;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
}

void signals_forget(void)
{
    sio_to_stop = NULL;
    eio_to_stop = NULL;
}
