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
static void timers_changed(eio_session *s)
{
    if (s->timer.idx != SIO_TIMER_IDLE)
        timer_heap_arm(&s->eng->timers, &s->timer, next_deadline(s));
}

/* --- engine -------------------------------------------------------------- */

eio_engine *eio_engine_new(const eio_options *opt, const eio_transport_ops *ops,
                           const eio_handler *h)
{
    eio_engine *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (opt)
        e->opt = *opt;
    else
        eio_options_defaults(&e->opt);
    e->ops = *ops;
    if (h)
        e->h = *h;
    strmap_init(&e->sids);
    timer_heap_init(&e->timers);
    e->ping = sio_msg_new('2', NULL, 0, false);
    e->pong = sio_msg_new('3', NULL, 0, false);
    e->noop = sio_msg_new('6', NULL, 0, false);
    e->close = sio_msg_new('1', NULL, 0, false);
    e->probe_pong = sio_msg_new('3', "probe", 5, false);
    if (!e->ping || !e->pong || !e->noop || !e->close || !e->probe_pong) {
        eio_engine_free(e);
        return NULL;
    }
    return e;
}

static void session_free(eio_session *s)
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

void eio_engine_free(eio_engine *e)
{
    if (!e)
        return;
    timer_heap_free(&e->timers); /* first: it lets go of the sessions' timers */
    const strmap_slot *slot;
    for (size_t i = 0; strmap_next(&e->sids, &i, &slot);)
        session_free(slot->val);
    strmap_free(&e->sids);
    for (eio_session *s = e->reap, *next; s; s = next) {
        next = s->reap_next;
        session_free(s);
    }
    sio_msg_unref(e->ping);
    sio_msg_unref(e->pong);
    sio_msg_unref(e->noop);
    sio_msg_unref(e->close);
    sio_msg_unref(e->probe_pong);
    free(e);
}

const eio_options *eio_engine_options(const eio_engine *e) { return &e->opt; }

void eio_engine_set_handler(eio_engine *e, const eio_handler *h) { e->h = *h; }

size_t eio_engine_session_count(const eio_engine *e) { return e->sids.count; }

int64_t eio_engine_next_deadline(const eio_engine *e)
{
    return timer_heap_next(&e->timers);
}

eio_error eio_engine_verify(eio_engine *e, const eio_request *r, eio_session **out)
{
    *out = NULL;
    const char *t = r->transport;
    bool polling = t && strcmp(t, "polling") == 0 && e->opt.allow_polling;
    bool websocket = t && strcmp(t, "websocket") == 0 && e->opt.allow_websocket;
    if (!polling && !websocket)
        return EIO_ERR_UNKNOWN_TRANSPORT;
    if (r->sid) {
        eio_session *s = strmap_get(&e->sids, r->sid, strlen(r->sid));
        if (!s)
            return EIO_ERR_UNKNOWN_SID;
        /* A polling request must match the session's transport. An upgrade
         * is judged by eio_session_ws_probe once its WebSocket is open: as
         * Node does, one the session cannot take (it upgraded already, or is
         * upgrading) completes its handshake and is then closed. */
        if (!r->ws_upgrade && (s->transport != EIO_POLLING || !polling))
            return EIO_ERR_BAD_REQUEST;
        *out = s;
        return EIO_ERR_NONE;
    }
    if (r->method != EIO_METHOD_GET)
        return EIO_ERR_BAD_HANDSHAKE_METHOD;
    if (websocket != r->ws_upgrade || (websocket && (e->faults.faults & EIO_FAULT_REFUSE_UPGRADE)))
        return EIO_ERR_BAD_REQUEST;
    if (!r->eio || !(strcmp(r->eio, "4") == 0 || (strcmp(r->eio, "3") == 0 && e->opt.allow_eio3)))
        return EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION;
    return EIO_ERR_NONE;
}

/* --- connections --------------------------------------------------------- */

static void attach(eio_session *s, eio_conn **slot, eio_conn *c, eio_conn_role role)
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

