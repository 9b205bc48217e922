/* WebSocket: the upgrade from polling (the probe, "2probe" / "3probe",
 * then "5"), and the frames of a session on WebSocket. */
#include "eio/eio_engine_impl.h"

#include <string.h>

#include "eio/eio_codec.h"

eio_error eio_session_ws_probe(eio_session *s, eio_conn *c, int64_t now)
{
    eio_engine *e = s->eng;
    e->now = now;
    if (s->state != S_OPEN || s->transport != EIO_POLLING || s->probe || !e->opt.allow_upgrades ||
        (eio_session_faults(s) & EIO_FAULT_REFUSE_UPGRADE))
        return EIO_ERR_BAD_REQUEST;
    eio_conn_attach(s, &s->probe, c, EIO_CONN_PROBE);
    s->upgrade_by = now + e->opt.upgrade_timeout;
    eio_timers_changed(s);
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
        eio_conn_attach(s, &s->ws, c, EIO_CONN_WS);
        s->transport = EIO_WEBSOCKET;
        s->upgrading = false;
        s->upgrade_by = 0;
        eio_timers_changed(s);
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
    eio_timers_changed(s);
    eio_drop_ws(s, c);
    eio_wake_writer(s);
    return -1;
}

int eio_conn_ws_recv(eio_conn *c, const unsigned char *p, size_t n, bool binary, int64_t now)
{
    eio_session *s = c->session;
    if (!s)
        return -1;
    s->eng->now = now;
    /* The message's payload, as received (inflated when it came deflated):
     * the probe's "2probe" and "5" too, and a v3 binary type byte. */
    s->eng->metrics.bytes_received += n;
    eio_packet pkt;
    if (binary && s->protocol == 3) {
        /* v3 binary frames carry the packet type byte first */
        if (n < 1 || p[0] != EIO_MESSAGE) {
            eio_close_session(s, EIO_CLOSE_PARSE_ERROR, true);
            return -1;
        }
        pkt = (eio_packet){EIO_MESSAGE, true, p + 1, n - 1};
    } else if (binary) {
        pkt = (eio_packet){EIO_MESSAGE, true, p, n};
    } else if (eio_decode_text(p, n, &pkt) != EIO_CODEC_OK) {
        if (c->role == EIO_CONN_PROBE) {
            eio_drop_ws(s, c);
            return -1;
        }
        eio_close_session(s, EIO_CLOSE_PARSE_ERROR, true);
        return -1;
    }
    if (c->role == EIO_CONN_PROBE)
        return on_probe_frame(s, c, &pkt);
    eio_on_packet(s, &pkt, now);
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
        s->eng->metrics.bytes_sent += s->eng->probe_pong->len;
        return sio_msg_ref(s->eng->probe_pong);
    }
    if (c->role != EIO_CONN_WS || s->transport != EIO_WEBSOCKET)
        return NULL;
    sio_msg *m = eio_dequeue(s);
    /* The message's payload as the binding writes it: a v3 binary message
     * with its type byte first (before any permessage-deflate). */
    s->eng->metrics.bytes_sent += m ? m->len + (m->binary && s->protocol == 3) : 0;
    if (!m) {
        if (s->state == S_CLOSING)
            eio_close_session(s, s->close_reason, true);
        else if (s->eng->h.on_drain)
            s->eng->h.on_drain(s->eng->h.ctx, s);
    }
    return m;
}
