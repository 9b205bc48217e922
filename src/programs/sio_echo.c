/* sio-echo: the Socket.IO conformance server, on the namespaces "/" and
 * "/custom":
 *   on connection      emits "auth" with the handshake's auth object
 *   "message"          answered with "message-back" and the same arguments
 *   "message-with-ack" acknowledged with the same arguments
 *   "broadcast"        "broadcast-back" with the same arguments to every
 *                      socket of the namespace
 * Binary arguments come back as binary. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sio-echo [options]\n"
            "  --host ADDR            address to listen on (default: all)\n"
            "  --port N               port (default 3000)\n"
            "  --path PATH            Socket.IO path (default /socket.io/)\n"
            "  --ping-interval MS     default 25000\n"
            "  --ping-timeout MS      default 20000\n"
            "  --upgrade-timeout MS   default 10000\n"
            "  --connect-timeout MS   default 45000\n"
            "  --max-payload BYTES    default 1000000\n"
            "  --cors-origin ORIGIN   allow this origin (repeatable; * for any)\n"
            "  --cors-credentials     allow credentials on CORS requests\n"
            "  --request-timeout MS   time to receive a request body, default 300000\n"
            "  --keep-alive-timeout MS  idle keep-alive connections closed after, default 5000\n"
            "  --max-connections N    connections at once (default: what the fd limit allows)\n"
            "  --max-queue-bytes N    one client's send queue, default 16777216\n"
            "  --max-total-queue-bytes N  all send queues together, default 1073741824\n");
}

static long number_arg(const char *name, const char *v, long min, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max) {
        fprintf(stderr, "sio-echo: bad value for --%s: %s\n", name, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    const char **origins = calloc((size_t)argc, sizeof(*origins));
    static const struct option opts[] = {
        {"host", required_argument, 0, 'H'},          {"port", required_argument, 0, 'p'},
        {"path", required_argument, 0, 'P'},          {"ping-interval", required_argument, 0, 'i'},
        {"ping-timeout", required_argument, 0, 't'},  {"upgrade-timeout", required_argument, 0, 'u'},
        {"connect-timeout", required_argument, 0, 'T'}, {"max-payload", required_argument, 0, 'm'},
        {"cors-origin", required_argument, 0, 'c'},   {"cors-credentials", no_argument, 0, 'C'},
        {"request-timeout", required_argument, 0, 'R'}, {"keep-alive-timeout", required_argument, 0, 'K'},
        {"max-connections", required_argument, 0, 'M'},
        {"max-queue-bytes", required_argument, 0, 'Q'},
        {"max-total-queue-bytes", required_argument, 0, 'G'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'H': o.bind_addr = optarg; break;
        case 'p': o.port = (int)number_arg("port", optarg, 0, 65535); break;
        case 'P': o.path = optarg; break;
        case 'i': o.ping_interval = (unsigned)number_arg("ping-interval", optarg, 1, 1L << 30); break;
        case 't': o.ping_timeout = (unsigned)number_arg("ping-timeout", optarg, 1, 1L << 30); break;
        case 'u': o.upgrade_timeout = (unsigned)number_arg("upgrade-timeout", optarg, 1, 1L << 30); break;
        case 'T': o.connect_timeout = (unsigned)number_arg("connect-timeout", optarg, 1, 1L << 30); break;
        case 'm': o.max_http_buffer_size = (size_t)number_arg("max-payload", optarg, 1, 1L << 30); break;
        case 'c': origins[o.n_cors_origins++] = optarg; break;
        case 'C': o.cors_credentials = true; break;
        case 'R': o.request_timeout = (unsigned)number_arg("request-timeout", optarg, 1, 1L << 30); break;
        case 'K': o.keep_alive_timeout = (unsigned)number_arg("keep-alive-timeout", optarg, 1, 1L << 30); break;
        case 'M': o.max_connections = (unsigned)number_arg("max-connections", optarg, 1, 1L << 30); break;
        case 'Q': o.max_queue_bytes = (size_t)number_arg("max-queue-bytes", optarg, 1, LONG_MAX); break;
        case 'G': o.max_total_queue_bytes = (size_t)number_arg("max-total-queue-bytes", optarg, 1, LONG_MAX); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    o.cors_origins = origins;
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
    free(origins);
    return rc;
}
