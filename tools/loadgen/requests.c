/* The request/answer modes. echo: each client sends "message" and sends
 * again when "message-back" returns (a closed loop); ack: the same with
 * "message-with-ack" and its acknowledgement, whose id is checked. The rate
 * mode (rate.c) and a churn cycle (churn.c) send the same requests; the
 * answer's timestamp gives the latency of each. */
#include "loadgen.h"

/* One request of the closed loop (echo/ack/churn) or of the open loop (rate). */
bool send_request(conn *c, uint64_t t)
{
    int kind = (G.mode == M_ECHO) ? K_ECHO : K_ACK;
    size_t n = build_msg(kind, t, c->next_ack++, 0);
    c->t_sent = t;
    c->inflight = true;
    if (G.phase == PH_MEASURE)
        G.sent++;
    return eio_send_tx(c, n);
}

/* The measured window opens: every ready client with nothing in flight
 * sends its first request. */
void requests_start(uint64_t now)
{
    for (unsigned i = 0; i < G.clients; i++) {
        conn *c = &G.conns[i];
        if (c->state == C_READY && !c->inflight)
            send_request(c, now);
    }
}

/* An answer carrying a timestamp (message-back, an ack, an Engine.IO echo). */
void on_answer(conn *c, const char *p, const char *end, uint64_t now)
{
    uint64_t t;
    if (!eat(&p, end, "{\"t\":", 5) || !parse_u64(&p, end, &t) || t > now) {
        fail(c, F_PROTO, "answer without a valid timestamp");
        return;
    }
    if (G.phase == PH_MEASURE && t >= G.t_measure) {
        G.events++;
        h_add(&G.lat, now - t);
    }
    c->inflight = false;
    switch (G.mode) {
    case M_ECHO:
    case M_ACK:
        if (G.phase == PH_MEASURE)
            send_request(c, now);
        break;
    case M_CHURN:
        churn_answered(c, now);
        break;
    default:
        break;
    }
}
