/* The broadcast mode: one connected client sends a burst of --burst
 * "broadcast" events; the server sends each to every client of the
 * namespace ("broadcast-back"), or with --chat, "message" events to the
 * room every client joined (chat.c). When every ready client has received the
 * whole burst, its time until the last delivery is recorded and the next
 * burst starts (from the next client, round robin); a burst not complete
 * after --burst-timeout is counted as incomplete and the next one starts. */
#include "loadgen.h"

#include <inttypes.h>
#include <stdio.h>

void send_burst(uint64_t now)
{
    conn *s = NULL;
    for (unsigned k = 0; k < G.clients; k++) {
        conn *c = &G.conns[(G.sender + k) % G.clients];
        if (c->state == C_READY) {
            s = c;
            G.sender = c->idx;
            break;
        }
    }
    if (!s) {
        G.phase = PH_DONE;
        fprintf(stderr, "sio_loadgen: broadcast: no connected client left to send\n");
        return;
    }
    G.burst_seq++;
    G.burst_t0 = now;
    G.burst_recv = 0;
    G.burst_expect = (uint64_t)G.burst * G.ready;
    uint32_t gen = s->gen;
    for (unsigned k = 0; k < G.burst && s->gen == gen; k++) {
        size_t n = build_msg(K_BCAST, now, 0, G.burst_seq);
        G.sent++;
        if (!eio_send_tx(s, n))
            break;
    }
}

void on_broadcast(conn *c, const char *p, const char *end, uint64_t now)
{
    uint64_t t, b;
    bool ok = G.chat_room ? chat_stamp(p, end, &t, &b)
                          : eat(&p, end, "{\"t\":", 5) && parse_u64(&p, end, &t) &&
                                eat(&p, end, ",\"b\":", 5) && parse_u64(&p, end, &b);
    if (!ok || t > now) {
        fail(c, F_PROTO, "%s without a valid timestamp", G.chat_room ? "message" : "broadcast-back");
        return;
    }
    if (G.phase != PH_MEASURE)
        return;
    G.events++;
    h_add(&G.lat, now - t);
    if (b == G.burst_seq && ++G.burst_recv >= G.burst_expect) {
        G.bursts++;
        h_add(&G.burst_lat, now - G.burst_t0);
        if (now < G.t_end)
            send_burst(now);
    }
}

/* Gives up on a burst that is late (see above). Returns the earlier of
 * `next` and the current burst's deadline. */
uint64_t broadcast_tick(uint64_t now, uint64_t next)
{
    uint64_t to = G.burst_t0 + (uint64_t)(G.burst_timeout * 1e9);
    if (now >= to) {
        G.bursts_incomplete++;
        fprintf(stderr, "sio_loadgen: burst %" PRIu32 " incomplete after %.1f s: %" PRIu64 "/%" PRIu64
                        " deliveries\n", G.burst_seq, G.burst_timeout, G.burst_recv, G.burst_expect);
        send_burst(now);
        to = now + (uint64_t)(G.burst_timeout * 1e9);
    }
    if (to < next)
        next = to;
    return next;
}
