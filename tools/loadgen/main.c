/* sio_loadgen: a load generator for Socket.IO v5 / Engine.IO v4 servers.
 *
 * A standalone program with its own epoll loop and its own minimal clients
 * (no libwebsockets, no project headers):
 *   - WebSocket: HTTP/1.1 upgrade (Sec-WebSocket-Accept checked), masked
 *     frames out, fragmented and control frames in, no extensions;
 *   - HTTP/1.1 long-polling (keep-alive, Content-Length or chunked), one
 *     connection for the held GET and one for POSTs, for --polling-share
 *     percent of the clients.
 * It speaks Engine.IO v4 and Socket.IO v5 itself: answers pings, sends the
 * CONNECT (40) and waits for its reply before a client counts as connected.
 *
 * Every payload carries its send time (CLOCK_MONOTONIC ns) as the "t" field
 * of a JSON object; the server echoes arguments unchanged, so latency is
 * measured from the payload: {"t":123,"p":"xxxx"} ("p" is --payload bytes).
 *
 * Phases: connect (ramped at --connect-rate, each handshake bounded by
 * --connect-timeout), then the measured window of --duration seconds, then
 * a final block of "key: value" lines (or one JSON object with --json), and
 * exit. With --server-pid the server's CPU time (utime+stime over the
 * window) and RSS (before connecting, and at the end) are read from /proc.
 *
 * Only loopback addresses (127.0.0.0/8) are accepted as targets.
 *
 * This file sets up and runs the loop; one file per job does the rest
 * (loadgen.h lists them). */
#include "loadgen.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

loadgen G;
volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit: %s", strerror(errno));
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    unsigned npoll = 0;
    for (unsigned i = 0; i < G.clients; i++)
        npoll += G.polling_share && (i % 100u) < G.polling_share;
    uint64_t need = (uint64_t)G.clients + npoll + 64;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        die("%u clients need %" PRIu64 " file descriptors but the hard limit (ulimit -Hn) is %llu: "
            "raise it (as root: ulimit -Hn %" PRIu64 ") or use fewer --clients",
            G.clients, need, (unsigned long long)rl.rlim_max, need);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    G.clk_tck = sysconf(_SC_CLK_TCK);
    rng_seed(mono_ns() * 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid());

    G.filler = malloc(G.payload + 1);
    G.tx_cap = G.payload + 1024;
    G.tx = malloc(G.tx_cap);
    G.rx_cap = 256 * 1024;
    G.rx = malloc(G.rx_cap);
    G.conns = calloc(G.clients, sizeof(*G.conns));
    G.restart = calloc(G.clients, sizeof(*G.restart));
    if (!G.filler || !G.tx || !G.rx || !G.conns || !G.restart)
        die("out of memory");
    memset(G.filler, 'x', G.payload);
    for (unsigned i = 0; i < G.clients; i++) {
        G.conns[i].idx = i;
        G.conns[i].ch.fd = -1;
    }
    G.interval = (uint64_t)(1e9 / G.rate);
    if (G.interval == 0)
        G.interval = 1;
    G.ep = epoll_create1(EPOLL_CLOEXEC);
    if (G.ep < 0)
        die("epoll_create1: %s", strerror(errno));
    for (unsigned i = 0; i < G.nservers; i++)
        if (proc_rss_kb(G.server_pids[i]) < 0)
            die("no process %d (--server-pid)", G.server_pids[i]);
    if (G.nservers)
        G.rss_baseline = servers_rss_kb();

    G.t0 = mono_ns();
    G.next_connect = G.t0;
    G.next_scan = G.t0 + 100000000ull;
    if (G.mode == M_CHURN)
        begin_measure(G.t0);
    else
        G.phase = PH_CONNECT;

    struct epoll_event evs[1024];
    bool pwait2 = true;
    uint64_t next_report = G.t0 + 1000000000ull, last_events = 0;
    while (G.phase != PH_DONE) {
        uint64_t now = mono_ns();
        uint64_t deadline = tick(now);
        if (G.phase == PH_DONE)
            break;
        if (G.verbose && now >= next_report) {
            fprintf(stderr, "sio_loadgen: t=%.0fs ready=%u events/s=%" PRIu64 " errors=%" PRIu64 "\n",
                    (double)(now - G.t0) / 1e9, G.ready, G.events - last_events,
                    G.connect_failures + G.closes + G.protocol_errors);
            last_events = G.events;
            next_report += 1000000000ull;
        }
        now = mono_ns();
        uint64_t wait = deadline > now ? deadline - now : 0;
        int n;
        if (pwait2) {
            struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull),
                                  .tv_nsec = (long)(wait % 1000000000ull)};
            n = epoll_pwait2(G.ep, evs, 1024, &ts, NULL);
            if (n < 0 && errno == ENOSYS) {
                pwait2 = false;
                continue;
            }
        } else {
            n = epoll_wait(G.ep, evs, 1024, (int)((wait + 999999) / 1000000));
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        now = mono_ns();
        for (int i = 0; i < n; i++)
            on_event(evs[i].data.u64, evs[i].events, now);
    }
    if (!G.t_stop)
        G.t_stop = mono_ns();
    print_results();
    return G.ready == 0 && G.mode != M_CHURN && G.peak_ready == 0 ? 3 : 0;
}
