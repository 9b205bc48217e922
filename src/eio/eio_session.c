/* One session's lifecycle: its handshake, its timers, the connections it
 * holds, the packets it receives, and its close. */
#include "eio/eio_engine_impl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "eio/eio_codec.h"
#include "util/rand_id.h"
#include "util/strmap.h"
#include "util/timer_heap.h"

/* --- timers ------------------------------------------------------------- */

static int64_t min_nonzero(int64_t a, int64_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

/* The earliest of the session's timers, or INT64_MAX. */
static int64_t next_deadline(const eio_session *s)
{
    int64_t d = min_nonzero(min_nonzero(s->ping_at, s->pong_by), min_nonzero(s->upgrade_by, s->close_by));
    d = min_nonzero(d, eio_fx_due(s->fx));
    return d ? d : INT64_MAX;
}

/* Moves the session in the heap after one of its timers changed. The heap
 * holds every open session (it was inserted at the handshake), so this only
 * moves it, and never allocates. */
void eio_timers_changed(eio_session *s)
{
    if (s->timer.idx != SIO_TIMER_IDLE)
        timer_heap_arm(&s->eng->timers, &s->timer, next_deadline(s));
}

/* --- memory -------------------------------------------------------------- */

/* Frees a closed session, letting go of what it holds and of the back
 * pointers of connections still attached. */
void eio_session_free(eio_session *s)
{
    for (uint32_t i = 0; i < s->qlen; i++)
        sio_msg_unref(s->q[(s->qhead + i) % s->qcap]);
    s->eng->qbytes -= s->qbytes;
    free(s->q);
    free(s->query);
    sio_request_unref(s->req);
    eio_fx_free(s->fx);
    eio_conn *conns[] = {s->get, s->post, s->ws, s->probe};
    for (size_t i = 0; i < 4; i++)
        if (conns[i])
            conns[i]->session = NULL;
    free(s);
}

/* --- connections --------------------------------------------------------- */

void eio_conn_attach(eio_session *s, eio_conn **slot, eio_conn *c, eio_conn_role role)
{
    *slot = c;
    c->session = s;
    c->role = (uint8_t)role;
}

static eio_conn **slot_of(eio_session *s, eio_conn *c)
{
    switch (c->role) {
    case EIO_CONN_GET: return &s->get;
    case EIO_CONN_POST: return &s->post;
    case EIO_CONN_WS: return &s->ws;
    case EIO_CONN_PROBE: return &s->probe;
    default: return NULL;
    }
}

void eio_conn_detach(eio_conn *c)
{
    eio_session *s = c->session;
    if (s) {
        eio_conn **slot = slot_of(s, c);
        if (slot && *slot == c)
            *slot = NULL;
    }
    c->session = NULL;
}

/* Lets go of a WebSocket and asks the transport to close it. */
void eio_drop_ws(eio_session *s, eio_conn *c)
{
    s->eng->metrics.upgrade_failures += c->role == EIO_CONN_PROBE;
    eio_conn_detach(c);
    s->eng->ops.close_conn(s->eng->ops.ctx, c);
}

/* --- closing ------------------------------------------------------------- */

/* Ends the session now: it leaves the sid table and the timers, its
 * WebSockets are closed, a held GET gets its last answer, and the layer above
 * hears of it once. The memory goes at the next reap. */
void eio_close_session(eio_session *s, eio_close_reason reason, bool answer_get_with_close)
{
    if (s->state == S_CLOSED)
        return;
    eio_engine *e = s->eng;
    s->state = S_CLOSED;
    s->close_reason = (uint8_t)reason;
    e->metrics.closed[reason]++;
    e->metrics.open[s->transport][s->protocol - 3]--;
    strmap_del(&e->sids, s->sid, SIO_ID_LEN);
    timer_heap_cancel(&e->timers, &s->timer);
    if (s->ws)
        eio_drop_ws(s, s->ws);
    if (s->probe)
        eio_drop_ws(s, s->probe);
    if (s->post)
        eio_conn_detach(s->post);
    if (s->get) {
        if (answer_get_with_close)
            s->final_close = true;
        else
            s->final_noop = true;
        e->ops.want_write(e->ops.ctx, s->get);
    }
    s->reap_next = e->reap;
    e->reap = s;
    if (e->notify_tail)
        e->notify_tail->notify_next = s;
    else
        e->notify_head = s;
    e->notify_tail = s;
}

void eio_graceful_close(eio_session *s, eio_close_reason reason)
{
    if (s->state != S_OPEN)
        return;
    s->state = S_CLOSING;
    s->close_reason = (uint8_t)reason;
    s->close_by = s->eng->now + s->eng->opt.ping_timeout;
    s->ping_at = s->pong_by = 0;
    eio_timers_changed(s);
    if (s->transport == EIO_POLLING) {
        /* The close packet follows what is queued; the poll that carries it
         * ends the session. */
        if (eio_enqueue(s, s->eng->close) != EIO_SEND_OK)
            return;
        eio_wake_writer(s);
    } else if (s->qlen == 0) {
        eio_close_session(s, reason, false);
    }
}

void eio_session_close(eio_session *s) { eio_graceful_close(s, EIO_CLOSE_FORCED); }

void eio_session_fail(eio_session *s) { eio_close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true); }