static void detach(eio_conn *c)
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
static void drop_ws(eio_session *s, eio_conn *c)
{
    s->eng->metrics.upgrade_failures += c->role == EIO_CONN_PROBE;
    detach(c);
    s->eng->ops.close_conn(s->eng->ops.ctx, c);
}

/* --- closing ------------------------------------------------------------- */

/* Ends the session now: it leaves the sid table and the timers, its
 * WebSockets are closed, a held GET gets its last answer, and the layer above
 * hears of it once. The memory goes at the next reap. */
static void close_session(eio_session *s, eio_close_reason reason, bool answer_get_with_close)
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
        drop_ws(s, s->ws);
    if (s->probe)
        drop_ws(s, s->probe);
    if (s->post)
        detach(s->post);
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

void eio_engine_deliver_closes(eio_engine *e)
{
    /* on_close may close more sessions: they join the end of the list. */
    while (e->notify_head) {
        eio_session *s = e->notify_head;
        e->notify_head = s->notify_next;
        if (!e->notify_head)
            e->notify_tail = NULL;
        if (e->h.on_close)
            e->h.on_close(e->h.ctx, s, (eio_close_reason)s->close_reason);
    }
}

void eio_engine_reap(eio_engine *e)
{
    eio_engine_deliver_closes(e);
    eio_session **pp = &e->reap;
    while (*pp) {
        eio_session *s = *pp;
        if (s->get) { /* still owes its held GET an answer */
            pp = &s->reap_next;
            continue;
        }
        *pp = s->reap_next;
        session_free(s);
    }
}

/* --- the send queue ------------------------------------------------------ */

static bool can_write_now(const eio_session *s)
{
    if (s->transport == EIO_WEBSOCKET)
        return s->ws && s->qlen == 0;
    return s->get && !s->upgrading && s->qlen == 0;
}

static void wake_writer(eio_session *s)
{
    eio_engine *e = s->eng;
    if (s->transport == EIO_WEBSOCKET) {
        if (s->ws)
            e->ops.want_write(e->ops.ctx, s->ws);
    } else if (s->get && !s->upgrading) {
        e->ops.want_write(e->ops.ctx, s->get);
    }
}

/* Queues m. `over_limit_ok` lets the open packet in whatever the limit, so
 * that a handshake never hands over a session that is already closed. */
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

static int enqueue_msg(eio_session *s, sio_msg *m, bool over_limit_ok)
{
    eio_engine *e = s->eng;
    if (!over_limit_ok && (e->faults.faults || s->fx) && eio_fx_hold(s, &e->faults, m, e->now)) {
        timers_changed(s);
        return EIO_SEND_OK;
    }
    size_t cost = msg_cost(m);
    if (!over_limit_ok && (s->qbytes + cost > e->opt.max_queue_bytes || over_budget(e, s, cost))) {
        close_session(s, EIO_CLOSE_QUEUE_FULL, true);
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
        wake_writer(s);
    return EIO_SEND_OK;
}

static int enqueue(eio_session *s, sio_msg *m) { return enqueue_msg(s, m, false); }

static sio_msg *dequeue(eio_session *s)
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
    return enqueue(s, m);
}

int eio_session_send_volatile(eio_session *s, sio_msg *m)
{
    if (s->state != S_OPEN)
        return EIO_SEND_CLOSED;
    if (!can_write_now(s))
        return EIO_SEND_DROPPED;
    return enqueue(s, m);
}

static void graceful_close(eio_session *s, eio_close_reason reason)
{
    if (s->state != S_OPEN)
        return;
    s->state = S_CLOSING;
    s->close_reason = (uint8_t)reason;
    s->close_by = s->eng->now + s->eng->opt.ping_timeout;
    s->ping_at = s->pong_by = 0;
    timers_changed(s);
    if (s->transport == EIO_POLLING) {
        /* The close packet follows what is queued; the poll that carries it
         * ends the session. */
        if (enqueue(s, s->eng->close) != EIO_SEND_OK)
            return;
        wake_writer(s);
    } else if (s->qlen == 0) {
        close_session(s, reason, false);
    }
}

