/* The command line: every option with its default, checked against its
 * range (a bad one ends the program with status 2 and a message), and what
 * follows from them: the path's default by protocol, the namespace prefix
 * of packets, and the target addresses (one per port), which must be on
 * loopback (127.0.0.0/8). */
#include "loadgen.h"

#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const mode_names[] = {"echo", "ack", "broadcast", "idle", "churn", "rate"};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sio_loadgen [options]\n"
            "  --mode M             echo | ack | broadcast | idle | churn | rate (default echo)\n"
            "  --host ADDR          loopback address of the server (default 127.0.0.1)\n"
            "  --port N[,N...]      default 3000; with several, clients go round robin\n"
            "  --path P             default /socket.io/ (/engine.io/ with --eio)\n"
            "  --nsp NSP            Socket.IO namespace (default /)\n"
            "  --clients N          concurrent clients (default 100)\n"
            "  --duration S         measured window after all clients connected (default 10)\n"
            "  --payload BYTES      size of the \"p\" string in each message (default 32)\n"
            "  --polling-share PCT  percent of clients on HTTP long-polling (default 0)\n"
            "  --burst K            broadcast: messages per burst (default 1)\n"
            "  --burst-timeout S    broadcast: give up on a burst after S s (default 5)\n"
            "  --chat ROOM          broadcast through sio-server's room chat: every client\n"
            "                       joins ROOM; a burst is \"message\" events to ROOM\n"
            "  --rate R             rate: total requests per second (default 1000)\n"
            "  --connect-rate N     new connections per second (default 2000)\n"
            "  --connect-concurrency N  handshakes in flight at most (default 256)\n"
            "  --connect-timeout S  per-client handshake limit (default 10)\n"
            "  --source-addrs N     spread client sockets over 127.0.0.1..127.0.0.N (default 1)\n"
            "  --eio                raw Engine.IO (echo of 4<payload>): modes echo, idle, churn, rate\n"
            "  --server-pid PID[,PID...]  read the servers' CPU time and RSS from /proc\n"
            "                       (summed over them)\n"
            "  --json               print the results as one JSON object\n"
            "  -v, --verbose        progress once a second on stderr\n");
}

static double num_arg(const char *name, const char *v, double min, double max)
{
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !(d >= min && d <= max))
        die("bad value for --%s: %s", name, v);
    return d;
}

/* A comma-separated list of integers in [min, max] into out[]; returns how
 * many (at least one, at most MAX_TARGETS). */
static unsigned int_list(const char *name, const char *v, long min, long max, int *out)
{
    unsigned n = 0;
    char *copy = strdup(v), *save = NULL;
    if (!copy)
        die("out of memory");
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (n == MAX_TARGETS)
            die("--%s: at most %d values", name, MAX_TARGETS);
        out[n++] = (int)num_arg(name, tok, (double)min, (double)max);
    }
    free(copy);
    if (!n)
        die("bad value for --%s: %s", name, v);
    return n;
}