bool eio_session_is_open(const eio_session *s) { return s->state == S_OPEN; }
const char *eio_session_sid(const eio_session *s) { return s->sid; }
eio_transport_kind eio_session_transport(const eio_session *s) { return s->transport; }
int eio_session_protocol(const eio_session *s) { return s->protocol; }
const char *eio_session_query(const eio_session *s) { return s->query ? s->query : ""; }
sio_request *eio_session_request(const eio_session *s) { return s->req; }
void eio_session_set_user(eio_session *s, void *user) { s->user = user; }
void *eio_session_user(const eio_session *s) { return s->user; }
size_t eio_session_queued_bytes(const eio_session *s) { return s->qbytes; }

/* --- handshake ----------------------------------------------------------- */

eio_session *eio_engine_handshake(eio_engine *e, eio_transport_kind t, eio_conn *c, int64_t now)
{
    return eio_engine_handshake_version(e, t, 4, false, NULL, NULL, c, now);
}

/* v3 liveness: any packet from the client pushes the deadline. */
static void v3_alive(eio_session *s, int64_t now)
{
    s->pong_by = now + s->eng->opt.ping_interval + s->eng->opt.ping_timeout;
    eio_timers_changed(s);
}

eio_session *eio_engine_handshake_version(eio_engine *e, eio_transport_kind t, int protocol, bool b64,
                                          const char *query, sio_request *req, eio_conn *c, int64_t now)
{
    e->now = now;
    eio_session *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->eng = e;
    s->transport = (uint8_t)t;
    sio_timer_init(&s->timer, NULL); /* run by eio_engine_tick */
    s->state = S_OPEN;
    if ((query && *query && !(s->query = strdup(query))) || sio_rand_id(s->sid) ||
        strmap_get(&e->sids, s->sid, SIO_ID_LEN) || strmap_put(&e->sids, s->sid, SIO_ID_LEN, s)) {
        free(s->query);
        free(s);
        return NULL;
    }
    s->protocol = (uint8_t)(protocol == 3 ? 3 : 4);
    s->b64 = b64;
    s->req = sio_request_ref(req);
    if (s->protocol == 3)
        s->pong_by = now + e->opt.ping_interval + e->opt.ping_timeout;
    else
        s->ping_at = now + e->opt.ping_interval;
    sio_buf open;
    sio_buf_init(&open, SIO_HEADROOM);
    sio_msg *m = NULL;
    if (timer_heap_arm(&e->timers, &s->timer, next_deadline(s)) ||
        eio_encode_open(&open, s->sid, t == EIO_POLLING && e->opt.allow_upgrades && e->opt.allow_websocket,
                        e->opt.ping_interval, e->opt.ping_timeout, e->opt.max_payload) ||
        !(m = sio_msg_from_buf(&open, false))) {
        sio_buf_free(&open);
        timer_heap_cancel(&e->timers, &s->timer);
        strmap_del(&e->sids, s->sid, SIO_ID_LEN);
        sio_request_unref(s->req);
        free(s->query);
        free(s);
        return NULL;
    }
    eio_conn_attach(s, t == EIO_POLLING ? &s->get : &s->ws, c, t == EIO_POLLING ? EIO_CONN_GET : EIO_CONN_WS);
    eio_enqueue_msg(s, m, true);
    sio_msg_unref(m);
    e->metrics.open[t][s->protocol - 3]++, e->metrics.opened[t][s->protocol - 3]++;
    if (e->h.on_open)
        e->h.on_open(e->h.ctx, s);
    return s;
}


