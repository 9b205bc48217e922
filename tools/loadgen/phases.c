/* The run's phases and its clock. Connect: clients are started at
 * --connect-rate (a token bucket with at most 10 ms of credit), at most
 * --connect-concurrency handshakes at a time, each bounded by
 * --connect-timeout. Measure: opens when every client is ready or dead (at
 * once for churn), with the server's CPU time and RSS read, and lasts
 * --duration seconds or until SIGINT/SIGTERM. Done: the same figures read
 * again. tick() does the time-driven work of each phase and mode, and
 * returns when it next has something to do. */
#include "loadgen.h"

#include <inttypes.h>
#include <stdio.h>

void begin_measure(uint64_t now)
{
    G.phase = PH_MEASURE;
    G.t_connected = now;
    G.t_measure = now;
    G.t_end = now + (uint64_t)(G.duration * 1e9);
    G.ready_at_start = G.ready;
    G.gen_wait_start = proc_runq_wait(0);
    G.gen_cpu_start = self_cpu();
    if (G.nservers) {
        G.wait_start = servers_runq_wait();
        G.rss_connected = servers_rss_kb();
        if (!servers_cpu(&G.cpu_start))
            fprintf(stderr, "sio_loadgen: cannot read the CPU time of a --server-pid\n");
    }
    if (G.mode != M_CHURN)
        fprintf(stderr, "sio_loadgen: %u/%u clients connected in %.2f s (%" PRIu64 " connect failures)\n",
                G.ready, G.clients, (double)(now - G.t0) / 1e9, G.connect_failures);
    if (G.mode != M_CHURN && G.ready == 0) {
        fprintf(stderr, "sio_loadgen: no client connected\n");
        end_measure(now);
        return;
    }
    switch (G.mode) {
    case M_ECHO:
    case M_ACK:
        requests_start(now);
        break;
    case M_BROADCAST:
        send_burst(now);
        break;
    case M_RATE:
        rate_start(now);
        break;
    default:
        break;
    }
}

void end_measure(uint64_t now)
{
    G.phase = PH_DONE;
    G.t_stop = now;
    G.gen_wait_end = proc_runq_wait(0);
    G.gen_cpu_end = self_cpu();
    if (G.nservers) {
        G.wait_end = servers_runq_wait();
        if (!servers_cpu(&G.cpu_end))
            G.cpu_end = G.cpu_start;
        G.rss_end = servers_rss_kb();
    }
}

static void scan_timeouts(uint64_t now)
{
    uint64_t limit = (uint64_t)(G.connect_timeout * 1e9);
    for (unsigned i = 0; i < G.started; i++) {
        conn *c = &G.conns[i];
        if (c->state >= C_UPGRADE && c->state < C_READY && now - c->t_start > limit)
            fail(c, F_CONNECT, "handshake not done after %.1f s", G.connect_timeout);
    }
}

/* Time-driven work; returns the next deadline. */
uint64_t tick(uint64_t now)
{
    uint64_t next = now + 100000000ull;
    if (G.started < G.clients && G.phase != PH_DONE) {
        /* Token bucket at --connect-rate (at most 10 ms of credit), and at
         * most --connect-concurrency handshakes in flight. */
        uint64_t step = (uint64_t)(1e9 / G.connect_rate);
        if (G.next_connect + 10000000ull < now)
            G.next_connect = now - 10000000ull;
        while (G.started < G.clients && G.next_connect <= now &&
               G.started - G.ready - G.dead < G.connect_concurrency) {
            conn_start(&G.conns[G.started++], now);
            G.next_connect += step;
        }
        if (G.started < G.clients && G.next_connect < next)
            next = G.next_connect > now ? G.next_connect : now + 1000000;
    }
    if (G.phase == PH_MEASURE)
        churn_restart(now);
    if (now >= G.next_scan) {
        scan_timeouts(now);
        G.next_scan = now + 100000000ull;
    }
    if (G.phase == PH_CONNECT && G.started == G.clients && G.ready + G.dead >= G.clients)
        begin_measure(now);
    if (G.phase == PH_MEASURE && (now >= G.t_end || interrupted)) {
        end_measure(now);
        return now;
    }
    if (G.phase == PH_CONNECT && interrupted) {
        G.phase = PH_DONE;
        G.t_measure = G.t_stop = now;
        return now;
    }
    if (G.phase != PH_MEASURE)
        return next;
    if (G.t_end < next)
        next = G.t_end;
    if (G.mode == M_RATE)
        next = rate_tick(now, next);
    if (G.mode == M_BROADCAST)
        next = broadcast_tick(now, next);
    return next;
}
