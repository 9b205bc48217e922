/* Keep-alive HTTP connections waiting for their next request, timed here
 * instead of by lws.
 *
 * lws 4.1 keeps every connection's timeout in one list sorted by deadline,
 * and inserts by walking that list from its earliest entry. The keep-alive
 * timeout it sets when a response is complete is the latest of all, so each
 * insertion walked past every idle connection: with thousands of polling
 * clients (each has one connection idle between its POSTs) that walk was
 * most of the server's work per request. Here the idle connections are a
 * list in the order they went idle, which with one duration for all is
 * also the order of their deadlines: O(1) to add, remove and expire.
 *
 * The rule is lws's: a connection that sends nothing for keep_alive_secs
 * after its response is closed. A next request that has begun but whose
 * head is not complete by then gets lws's time for a request head (its
 * header-table timeout, 10 s) from that moment on. */
#include "transport/lws_internal.h"

#include "transport/tcp_segs.h"

static int64_t keep_alive_ms(const sio_transport *t) { return (int64_t)t->cfg.keep_alive_secs * 1000; }

/* A change in the data segments received while idle is the start of a
 * next request (counted by the kernel, exactly; the time of the last bytes
 * received it gives only in whole jiffies). */
static uint32_t data_segs_in(struct lws *wsi) { return tcp_data_segs_in(lws_get_socket_fd(wsi)); }

static void on_idle_expiry(lws_sorted_usec_list_t *sul)
{
    sio_transport *t = lws_container_of(sul, sio_transport, idle_sweep);
    int64_t now = transport_now_ms(), limit = keep_alive_ms(t);
    pss *p;
    while ((p = t->idle_head) && p->idle_since + limit <= now) {
        transport_idle_end(p);
        if (data_segs_in(p->wsi) != p->idle_segs)
            lws_set_timeout(p->wsi, PENDING_TIMEOUT_HOLDING_AH, AH_IDLE_SECS);
        else
            lws_set_timeout(p->wsi, PENDING_TIMEOUT_HTTP_KEEPALIVE_IDLE, LWS_TO_KILL_ASYNC);
    }
    if (t->idle_head)
        lws_sul_schedule(t->ctx, 0, &t->idle_sweep, on_idle_expiry,
                         (t->idle_head->idle_since + limit - now) * LWS_US_PER_MS);
}

void transport_idle_begin(pss *p)
{
    sio_transport *t = p->t;
    if (p->idle || !t->cfg.keep_alive_secs)
        return;
    /* lws has just set its keep-alive timeout: taken out again at once (a
     * removal costs nothing), so its list holds only requests in progress. */
    lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
    p->idle = true;
    p->idle_since = transport_now_ms();
    p->idle_segs = data_segs_in(p->wsi);
    p->idle_next = NULL;
    p->idle_prev = t->idle_tail;
    if (t->idle_tail)
        t->idle_tail->idle_next = p;
    else {
        t->idle_head = p;
        lws_sul_schedule(t->ctx, 0, &t->idle_sweep, on_idle_expiry, keep_alive_ms(t) * LWS_US_PER_MS);
        /* lws's libuv timer takes a new earliest deadline only at its next
         * wakeup (transport_settle): make one. */
        lws_cancel_service(t->ctx);
    }
    t->idle_tail = p;
}

void transport_idle_end(pss *p)
{
    if (!p || !p->idle)
        return;
    sio_transport *t = p->t;
    if (p->idle_prev)
        p->idle_prev->idle_next = p->idle_next;
    else
        t->idle_head = p->idle_next;
    if (p->idle_next)
        p->idle_next->idle_prev = p->idle_prev;
    else
        t->idle_tail = p->idle_prev;
    p->idle = false;
    p->idle_prev = p->idle_next = NULL;
    if (!t->idle_head)
        lws_sul_cancel(&t->idle_sweep);
}