void eio_session_close(eio_session *s) { graceful_close(s, EIO_CLOSE_FORCED); }

void eio_session_fail(eio_session *s) { close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true); }

void eio_engine_close_all(eio_engine *e)
{
    const strmap_slot *slot;
    /* Closing removes from the map: collect first. */
    size_t n = e->sids.count, k = 0;
    eio_session **all = malloc((n ? n : 1) * sizeof(*all));
    if (!all)
        return;
    for (size_t i = 0; strmap_next(&e->sids, &i, &slot);)
        all[k++] = slot->val;
    for (size_t i = 0; i < k; i++)
        graceful_close(all[i], EIO_CLOSE_SERVER_SHUTDOWN);
    free(all);
}

void eio_engine_shutdown(eio_engine *e)
{
    const strmap_slot *slot;
    size_t i = 0;
    /* close_session removes the session from the map: restart each time. */
    while (i = 0, strmap_next(&e->sids, &i, &slot))
        close_session(slot->val, EIO_CLOSE_SERVER_SHUTDOWN, true);
    eio_engine_reap(e);
}

bool eio_session_is_open(const eio_session *s) { return s->state == S_OPEN; }
const char *eio_session_sid(const eio_session *s) { return s->sid; }
eio_transport_kind eio_session_transport(const eio_session *s) { return s->transport; }
int eio_session_protocol(const eio_session *s) { return s->protocol; }
const char *eio_session_query(const eio_session *s) { return s->query ? s->query : ""; }
sio_request *eio_session_request(const eio_session *s) { return s->req; }
void eio_session_set_user(eio_session *s, void *user) { s->user = user; }
void *eio_session_user(const eio_session *s) { return s->user; }
size_t eio_session_queued_bytes(const eio_session *s) { return s->qbytes; }
size_t eio_engine_queued_bytes(const eio_engine *e) { return e->qbytes; }
eio_metrics *eio_engine_metrics(eio_engine *e) { return &e->metrics; }

/* --- handshake and timers ------------------------------------------------ */

eio_session *eio_engine_handshake(eio_engine *e, eio_transport_kind t, eio_conn *c, int64_t now)
{
    return eio_engine_handshake_version(e, t, 4, false, NULL, NULL, c, now);
}

/* v3 liveness: any packet from the client pushes the deadline. */
static void v3_alive(eio_session *s, int64_t now)
{
    s->pong_by = now + s->eng->opt.ping_interval + s->eng->opt.ping_timeout;
    timers_changed(s);
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
    attach(s, t == EIO_POLLING ? &s->get : &s->ws, c, t == EIO_POLLING ? EIO_CONN_GET : EIO_CONN_WS);
    enqueue_msg(s, m, true);
    sio_msg_unref(m);
    e->metrics.open[t][s->protocol - 3]++, e->metrics.opened[t][s->protocol - 3]++;
    if (e->h.on_open)
        e->h.on_open(e->h.ctx, s);
    return s;
}

void eio_engine_tick(eio_engine *e, int64_t now)
{
    e->now = now;
    /* Each due session takes a few steps at most (a ping, then its pong
     * deadline, a close). The bound turns a deadline that fails to move (a
     * bug) into a wrong result the tests see, not a loop that never ends. */
    size_t steps = 4 * e->timers.len + 4;
    while (timer_heap_next(&e->timers) <= now && steps-- > 0) {
        eio_session *s = (eio_session *)((char *)e->timers.h[0] - offsetof(eio_session, timer));
        if (s->close_by && s->close_by <= now) {
            close_session(s, s->close_reason, true);
            continue;
        }
        if (s->pong_by && s->pong_by <= now) {
            close_session(s, EIO_CLOSE_PING_TIMEOUT, true);
            continue;
        }
        if (s->upgrade_by && s->upgrade_by <= now) {
            s->upgrade_by = 0;
            s->upgrading = false;
            if (s->probe)
                drop_ws(s, s->probe);
            wake_writer(s);
        }
        for (sio_msg *m; s->state == S_OPEN && (m = eio_fx_take(s->fx, now, false)); sio_msg_unref(m))
            enqueue_msg(s, m, true); /* a delay is over */
        if (s->ping_at && s->ping_at <= now && (eio_session_faults(s) & EIO_FAULT_NO_HEARTBEAT)) {
            s->ping_at = now + e->opt.ping_interval; /* no ping, and so no pong awaited */
        } else if (s->ping_at && s->ping_at <= now) {
            s->ping_at = 0;
            s->pong_by = now + e->opt.ping_timeout;
            timers_changed(s);
            if (enqueue(s, e->ping) != EIO_SEND_OK)
                continue;
        }
        timers_changed(s);
    }
}

