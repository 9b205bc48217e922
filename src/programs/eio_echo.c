/* eio-echo: a raw Engine.IO echo server. Every message, text or binary, is
 * sent back to its sender as it came. Used by the conformance tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/server_flags.h"
#include "common/signals.h"
#include "eio.h"

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
    eio_server *server = eio_server_new(&o, &cb, NULL);
    if (!server)
        return 1;
    signals_stop_eio(server, 0);
    fprintf(stderr, "eio-echo listening on port %d, path %s\n", eio_server_port(server), o.path);
    int rc = eio_server_run(server);
    eio_server_free(server);
    return rc;
}
