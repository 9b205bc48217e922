/* HTTP long-polling: the held GET that takes a batch of queued packets,
 * and the POST that brings the client's. */
#include "eio/eio_engine_impl.h"

#include "eio/eio_codec.h"
#include "eio/eio_jsonp.h"

eio_error eio_session_poll_get(eio_session *s, eio_conn *c, int64_t now)
{
    eio_engine *e = s->eng;
    e->now = now;
    if (s->get) {
        eio_close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
        return EIO_ERR_BAD_REQUEST;
    }
    eio_conn_attach(s, &s->get, c, EIO_CONN_GET);
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

/* A JSONP poll's answer is a script that hands the payload to the client's
 * callback (eio_jsonp.h): it replaces the payload in `out`. 0, or -1 when
 * out of memory. */
static int wrap_jsonp(const eio_conn *c, sio_buf *out)
{
    if (!c->jsonp)
        return 0;
    sio_buf script;
    sio_buf_init(&script, 0);
    int rc = eio_jsonp_wrap(&script, c->jsonp_index, out->data, out->len);
    sio_buf_reset(out);
    rc = rc || sio_buf_append(out, script.data, script.len);
    sio_buf_free(&script);
    return rc;
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
                eio_close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
                return -1;
            }
            ends_session = m == s->eng->close;
            c->compress = c->compress || !m->uncompressed;
            sio_msg_unref(eio_dequeue(s));
            if (ends_session)
                break;
        }
    }
    /* Out of memory for the script: the poll gets an empty answer, and the
     * session (its packets already taken) ends. */
    bool no_script = wrap_jsonp(c, out) != 0;
    if (no_script)
        sio_buf_reset(out);
    /* What the response body carries, before any HTTP compression. */
    s->eng->metrics.bytes_sent += out->len;
    eio_conn_detach(c);
    if (no_script)
        eio_close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
    else if (ends_session)
        eio_close_session(s, s->close_reason, true);
    else if (s->state == S_OPEN && s->qlen == 0 && s->eng->h.on_drain)
        s->eng->h.on_drain(s->eng->h.ctx, s);
    return 0;
}

eio_error eio_session_poll_post_begin(eio_session *s, eio_conn *c)
{
    if (s->post) {
        eio_close_session(s, EIO_CLOSE_TRANSPORT_ERROR, true);
        return EIO_ERR_BAD_REQUEST;
    }
    eio_conn_attach(s, &s->post, c, EIO_CONN_POST);
    return EIO_ERR_NONE;
}

eio_error eio_session_poll_post(eio_conn *c, const unsigned char *p, size_t n, int64_t now)
{
    eio_session *s = c->session;
    eio_conn_detach(c);
    if (!s || s->state == S_CLOSED)
        return EIO_ERR_BAD_REQUEST;
    s->eng->now = now;
    /* The body as it came, before a JSONP form is unwrapped. */
    s->eng->metrics.bytes_received += n;
    sio_buf scratch, form;
    sio_buf_init(&scratch, 0);
    sio_buf_init(&form, 0);
    if (c->jsonp) { /* the payload is the form field d; an invalid form closes */
        bool ok = eio_jsonp_unwrap(&form, p, n) == 0;
        p = ok ? form.data : NULL;
        n = ok ? form.len : 0;
    }
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
        if (eio_on_packet(s, &pkt, now)) {
            result = EIO_ERR_BAD_REQUEST;
            break;
        }
    }
    if (rc < 0) {
        eio_close_session(s, EIO_CLOSE_PARSE_ERROR, true);
        result = EIO_ERR_BAD_REQUEST;
    }
    sio_buf_free(&scratch);
    sio_buf_free(&form);
    return result;
}