/* --- incoming packets ---------------------------------------------------- */

/* Acts on one packet from the session's current transport. Returns 0, or -1
 * when the packet was a protocol error (the session is then closed). */
static int on_packet(eio_session *s, const eio_packet *p, int64_t now)
{
    eio_engine *e = s->eng;
    if (s->state != S_OPEN)
        return 0; /* closing: what the client still sends is moot */
    if (p->binary && p->type != EIO_MESSAGE) { /* only messages carry binary */
        close_session(s, EIO_CLOSE_PARSE_ERROR, true);
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
                enqueue(s, e->pong);
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
            timers_changed(s);
        }
        return 0;
    case EIO_PING: /* v4: the server pings, never the client */
        close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
        return -1;
    case EIO_CLOSE:
        close_session(s, EIO_CLOSE_TRANSPORT_CLOSE, false);
        return 0;
    case EIO_OPEN:
    case EIO_UPGRADE:
    case EIO_NOOP:
        return 0;
    }
    return 0;
}

eio_error eio_session_poll_get(eio_session *s, eio_conn *c, int64_t now)
{
    eio_engine *e = s->eng;
    e->now = now;
    if (s->get) {
        close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
        return EIO_ERR_BAD_REQUEST;
    }
    attach(s, &s->get, c, EIO_CONN_GET);
    if (eio_session_faults(s) & EIO_FAULT_CLOSE_POLLS) {
        eio_session_abort(s);
        return EIO_ERR_NONE;
    }
    if (s->upgrading || s->qlen)
        e->ops.want_write(e->ops.ctx, c);
    return EIO_ERR_NONE;
}

/* Whether the next poll's batch holds a binary message (v3 then uses the
 * binary framing unless the client asked for base64). */
static bool batch_has_binary(const eio_session *s)
{
    for (uint32_t i = 0; i < s->qlen && i < s->eng->opt.max_poll_packets; i++)
        if (s->q[(s->qhead + i) % s->qcap]->binary)
            return true;
    return false;
}

static int append_payload(const eio_session *s, sio_buf *out, const sio_msg *m, bool binary_framing)
{
    if (s->protocol == 4)
        return eio_payload_append(out, m);
    return binary_framing ? eio_payload3_append_binary(out, m) : eio_payload3_append_text(out, m);
}

