/* The command line: every option with its default, checked against its
 * range (a bad one ends the program with status 2 and a message), and what
 * follows from them: the path's default by protocol, the namespace prefix
 * of packets, and the target address, which must be on loopback
 * (127.0.0.0/8). */
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
            "  --port N             default 3000\n"
            "  --path P             default /socket.io/ (/engine.io/ with --eio)\n"
            "  --nsp NSP            Socket.IO namespace (default /)\n"
            "  --clients N          concurrent clients (default 100)\n"
            "  --duration S         measured window after all clients connected (default 10)\n"
            "  --payload BYTES      size of the \"p\" string in each message (default 32)\n"
            "  --polling-share PCT  percent of clients on HTTP long-polling (default 0)\n"
            "  --burst K            broadcast: messages per burst (default 1)\n"
            "  --burst-timeout S    broadcast: give up on a burst after S s (default 5)\n"
            "  --rate R             rate: total requests per second (default 1000)\n"
            "  --connect-rate N     new connections per second (default 2000)\n"
            "  --connect-concurrency N  handshakes in flight at most (default 256)\n"
            "  --connect-timeout S  per-client handshake limit (default 10)\n"
            "  --source-addrs N     spread client sockets over 127.0.0.1..127.0.0.N (default 1)\n"
            "  --eio                raw Engine.IO (echo of 4<payload>): modes echo, idle, churn, rate\n"
            "  --server-pid PID     read the server's CPU time and RSS from /proc\n"
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

void parse_args(int argc, char **argv)
{
    G.mode = M_ECHO;
    G.host = "127.0.0.1";
    G.port = 3000;
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
        case 'p': G.port = (int)num_arg("port", optarg, 1, 65535); break;
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
        case 'S': G.server_pid = (int)num_arg("server-pid", optarg, 1, 1 << 30); break;
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
    if (strcmp(G.nsp, "/")) {
        if (G.nsp[0] != '/' || strlen(G.nsp) > 100 || strpbrk(G.nsp, ",\"\\"))
            die("bad namespace %s", G.nsp);
        snprintf(G.nsp_prefix, sizeof(G.nsp_prefix), "%s,", G.nsp);
    }
    if (!strcmp(G.host, "localhost"))
        G.host = "127.0.0.1";
    G.dst.sin_family = AF_INET;
    G.dst.sin_port = htons((uint16_t)G.port);
    if (inet_pton(AF_INET, G.host, &G.dst.sin_addr) != 1)
        die("--host must be an IPv4 address: %s", G.host);
    if ((ntohl(G.dst.sin_addr.s_addr) >> 24) != 127)
        die("only loopback targets (127.0.0.0/8) are allowed: %s", G.host);
    snprintf(G.hostport, sizeof(G.hostport), "%s:%d", G.host, G.port);
}
