/* One simulated client's life: started (a WebSocket upgrade, or a polling
 * handshake for --polling-share percent of the slots), ready once the
 * Engine.IO open and the Socket.IO CONNECT reply are in, and closed, on
 * purpose or by fail(), which counts why and prints the first few reasons.
 * A closed client's generation is bumped, so events for its old sockets are
 * recognised and skipped. */
#include "loadgen.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void report(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(conn *c, const char *fmt, ...)
{
    if (G.err_printed >= 10)
        return;
    if (++G.err_printed == 10) {
        fprintf(stderr, "sio_loadgen: (further errors are only counted)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sio_loadgen: client %u (%s): ", c->idx, c->polling ? "polling" : "websocket");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void fail(conn *c, int why, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (why == F_PROTO)
        G.protocol_errors++;
    else if (c->state == C_READY)
        G.closes++;
    else
        G.connect_failures++;
    const char *when = c->state == C_READY ? "connected" : "handshake";
    report(c, "%s: %s", when, msg);
    conn_close(c);
}

void conn_close(conn *c)
{
    if (c->state == C_FREE || c->state == C_DEAD)
        return;
    chan_close(&c->ch);
    if (c->post) {
        chan_close(c->post);
        free(c->post);
        c->post = NULL;
    }
    buf_free(&c->pend);
    free(c->sid);
    c->sid = NULL;
    c->gen++;
    if (c->state == C_READY)
        G.ready--;
    c->state = C_DEAD;
    c->inflight = false;
    c->closing = false;
    G.dead++;
    churn_closed(c);
}

void conn_start(conn *c, uint64_t now)
{
    if (c->state == C_DEAD)
        G.dead--;
    c->t_start = now;
    c->inflight = false;
    c->next_ack = 1;
    c->ch.fd = -1;
    c->polling = G.polling_share && (c->idx % 100u) < G.polling_share;
    if (c->polling) {
        c->state = C_OPEN_WAIT;
        get_issue(c);
        return;
    }
    c->state = C_UPGRADE;
    ws_open(c);
}

/* A client finished its handshake (Engine.IO open, and Socket.IO CONNECT). */
void set_ready(conn *c, uint64_t now)
{
    c->state = C_READY;
    c->was_ready = true;
    G.ready++;
    if (G.ready > G.peak_ready)
        G.peak_ready = G.ready;
    h_add(&G.conn_lat, now - c->t_start);
    if (G.mode == M_CHURN || (G.phase == PH_MEASURE && (G.mode == M_ECHO || G.mode == M_ACK)))
        send_request(c, now);
}
