/* The rate mode: an open loop. Requests go out at --rate per second in
 * total, round robin over the ready clients, whether or not earlier ones
 * were answered. Each is stamped with the time it was due, not the time it
 * left, so that a late sender does not hide latency (no coordinated
 * omission); the largest lateness is reported as max_send_lag_us. */
#include "loadgen.h"

void rate_start(uint64_t now)
{
    G.next_send = now;
}

/* Sends every request that is due (at most 20,000 a call). Returns the
 * earlier of `next` and the next request's time. */
uint64_t rate_tick(uint64_t now, uint64_t next)
{
    unsigned budget = 20000;
    while (G.next_send <= now && budget--) {
        conn *c = NULL;
        for (unsigned k = 0; k < G.clients; k++) {
            conn *cand = &G.conns[G.rr++ % G.clients];
            if (cand->state == C_READY) {
                c = cand;
                break;
            }
        }
        if (!c)
            break;
        if (now - G.next_send > G.max_lag)
            G.max_lag = now - G.next_send;
        send_request(c, G.next_send); /* intended time: no coordinated omission */
        G.next_send += G.interval;
    }
    if (G.next_send < next)
        next = G.next_send;
    return next;
}