/* A room of sio-server's chat: 1 to 64 letters, digits, space, '_', '.', '-'. */
static const char *room_arg(const char *v)
{
    size_t n = strlen(v);
    if (n < 1 || n > 64 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.-") != n)
        die("bad room for --chat: %s", v);
    return v;
}

void parse_args(int argc, char **argv)
{
    G.mode = M_ECHO;
    G.host = "127.0.0.1";
    int ports[MAX_TARGETS] = {3000};
    unsigned nports = 1;
    G.clients = 100;
    G.duration = 10;
    G.payload = 32;
    G.burst = 1;
    G.burst_timeout = 5;
    G.rate = 1000;
    G.connect_rate = 2000;
    G.connect_concurrency = 256;
    G.connect_timeout = 10;
    G.source_addrs = 1;
    G.nsp = "/";
    static const struct option opts[] = {
        {"mode", required_argument, 0, 'm'},          {"host", required_argument, 0, 'H'},
        {"port", required_argument, 0, 'p'},          {"path", required_argument, 0, 'P'},
        {"nsp", required_argument, 0, 'n'},           {"clients", required_argument, 0, 'c'},
        {"duration", required_argument, 0, 'd'},      {"payload", required_argument, 0, 'b'},
        {"polling-share", required_argument, 0, 'l'}, {"burst", required_argument, 0, 'k'},
        {"burst-timeout", required_argument, 0, 'K'}, {"rate", required_argument, 0, 'r'},
        {"connect-rate", required_argument, 0, 'R'},  {"connect-timeout", required_argument, 0, 'T'},
        {"source-addrs", required_argument, 0, 's'},  {"eio", no_argument, 0, 'e'},
        {"connect-concurrency", required_argument, 0, 'C'},
        {"server-pid", required_argument, 0, 'S'},    {"json", no_argument, 0, 'j'},
        {"verbose", no_argument, 0, 'v'},             {"help", no_argument, 0, 'h'},
        {"chat", required_argument, 0, 'A'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (ch) {
        case 'm': {
            bool found = false;
            for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
                if (!strcmp(optarg, mode_names[i])) {
                    G.mode = (enum mode)i;
                    found = true;
                }
            if (!found)
                die("unknown mode %s (echo, ack, broadcast, idle, churn, rate)", optarg);
            break;
        }
        case 'H': G.host = optarg; break;
        case 'p': nports = int_list("port", optarg, 1, 65535, ports); break;
        case 'P': G.path = optarg; break;
        case 'n': G.nsp = optarg; break;
        case 'c': G.clients = (unsigned)num_arg("clients", optarg, 1, 1000000); break;
        case 'd': G.duration = num_arg("duration", optarg, 0.1, 3600); break;
        case 'b': G.payload = (size_t)num_arg("payload", optarg, 0, 16 << 20); break;
        case 'l': G.polling_share = (unsigned)num_arg("polling-share", optarg, 0, 100); break;
        case 'k': G.burst = (unsigned)num_arg("burst", optarg, 1, 100000); break;
        case 'K': G.burst_timeout = num_arg("burst-timeout", optarg, 0.1, 600); break;
        case 'r': G.rate = num_arg("rate", optarg, 1, 10e6); break;
        case 'R': G.connect_rate = num_arg("connect-rate", optarg, 1, 10e6); break;
        case 'C': G.connect_concurrency = (unsigned)num_arg("connect-concurrency", optarg, 1, 1000000); break;
        case 'T': G.connect_timeout = num_arg("connect-timeout", optarg, 0.1, 600); break;
        case 's': G.source_addrs = (unsigned)num_arg("source-addrs", optarg, 1, 254); break;
        case 'e': G.eio = true; break;
        case 'S': G.nservers = int_list("server-pid", optarg, 1, 1 << 30, G.server_pids); break;
        case 'A': G.chat_room = room_arg(optarg); break;
        case 'j': G.json = true; break;
        case 'v': G.verbose = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc)
        die("unexpected argument %s", argv[optind]);
    if (!G.path)
        G.path = G.eio ? "/engine.io/" : "/socket.io/";
    if (G.eio && (G.mode == M_ACK || G.mode == M_BROADCAST))
        die("--eio supports the modes echo, idle, churn and rate");
    if (G.chat_room && (G.mode != M_BROADCAST || G.eio))
        die("--chat is for the broadcast mode of Socket.IO");
    if (G.chat_room && G.payload > 1900)
        die("--chat: a chat message holds at most 2000 bytes: --payload 1900 at most");
    if (strcmp(G.nsp, "/")) {
        if (G.nsp[0] != '/' || strlen(G.nsp) > 100 || strpbrk(G.nsp, ",\"\\"))
            die("bad namespace %s", G.nsp);
        snprintf(G.nsp_prefix, sizeof(G.nsp_prefix), "%s,", G.nsp);
    }
    if (!strcmp(G.host, "localhost"))
        G.host = "127.0.0.1";
    struct in_addr addr;
    if (inet_pton(AF_INET, G.host, &addr) != 1)
        die("--host must be an IPv4 address: %s", G.host);
    if ((ntohl(addr.s_addr) >> 24) != 127)
        die("only loopback targets (127.0.0.0/8) are allowed: %s", G.host);
    G.ntargets = nports;
    for (unsigned i = 0; i < nports; i++) {
        target *t = &G.targets[i];
        t->port = ports[i];
        t->dst.sin_family = AF_INET;
        t->dst.sin_port = htons((uint16_t)ports[i]);
        t->dst.sin_addr = addr;
        snprintf(t->hostport, sizeof(t->hostport), "%s:%d", G.host, ports[i]);
    }
}
