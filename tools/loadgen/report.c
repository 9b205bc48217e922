/* The results: one "key: value" line each on stdout, or one JSON object
 * with --json (strings quoted, numbers not). tools/bench.sh reads these
 * keys by name; their names and formats are an interface. Every figure is
 * over the measured window unless its name says otherwise, and the server's
 * only with --server-pid (with several, the sum over them). */
#include "loadgen.h"

#include <stdarg.h>
#include <stdio.h>
#include <inttypes.h>

typedef struct kv {
    char key[40];
    char val[64];
    bool str;
} kv;
static kv results[96];
static unsigned nresults;

static void put(const char *key, bool str, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(const char *key, bool str, const char *fmt, ...)
{
    if (nresults >= sizeof(results) / sizeof(results[0]))
        return;
    kv *r = &results[nresults++];
    snprintf(r->key, sizeof(r->key), "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->val, sizeof(r->val), fmt, ap);
    va_end(ap);
    r->str = str;
}

static double us(uint64_t ns) { return (double)ns / 1000.0; }

void print_results(void)
{
    double win = G.t_stop > G.t_measure ? (double)(G.t_stop - G.t_measure) / 1e9 : 0;
    double rate = win > 0 ? (double)G.events / win : 0;
    unsigned npoll = 0;
    for (unsigned i = 0; i < G.clients; i++)
        npoll += G.polling_share && (i % 100u) < G.polling_share;
    unsigned stalled = 0;
    for (unsigned i = 0; i < G.clients; i++) {
        conn *c = &G.conns[i];
        if (c->state == C_READY && c->inflight && (G.mode == M_ECHO || G.mode == M_ACK) &&
            G.t_stop - c->t_sent > 1000000000ull)
            stalled++;
    }
    put("mode", true, "%s", mode_names[G.mode]);
    put("protocol", true, "%s", G.eio ? "engine.io-v4" : "socket.io-v5");
    char ports[MAX_TARGETS * 7] = "";
    for (unsigned i = 0, n = 0; i < G.ntargets; i++)
        n += (unsigned)snprintf(ports + n, sizeof(ports) - n, "%s%d", i ? "," : "", G.targets[i].port);
    put("target", true, "%s:%s%s", G.host, ports, G.path);
    put("servers", false, "%u", G.ntargets);
    put("clients", false, "%u", G.clients);
    put("polling_clients", false, "%u", npoll);
    put("payload_bytes", false, "%zu", G.payload);
    put("connected", false, "%u", G.mode == M_CHURN ? G.peak_ready : G.ready_at_start);
    put("connect_time_s", false, "%.3f",
        G.mode == M_CHURN ? 0.0 : (double)((G.t_connected ? G.t_connected : G.t_stop) - G.t0) / 1e9);
    put("connect_p50_us", false, "%.0f", us(h_pct(&G.conn_lat, 0.50)));
    put("connect_p99_us", false, "%.0f", us(h_pct(&G.conn_lat, 0.99)));
    put("duration_s", false, "%.3f", win);
    put("sent", false, "%" PRIu64, G.sent);
    put("events", false, "%" PRIu64, G.events);
    put("events_per_s", false, "%.1f", rate);
    put("latency_p50_us", false, "%.1f", us(h_pct(&G.lat, 0.50)));
    put("latency_p99_us", false, "%.1f", us(h_pct(&G.lat, 0.99)));
    put("latency_p999_us", false, "%.1f", us(h_pct(&G.lat, 0.999)));
    put("latency_max_us", false, "%.1f", us(G.lat.max));
    if (G.mode == M_BROADCAST) {
        put("burst", false, "%u", G.burst);
        put("bursts", false, "%" PRIu64, G.bursts);
        put("bursts_incomplete", false, "%" PRIu64, G.bursts_incomplete);
        put("deliveries_per_s", false, "%.1f", rate);
        put("burst_p50_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.50)));
        put("burst_p99_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.99)));
        put("burst_p999_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.999)));
        put("burst_max_us", false, "%.1f", us(G.burst_lat.max));
    }
    if (G.mode == M_CHURN) {
        put("handshakes", false, "%" PRIu64, G.handshakes);
        put("handshakes_per_s", false, "%.1f", win > 0 ? (double)G.handshakes / win : 0);
        put("cycle_p50_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.50)));
        put("cycle_p99_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.99)));
    }
    if (G.mode == M_RATE) {
        put("target_rate", false, "%.1f", G.rate);
        put("send_rate", false, "%.1f", win > 0 ? (double)G.sent / win : 0);
        put("max_send_lag_us", false, "%.1f", us(G.max_lag));
    }
    if (G.mode == M_ECHO || G.mode == M_ACK)
        put("stalled", false, "%u", stalled);
    put("ready_at_end", false, "%u", G.ready);
    put("connect_failures", false, "%" PRIu64, G.connect_failures);
    put("closes", false, "%" PRIu64, G.closes);
    put("protocol_errors", false, "%" PRIu64, G.protocol_errors);
    put("errors", false, "%" PRIu64, G.connect_failures + G.closes + G.protocol_errors + stalled);
    put("gen_cpu_s", false, "%.3f", G.gen_cpu_end - G.gen_cpu_start);
    put("gen_runq_wait_s", false, "%.3f", G.gen_wait_end - G.gen_wait_start);
    if (G.nservers) {
        double cpu = G.cpu_end - G.cpu_start;
        put("server_pid", false, "%d", G.server_pids[0]);
        put("server_pids", false, "%u", G.nservers);
        put("server_cpu_s", false, "%.3f", cpu);
        put("server_cpu_pct", false, "%.1f", win > 0 ? 100.0 * cpu / win : 0);
        put("server_runq_wait_s", false, "%.3f", G.wait_end - G.wait_start);
        put("events_per_server_cpu_s", false, "%.1f", cpu > 0 ? (double)G.events / cpu : 0);
        put("server_rss_baseline_kb", false, "%ld", G.rss_baseline);
        put("server_rss_connected_kb", false, "%ld", G.rss_connected);
        put("server_rss_kb", false, "%ld", G.rss_end);
        unsigned conns = G.mode == M_CHURN ? 0 : G.ready;
        put("rss_per_conn_bytes", false, "%.0f",
            conns ? (double)(G.rss_end - G.rss_baseline) * 1024.0 / conns : 0);
    }
    if (G.json) {
        fputs("{", stdout);
        for (unsigned i = 0; i < nresults; i++)
            printf(results[i].str ? "%s\"%s\": \"%s\"" : "%s\"%s\": %s", i ? ", " : "", results[i].key,
                   results[i].val);
        fputs("}\n", stdout);
    } else {
        for (unsigned i = 0; i < nresults; i++)
            printf("%s: %s\n", results[i].key, results[i].val);
    }
    fflush(stdout);
}
