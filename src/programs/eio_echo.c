/* eio-echo: a raw Engine.IO echo server. Every message, text or binary, is
 * sent back to its sender as it came. Used by the conformance tests. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/server_flags.h"
#include "eio.h"

static eio_server *server;

static void on_signal(int sig)
{
    (void)sig;
    if (server)
        eio_server_stop(server);
}

static void on_message(eio_client *c, const void *data, size_t len, bool binary, void *user)
{
    eio_client_send(c, data, len, binary);
}

int main(int argc, char **argv)
{
    eio_server_options o;
    eio_server_options_init(&o);
    server_flags f = {.prog = "eio-echo", .about = "A raw Engine.IO echo server.\n"};
    int status = server_flags_parse(&f, argc, argv, NULL, &o);
    if (status >= 0)
        return status;
    eio_server_callbacks cb = {.on_message = on_message};
    server = eio_server_new(&o, &cb, NULL);
    if (!server)
        return 1;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "eio-echo listening on port %d, path %s\n", eio_server_port(server), o.path);
    int rc = eio_server_run(server);
    eio_server_free(server);
    return rc;
}
