/* eio-echo: a raw Engine.IO echo server. Every message, text or binary, is
 * sent back to its sender as it came. Used by the conformance tests. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void usage(FILE *f)
{
    fprintf(f,
            "usage: eio-echo [options]\n"
            "  --host ADDR            address to listen on (default: all)\n"
            "  --port N               port (default 3000)\n"
            "  --path PATH            Engine.IO path (default /engine.io/)\n"
            "  --ping-interval MS     default 25000\n"
            "  --ping-timeout MS      default 20000\n"
            "  --upgrade-timeout MS   default 10000\n"
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
        fprintf(stderr, "eio-echo: bad value for --%s: %s\n", name, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    eio_server_options o;
    eio_server_options_init(&o);
    const char **origins = calloc((size_t)argc, sizeof(*origins));
    static const struct option opts[] = {
        {"host", required_argument, 0, 'H'},          {"port", required_argument, 0, 'p'},
        {"path", required_argument, 0, 'P'},          {"ping-interval", required_argument, 0, 'i'},
        {"ping-timeout", required_argument, 0, 't'},  {"upgrade-timeout", required_argument, 0, 'u'},
        {"max-payload", required_argument, 0, 'm'},   {"cors-origin", required_argument, 0, 'c'},
        {"cors-credentials", no_argument, 0, 'C'},    {"help", no_argument, 0, 'h'},
        {"request-timeout", required_argument, 0, 'R'}, {"keep-alive-timeout", required_argument, 0, 'K'},
        {"max-connections", required_argument, 0, 'M'},
        {"max-queue-bytes", required_argument, 0, 'Q'},
        {"max-total-queue-bytes", required_argument, 0, 'G'},
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
        case 'm': o.max_payload = (size_t)number_arg("max-payload", optarg, 1, 1L << 30); break;
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
    free(origins);
    return rc;
}
