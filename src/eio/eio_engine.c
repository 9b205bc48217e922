/* The engine: its table of sessions and shared packets, the admission of
 * requests, the timers of every session, and the reaping of closed ones. */
#include "eio/eio_engine_impl.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"
#include "util/timer_heap.h"

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

void eio_engine_free(eio_engine *e)
{
    if (!e)
        return;
    timer_heap_free(&e->timers); /* first: it lets go of the sessions' timers */
    const strmap_slot *slot;
    for (size_t i = 0; strmap_next(&e->sids, &i, &slot);)
        eio_session_free(slot->val);
    strmap_free(&e->sids);
    for (eio_session *s = e->reap, *next; s; s = next) {
        next = s->reap_next;
        eio_session_free(s);
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

/* --- closing ------------------------------------------------------------- */

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
        eio_session_free(s);
    }
}

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
        eio_graceful_close(all[i], EIO_CLOSE_SERVER_SHUTDOWN);
    free(all);
}

void eio_engine_shutdown(eio_engine *e)
{
    const strmap_slot *slot;
    size_t i = 0;
    /* close_session removes the session from the map: restart each time. */
    while (i = 0, strmap_next(&e->sids, &i, &slot))
        eio_close_session(slot->val, EIO_CLOSE_SERVER_SHUTDOWN, true);
    eio_engine_reap(e);
}

size_t eio_engine_queued_bytes(const eio_engine *e) { return e->qbytes; }
eio_metrics *eio_engine_metrics(eio_engine *e) { return &e->metrics; }

/* --- timers -------------------------------------------------------------- */

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
            eio_close_session(s, s->close_reason, true);
            continue;
        }
        if (s->pong_by && s->pong_by <= now) {
            eio_close_session(s, EIO_CLOSE_PING_TIMEOUT, true);
            continue;
        }
        if (s->upgrade_by && s->upgrade_by <= now) {
            s->upgrade_by = 0;
            s->upgrading = false;
            if (s->probe)
                eio_drop_ws(s, s->probe);
            eio_wake_writer(s);
        }
        for (sio_msg *m; s->state == S_OPEN && (m = eio_fx_take(s->fx, now, false)); sio_msg_unref(m))
            eio_enqueue_msg(s, m, true); /* a delay is over */
        if (s->ping_at && s->ping_at <= now && (eio_session_faults(s) & EIO_FAULT_NO_HEARTBEAT)) {
            s->ping_at = now + e->opt.ping_interval; /* no ping, and so no pong awaited */
        } else if (s->ping_at && s->ping_at <= now) {
            s->ping_at = 0;
            s->pong_by = now + e->opt.ping_timeout;
            eio_timers_changed(s);
            if (eio_enqueue(s, e->ping) != EIO_SEND_OK)
                continue;
        }
        eio_timers_changed(s);
    }
}
