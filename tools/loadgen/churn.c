/* The churn mode: each of --clients slots cycles through a whole
 * connection: handshake, one request and its answer, a clean close (a
 * WebSocket close frame, or the Engine.IO close packet over polling), then a
 * new connection in the same slot at the next tick. The measured window
 * starts at once; a cycle counts as one handshake, and its time from the
 * first byte to the answer is recorded. */
#include "loadgen.h"

#include <string.h>

/* A cycle's request was answered. */
void churn_answered(conn *c, uint64_t now)
{
    if (G.phase == PH_MEASURE) {
        G.handshakes++;
        h_add(&G.burst_lat, now - c->t_start); /* the whole cycle */
    }
    conn_finish(c);
}

/* Graceful close at the end of a churn cycle. */
void conn_finish(conn *c)
{
    if (c->polling) {
        c->closing = true;
        eio_send(c, "1", 1);
        return;
    }
    static const char code[2] = {0x03, (char)0xe8}; /* 1000 */
    memcpy(G.tx + WS_HDR_MAX, code, 2);
    ws_send_tx(c, 0x8, 2);
    if (c->state != C_DEAD)
        conn_close(c);
}

/* A client was closed: during the measured window its slot starts again
 * at the next tick (churn_restart). */
void churn_closed(const conn *c)
{
    if (G.mode == M_CHURN && G.phase == PH_MEASURE)
        G.restart[G.nrestart++] = c->idx;
}

void churn_restart(uint64_t now)
{
    while (G.nrestart)
        conn_start(&G.conns[G.restart[--G.nrestart]], now);
}