int eio_conn_take_payload(eio_conn *c, sio_buf *out)
{
    eio_session *s = c->session;
    if (!s || c->role != EIO_CONN_GET || (eio_session_faults(s) & EIO_FAULT_STALL_POLLS))
        return -1;
    bool ends_session = false;
    c->compress = true; /* the engine's own packets may be */
    if (s->state == S_CLOSED) {
        if (!s->final_close && !s->final_noop)
            return -1;
        if (append_payload(s, out, s->final_close ? s->eng->close : s->eng->noop, false))
            return -1;
        s->final_close = s->final_noop = false;
    } else if (s->upgrading || s->transport != EIO_POLLING) {
        /* The client must let go of polling before it sends "5"; a poll
         * still held after it gets a last noop. */
        if (append_payload(s, out, s->eng->noop, false))
            return -1;
    } else {
        if (!s->qlen)
            return -1;
        bool binary_framing = s->protocol == 3 && !s->b64 && batch_has_binary(s);
        c->compress = false;
        for (unsigned n = 0; s->qlen && n < s->eng->opt.max_poll_packets; n++) {
            sio_msg *m = s->q[s->qhead];
            /* The close packet travels in a poll of its own, after what was
             * queued before it, as Node's polling transport sends it once
             * the buffer has drained: a client acts on a close before the
             * packets beside it (a DISCONNECT would read "transport close"). */
            if (m == s->eng->close && n > 0)
                break;
            if (append_payload(s, out, m, binary_framing)) {
                /* Out of memory, or text that cannot be framed: the session
                 * ends (its poll gets the close packet) rather than losing
                 * what was already taken off the queue. */
                sio_buf_reset(out);
                close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
                return -1;
            }
            ends_session = m == s->eng->close;
            c->compress = c->compress || !m->uncompressed;
            sio_msg_unref(dequeue(s));
            if (ends_session)
                break;
        }
    }
    s->eng->metrics.bytes_sent += out->len;
    detach(c);
    if (ends_session)
        close_session(s, s->close_reason, true);
    else if (s->state == S_OPEN && s->qlen == 0 && s->eng->h.on_drain)
        s->eng->h.on_drain(s->eng->h.ctx, s);
    return 0;
}

eio_error eio_session_poll_post_begin(eio_session *s, eio_conn *c)
{
    if (s->post) {
        close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
        return EIO_ERR_BAD_REQUEST;
    }
    attach(s, &s->post, c, EIO_CONN_POST);
    return EIO_ERR_NONE;
}

eio_error eio_session_poll_post(eio_conn *c, const unsigned char *p, size_t n, int64_t now)
{
    eio_session *s = c->session;
    detach(c);
    if (!s || s->state == S_CLOSED)
        return EIO_ERR_BAD_REQUEST;
    s->eng->now = now;
    s->eng->metrics.bytes_received += n;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    eio_error result = EIO_ERR_NONE;
    eio_packet pkt;
    int rc;
    bool v3 = s->protocol == 3, v3_binary = v3 && n > 0 && p[0] <= 1;
    for (size_t pos = 0;;) {
        rc = !v3        ? eio_payload_next(p, n, &pos, &scratch, &pkt)
             : v3_binary ? eio_payload3_next_binary(p, n, &pos, &pkt)
                         : eio_payload3_next(p, n, &pos, &scratch, &pkt);
        if (rc != 1)
            break;
        if (on_packet(s, &pkt, now)) {
            result = EIO_ERR_BAD_REQUEST;
            break;
        }
    }
    if (rc < 0) {
        close_session(s, EIO_CLOSE_PARSE_ERROR, true);
        result = EIO_ERR_BAD_REQUEST;
    }
    sio_buf_free(&scratch);
    return result;
}

eio_error eio_session_ws_probe(eio_session *s, eio_conn *c, int64_t now)
{
    eio_engine *e = s->eng;
    e->now = now;
    if (s->state != S_OPEN || s->transport != EIO_POLLING || s->probe || !e->opt.allow_upgrades ||
        (eio_session_faults(s) & EIO_FAULT_REFUSE_UPGRADE))
        return EIO_ERR_BAD_REQUEST;
    attach(s, &s->probe, c, EIO_CONN_PROBE);
    s->upgrade_by = now + e->opt.upgrade_timeout;
    timers_changed(s);
    return EIO_ERR_NONE;
}

/* A message on the probing WebSocket: "2probe", then "5". Anything else
 * abandons the upgrade (the session stays on polling). */