/* --- incoming packets ---------------------------------------------------- */

/* Acts on one packet from the session's current transport. Returns 0, or -1
 * when the packet was a protocol error (the session is then closed). */
int eio_on_packet(eio_session *s, const eio_packet *p, int64_t now)
{
    eio_engine *e = s->eng;
    if (s->state != S_OPEN)
        return 0; /* closing: what the client still sends is moot */
    if (p->binary && p->type != EIO_MESSAGE) { /* only messages carry binary */
        eio_close_session(s, EIO_CLOSE_PARSE_ERROR, true);
        return -1;
    }
    if (s->protocol == 3) {
        v3_alive(s, now);
        if (p->type == EIO_PING) {
            /* v3: the client pings, the server answers with a bare pong as
             * Node does. One unsent pong answers any number of pings, so a
             * ping flood cannot grow the queue. */
            if ((!s->qlen || s->q[(s->qhead + s->qlen - 1) % s->qcap] != e->pong) &&
                !(eio_session_faults(s) & EIO_FAULT_NO_HEARTBEAT))
                eio_enqueue(s, e->pong);
            return 0;
        }
        if (p->type == EIO_PONG)
            return 0;
    }
    switch (p->type) {
    case EIO_MESSAGE:
        if (e->faults.tap)
            e->faults.tap(e->faults.tap_ctx, s, false, p->data, p->len, p->binary);
        if (e->h.on_message)
            e->h.on_message(e->h.ctx, s, p->data, p->len, p->binary);
        return 0;
    case EIO_PONG:
        /* A pong that answers no ping changes nothing: a flood of them costs
         * no timers. */
        if (s->pong_by) {
            s->pong_by = 0;
            s->ping_at = now + e->opt.ping_interval;
            eio_timers_changed(s);
        }
        return 0;
    case EIO_PING: /* v4: the server pings, never the client */
        eio_close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
        return -1;
    case EIO_CLOSE:
        eio_close_session(s, EIO_CLOSE_TRANSPORT_CLOSE, false);
        return 0;
    case EIO_OPEN:
    case EIO_UPGRADE:
    case EIO_NOOP:
        return 0;
    }
    return 0;
}

void eio_conn_closed(eio_conn *c)
{
    eio_session *s = c->session;
    if (!s)
        return;
    eio_conn_role role = c->role;
    eio_conn_detach(c);
    switch (role) {
    case EIO_CONN_GET: /* an aborted poll ends the session */
    case EIO_CONN_WS:
        /* A session already closing keeps the reason it is closing for. */
        eio_close_session(s, s->state == S_CLOSING ? (eio_close_reason)s->close_reason
                         : role == EIO_CONN_GET ? EIO_CLOSE_TRANSPORT_ERROR
                                                : EIO_CLOSE_TRANSPORT_CLOSE,
                      true);
        break;
    case EIO_CONN_PROBE:
        s->eng->metrics.upgrade_failures++;
        s->upgrading = false;
        s->upgrade_by = 0;
        if (s->state != S_CLOSED)
            eio_timers_changed(s);
        eio_wake_writer(s);
        break;
    case EIO_CONN_POST: /* a POST cut short: its packets never arrived */
    default:
        break;
    }
}

/* --- faults (eio_faults.h) ------------------------------------------------ */

void eio_session_abort(eio_session *s)
{
    eio_conn *conns[] = {s->get, s->post, s->ws, s->probe};
    for (size_t i = 0; i < 4; i++) {
        if (!conns[i])
            continue;
        eio_conn_detach(conns[i]);
        eio_transport_ops *o = &s->eng->ops;
        (o->abort_conn ? o->abort_conn : o->close_conn)(o->ctx, conns[i]);
    }
    eio_close_session(s, EIO_CLOSE_TRANSPORT_CLOSE, false);
}
