/* Fault injection and the packet tap (eio_faults.h): the faults' state and
 * the delay's list of held messages. The engine calls in at the few places
 * a fault changes what it does. */
#include "eio/eio_faults.h"

#include <stdlib.h>
#include <string.h>

#include "eio/eio_engine_impl.h"

void eio_engine_set_faults(eio_engine *e, unsigned faults, unsigned delay_ms)
{
    eio_fault_cfg *c = eio_engine_fault_cfg(e);
    c->faults = faults & EIO_FAULTS_ALL;
    c->delay_ms = (c->faults & EIO_FAULT_DELAY) ? delay_ms : 0;
}

int eio_session_set_faults(eio_session *s, unsigned faults, unsigned delay_ms)
{
    eio_fx **fx = eio_session_fx(s);
    if (!*fx) {
        if (!faults)
            return 0;
        if (!(*fx = calloc(1, sizeof(**fx))))
            return -1;
    }
    (*fx)->faults = faults & EIO_FAULTS_ALL;
    (*fx)->delay_ms = ((*fx)->faults & EIO_FAULT_DELAY) ? delay_ms : 0;
    return 0;
}

void eio_engine_set_tap(eio_engine *e, eio_tap_fn tap, void *ctx, int64_t (*clock)(void))
{
    eio_fault_cfg *c = eio_engine_fault_cfg(e);
    c->tap = tap;
    c->tap_ctx = ctx;
    c->clock = clock;
}

/* The delay in force for the session: its own when it has one, else every
 * session's. */
static unsigned delay_of(eio_fx *fx, const eio_fault_cfg *c)
{
    if (fx && (fx->faults & EIO_FAULT_DELAY))
        return fx->delay_ms;
    return (c->faults & EIO_FAULT_DELAY) ? c->delay_ms : 0;
}

bool eio_fx_hold(eio_session *s, const eio_fault_cfg *c, sio_msg *m, int64_t now)
{
    eio_fx **fx = eio_session_fx(s);
    bool delayed = (eio_session_faults(s) & EIO_FAULT_DELAY) != 0;
    if (!delayed && !(*fx && (*fx)->head))
        return false;
    /* Messages only: the heartbeat and the upgrade's packets keep their
     * time, or a delay longer than pingTimeout would end every session. */
    if (!m->binary && !(m->len && m->data[0] == '4'))
        return false;
    if (!*fx && !(*fx = calloc(1, sizeof(**fx))))
        return false; /* out of memory: sent now rather than lost */
    eio_held *h = malloc(sizeof(*h));
    if (!h)
        return false;
    if (c->clock)
        now = c->clock();
    h->m = sio_msg_ref(m);
    h->due = now + (delayed ? delay_of(*fx, c) : 0);
    /* Messages leave in the order they came, whatever delay each got. */
    if ((*fx)->tail && h->due < (*fx)->tail->due)
        h->due = (*fx)->tail->due;
    if (h->due <= 0)
        h->due = 1; /* 0 means "no deadline" to the engine's timers */
    h->next = NULL;
    if ((*fx)->tail)
        (*fx)->tail->next = h;
    else
        (*fx)->head = h;
    (*fx)->tail = h;
    return true;
}

sio_msg *eio_fx_take(eio_fx *fx, int64_t now, bool all)
{
    eio_held *h = fx ? fx->head : NULL;
    if (!h || (!all && h->due > now))
        return NULL;
    fx->head = h->next;
    if (!fx->head)
        fx->tail = NULL;
    sio_msg *m = h->m;
    free(h);
    return m;
}

void eio_fx_free(eio_fx *fx)
{
    if (!fx)
        return;
    for (sio_msg *m; (m = eio_fx_take(fx, 0, true));)
        sio_msg_unref(m);
    free(fx);
}

eio_fault_cfg *eio_engine_fault_cfg(eio_engine *e) { return &e->faults; }
eio_fx **eio_session_fx(eio_session *s) { return &s->fx; }
unsigned eio_session_faults(const eio_session *s) { return s->eng->faults.faults | (s->fx ? s->fx->faults : 0); }

eio_session *eio_engine_find_session(eio_engine *e, const char *sid)
{
    return strmap_get(&e->sids, sid, strlen(sid));
}

eio_session *eio_engine_any_session(eio_engine *e)
{
    const strmap_slot *slot;
    size_t i = 0;
    return strmap_next(&e->sids, &i, &slot) ? slot->val : NULL;
}