static int on_probe_frame(eio_session *s, eio_conn *c, const eio_packet *p)
{
    eio_engine *e = s->eng;
    if (p->type == EIO_PING && !p->binary && p->len == 5 && memcmp(p->data, "probe", 5) == 0) {
        s->probe_reply = true;
        s->upgrading = true;
        e->ops.want_write(e->ops.ctx, c);
        if (s->get) /* the held poll must end so the client can pause polling */
            e->ops.want_write(e->ops.ctx, s->get);
        return 0;
    }
    if (p->type == EIO_UPGRADE && s->upgrading) {
        e->metrics.upgrades++, e->metrics.open[EIO_POLLING][s->protocol - 3]--;
        e->metrics.open[EIO_WEBSOCKET][s->protocol - 3]++;
        s->probe = NULL;
        attach(s, &s->ws, c, EIO_CONN_WS);
        s->transport = EIO_WEBSOCKET;
        s->upgrading = false;
        s->upgrade_by = 0;
        timers_changed(s);
        if (s->get) /* a poll still held gets a last noop */
            e->ops.want_write(e->ops.ctx, s->get);
        if (s->qlen)
            e->ops.want_write(e->ops.ctx, c);
        if (e->h.on_upgrade)
            e->h.on_upgrade(e->h.ctx, s);
        return 0;
    }
    s->upgrading = false;
    s->upgrade_by = 0;
    timers_changed(s);
    drop_ws(s, c);
    wake_writer(s);
    return -1;
}

int eio_conn_ws_recv(eio_conn *c, const unsigned char *p, size_t n, bool binary, int64_t now)
{
    eio_session *s = c->session;
    if (!s)
        return -1;
    s->eng->now = now;
    s->eng->metrics.bytes_received += n;
    eio_packet pkt;
    if (binary && s->protocol == 3) {
        /* v3 binary frames carry the packet type byte first */
        if (n < 1 || p[0] != EIO_MESSAGE) {
            close_session(s, EIO_CLOSE_PARSE_ERROR, true);
            return -1;
        }
        pkt = (eio_packet){EIO_MESSAGE, true, p + 1, n - 1};
    } else if (binary) {
        pkt = (eio_packet){EIO_MESSAGE, true, p, n};
    } else if (eio_decode_text(p, n, &pkt) != EIO_CODEC_OK) {
        if (c->role == EIO_CONN_PROBE) {
            drop_ws(s, c);
            return -1;
        }
        close_session(s, EIO_CLOSE_PARSE_ERROR, true);
        return -1;
    }
    if (c->role == EIO_CONN_PROBE)
        return on_probe_frame(s, c, &pkt);
    on_packet(s, &pkt, now);
    return c->session ? 0 : -1;
}

sio_msg *eio_conn_next_frame(eio_conn *c)
{
    eio_session *s = c->session;
    if (!s)
        return NULL;
    if (c->role == EIO_CONN_PROBE) {
        if (!s->probe_reply)
            return NULL;
        s->probe_reply = false;
        return sio_msg_ref(s->eng->probe_pong);
    }
    if (c->role != EIO_CONN_WS || s->transport != EIO_WEBSOCKET)
        return NULL;
    sio_msg *m = dequeue(s);
    s->eng->metrics.bytes_sent += m ? m->len : 0;
    if (!m) {
        if (s->state == S_CLOSING)
            close_session(s, s->close_reason, true);
        else if (s->eng->h.on_drain)
            s->eng->h.on_drain(s->eng->h.ctx, s);
    }
    return m;
}

void eio_conn_closed(eio_conn *c)
{
    eio_session *s = c->session;
    if (!s)
        return;
    eio_conn_role role = c->role;
    detach(c);
    switch (role) {
    case EIO_CONN_GET: /* an aborted poll ends the session */
    case EIO_CONN_WS:
        /* A session already closing keeps the reason it is closing for. */
        close_session(s, s->state == S_CLOSING ? (eio_close_reason)s->close_reason
                         : role == EIO_CONN_GET ? EIO_CLOSE_TRANSPORT_ERROR
                                                : EIO_CLOSE_TRANSPORT_CLOSE,
                      true);
        break;
    case EIO_CONN_PROBE:
        s->eng->metrics.upgrade_failures++;
        s->upgrading = false;
        s->upgrade_by = 0;
        if (s->state != S_CLOSED)
            timers_changed(s);
        wake_writer(s);
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
        detach(conns[i]);
        eio_transport_ops *o = &s->eng->ops;
        (o->abort_conn ? o->abort_conn : o->close_conn)(o->ctx, conns[i]);
    }
    close_session(s, EIO_CLOSE_TRANSPORT_CLOSE, false);
}
