/* sio-echo: the Socket.IO conformance server, on the namespaces "/" and
 * "/custom":
 *   on connection      emits "auth" with the handshake's auth object
 *   "message"          answered with "message-back" and the same arguments
 *   "message-with-ack" acknowledged with the same arguments
 *   "broadcast"        "broadcast-back" with the same arguments to every
 *                      socket of the namespace
 * Binary arguments come back as binary. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/server_flags.h"
#include "sio.h"

static sio_server *server;

static void on_signal(int sig)
{
    (void)sig;
    if (server)
        sio_server_stop(server);
}

/* The arguments' attachments, to send them back as they came. */
static size_t attachments(const sio_args *args, sio_binary *bins, size_t cap)
{
    size_t n = sio_args_binary_count(args);
    if (n > cap)
        n = cap;
    for (size_t k = 0; k < n; k++)
        bins[k].data = sio_args_binary(args, k, &bins[k].len);
    return n;
}

static void on_connection(sio_socket *s, void *user)
{
    char args[8192];
    const char *auth = sio_socket_auth(s);
    if ((size_t)snprintf(args, sizeof(args), "[%s]", auth) < sizeof(args))
        sio_emit(s, "auth", args);
}

static void on_message(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    sio_emit_binary(s, "message-back", sio_args_json(args, NULL), bins, n);
}

static void on_message_with_ack(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                                void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    if (ack)
        sio_ack_send(ack, sio_args_json(args, NULL), bins, n);
}

static void on_broadcast(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    sio_broadcast(sio_socket_namespace(s), NULL, "broadcast-back", sio_args_json(args, NULL), bins, n);
}

/* The namespace /early: its middleware emits before the CONNECT reply (the
 * emits are queued and must arrive right after it, in order, none lost),
 * and so does its connection handler. */
static bool emit_early(sio_socket *s, const char **message, const char **data_json, void *user)
{
    static const unsigned char bin[] = {0, 1, 2, 255};
    sio_binary b = {bin, sizeof(bin)};
    sio_emit(s, "early", "[1]");
    sio_emit_binary(s, "early", "[2,{\"_placeholder\":true,\"num\":0}]", &b, 1);
    sio_emit(s, "early", "[3]");
    return true;
}

static void on_early_connection(sio_socket *s, void *user) { sio_emit(s, "early", "[4]"); }

static void setup(sio_namespace *nsp)
{
    sio_on_connection(nsp, on_connection, NULL);
    sio_on(nsp, "message", on_message, NULL);
    sio_on(nsp, "message-with-ack", on_message_with_ack, NULL);
    sio_on(nsp, "broadcast", on_broadcast, NULL);
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    server_flags f = {.prog = "sio-echo", .about = "The Socket.IO conformance server.\n"};
    int status = server_flags_parse(&f, argc, argv, &o, NULL);
    if (status >= 0)
        return status;
    server = sio_server_new(&o);
    if (!server)
        return 1;
    setup(sio_of(server, "/"));
    setup(sio_of(server, "/custom"));
    sio_namespace *early = sio_of(server, "/early");
    setup(early);
    sio_use(early, emit_early, NULL);
    sio_on_connection(early, on_early_connection, NULL);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "sio-echo listening on port %d, path %s\n", sio_server_port(server), o.path);
    int rc = sio_server_run(server);
    sio_server_free(server);
    return rc;
}
