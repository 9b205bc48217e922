/* A session's send queue: a ring of message references, bounded per
 * session and for all sessions together. */
#include "eio/eio_engine_impl.h"

#include <stdlib.h>

static bool can_write_now(const eio_session *s)
{
    if (s->transport == EIO_WEBSOCKET)
        return s->ws && s->qlen == 0;
    return s->get && !s->upgrading && s->qlen == 0;
}

void eio_wake_writer(eio_session *s)
{
    eio_engine *e = s->eng;
    if (s->transport == EIO_WEBSOCKET) {
        if (s->ws)
            e->ops.want_write(e->ops.ctx, s->ws);
    } else if (s->get && !s->upgrading) {
        e->ops.want_write(e->ops.ctx, s->get);
    }
}


/* What a queued message costs its session: the payload, and what holding it
 * costs besides (see EIO_MSG_OVERHEAD). A client that sends small requests
 * and reads nothing must reach its limit by what it really holds. */
static size_t msg_cost(const sio_msg *m) { return m->len + EIO_MSG_OVERHEAD; }

/* Whether queueing `cost` more for `s` breaks the budget of all queues
 * together. Then the sessions holding more than their share (the budget
 * divided among the sessions) are closed as they are sent more; those that
 * hold less still get what is sent to them, so a few clients that do not
 * read cannot make the server refuse the ones that do. */
static bool over_budget(const eio_engine *e, const eio_session *s, size_t cost)
{
    size_t budget = e->opt.max_total_queue_bytes;
    if (!budget || e->qbytes + cost <= budget)
        return false;
    size_t n = e->sids.count ? e->sids.count : 1;
    return s->qbytes + cost > budget / n;
}

/* Queues m. `over_limit_ok` lets the open packet in whatever the limit, so
 * that a handshake never hands over a session that is already closed. */
int eio_enqueue_msg(eio_session *s, sio_msg *m, bool over_limit_ok)
{
    eio_engine *e = s->eng;
    if (!over_limit_ok && (e->faults.faults || s->fx) && eio_fx_hold(s, &e->faults, m, e->now)) {
        eio_timers_changed(s);
        return EIO_SEND_OK;
    }
    size_t cost = msg_cost(m);
    if (!over_limit_ok && (s->qbytes + cost > e->opt.max_queue_bytes || over_budget(e, s, cost))) {
        eio_close_session(s, EIO_CLOSE_QUEUE_FULL, true);
        return EIO_SEND_QUEUE_FULL;
    }
    if (s->qlen == s->qcap) {
        uint32_t cap = s->qcap ? s->qcap * 2 : 4;
        sio_msg **q = malloc(cap * sizeof(*q));
        if (!q)
            return EIO_SEND_QUEUE_FULL;
        for (uint32_t i = 0; i < s->qlen; i++)
            q[i] = s->q[(s->qhead + i) % s->qcap];
        free(s->q);
        s->q = q;
        s->qcap = cap;
        s->qhead = 0;
    }
    s->q[(s->qhead + s->qlen) % s->qcap] = sio_msg_ref(m);
    s->qlen++;
    if (e->faults.tap && (m->binary || (m->len && m->data[0] == '4')))
        e->faults.tap(e->faults.tap_ctx, s, true, m->data + !m->binary, m->len - !m->binary, m->binary);
    s->qbytes += cost;
    e->qbytes += cost;
    if (s->qlen == 1) /* the writer is already awake otherwise */
        eio_wake_writer(s);
    return EIO_SEND_OK;
}

int eio_enqueue(eio_session *s, sio_msg *m) { return eio_enqueue_msg(s, m, false); }

sio_msg *eio_dequeue(eio_session *s)
{
    if (!s->qlen)
        return NULL;
    sio_msg *m = s->q[s->qhead];
    s->qhead = (s->qhead + 1) % s->qcap;
    s->qlen--;
    s->qbytes -= msg_cost(m);
    s->eng->qbytes -= msg_cost(m);
    if (!s->qlen && s->qcap > 64) { /* give back a burst's memory */
        free(s->q);
        s->q = NULL;
        s->qcap = s->qhead = 0;
    }
    return m;
}

int eio_session_send(eio_session *s, sio_msg *m)
{
    if (s->state != S_OPEN)
        return EIO_SEND_CLOSED;
    return eio_enqueue(s, m);
}

int eio_session_send_volatile(eio_session *s, sio_msg *m)
{
    if (s->state != S_OPEN)
        return EIO_SEND_CLOSED;
    if (!can_write_now(s))
        return EIO_SEND_DROPPED;
    return eio_enqueue(s, m);
}
