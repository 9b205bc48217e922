/* sio-echo: the Socket.IO conformance server, on the namespaces "/" and
 * "/custom":
 *   on connection      emits "auth" with the handshake's auth object
 *   "message"          answered with "message-back" and the same arguments
 *   "message-with-ack" acknowledged with the same arguments
 *   "broadcast"        "broadcast-back" with the same arguments to every
 *                      socket of the namespace
 * Binary arguments come back as binary.
 *
 * The other namespaces do the same, and each shows one more feature:
 *   "/early"    its middleware emits "early" 1, 2 (with 4 bytes of binary)
 *               and 3 before the CONNECT reply, its connection handler
 *               "early" 4 (and no "auth"): they must arrive right after the
 *               reply, in that order.
 *   "/async"    an asynchronous middleware hands the decision to a worker
 *               thread, which answers through sio_server_call() 100 ms later
 *               (or "delay" ms later, at most 10000, when the auth object has
 *               that number): refused with "denied" and data {"by":"worker"}
 *               when the auth object has "deny": true (or "true", the query
 *               string of a 2.x client), else allowed. While it waits the
 *               middleware emits "early" 1, which arrives right after the
 *               CONNECT reply.
 *   "/async-dyn-*"  dynamic namespaces whose filter is asynchronous: the
 *               same worker decides with the same rules whether one is made
 *               (a refusal is "Invalid namespace"); they echo as "/" does.
 *   "/rooms"    "join" (room, ack): joins the room and acknowledges with the
 *               list of the socket's rooms, its own id first; "leave" (room,
 *               ack): leaves it and acknowledges the same way;
 *               "server-disconnect" (close_client): the server disconnects
 *               the socket (with true, its whole connection); when a socket
 *               leaves, whatever the reason, the others in its rooms receive
 *               "leaving" {"id", "rooms" (its rooms, own id first), "reason"}.
 *   "/guarded"  events a socket receives go through two packet middlewares
 *               (sio_socket_use): the first refuses "forbidden" with the error
 *               "not allowed", the second refuses any event whose first
 *               argument is the string "drop" with the default error. An
 *               acknowledgement asked for a refused event carries
 *               {"error": ...}; "forbidden" has a handler of its own that
 *               would echo it as "message" does, were it let through.
 *   "/recovery" connection state recovery (run with --recovery): "hello"
 *               on connection tells what was restored; "drop" makes the
 *               server close the connection without the Socket.IO goodbye,
 *               and broadcasts what the socket then misses; see recovery.c.
 *   "/request"  the handshake's request (sio_request): see request.c; the
 *               server's allow_request refuses any handshake that has an
 *               x-refuse header.
 * One file per namespace (namespaces.h); GET /metrics serves the metrics
 * (metrics.c). */
#include <stdio.h>
#include <string.h>

#include "../common/server_flags.h"
#include "../common/signals.h"
#include "namespaces.h"
#include "sio.h"

/* The library's log lines, only in a cluster: Redis's comings and goings. */
static void log_line(int level, const char *line, void *user)
{
    if (strncmp(line, "cluster:", 8) == 0)
        fprintf(stderr, "sio-echo: %s\n", line);
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    o.allow_request = request_allow;
    sio_server *server = NULL;
    o.http_handler = metrics_http;
    o.http_user = &server;
    server_flags f = {.prog = "sio-echo", .about = "The Socket.IO conformance server.\n"};
    int status = server_flags_parse(&f, argc, argv, &o, NULL);
    if (status >= 0)
        return status;
    if (o.redis_url)
        o.log = log_line;
    server = sio_server_new(&o);
    if (!server)
        return 1;
    echo_setup(sio_of(server, "/"));
    echo_setup(sio_of(server, "/custom"));
    early_install(server);
    async_install(server);
    rooms_install(server);
    guarded_install(server);
    recovery_install(server);
    request_install(server);
    cluster_install(server);
    int err = async_worker_start();
    if (err) {
        fprintf(stderr, "sio-echo: cannot start the worker thread: %s\n", strerror(err));
        sio_server_free(server);
        return 1;
    }
    signals_stop_sio(server, 0);
    signals_reload_tls_on_hup();
    fprintf(stderr, "sio-echo listening on port %d, path %s\n", sio_server_port(server), o.path);
    int rc = sio_server_run(server);
    async_worker_finish();
    sio_server_free(server);
    return rc;
}
