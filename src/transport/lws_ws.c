/* WebSocket on the binding: admission, the upgrade probe, frames in, and
 * frames out gathered into one send() per connection after each round. */
#include "transport/lws_internal.h"

#include "eio/eio_metrics.h"
#include "util/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- engine requests ------------------------------------------------------ */

/* A WebSocket with new frames is listed, and written after the current
 * round of events (transport_flush_writes, from transport_run or a timer): no
 * writable round trip (another loop wakeup, and POLLOUT switched on and off
 * with an epoll_ctl() each), and a burst leaves in one send(). The rest
 * (HTTP responses, closes, backlogs) waits for a writable callback. */
void transport_want_write(void *ctx, eio_conn *c)
{
    sio_transport *t = ctx;
    pss *p = pss_of(c);
    if (p->kind != K_WS || p->close_requested) {
        lws_callback_on_writable(p->wsi);
        return;
    }
    if (p->in_flush)
        return;
    if (t->n_flush == t->cap_flush) {
        size_t cap = t->cap_flush ? t->cap_flush * 2 : 64;
        pss **l = realloc(t->flush, cap * sizeof(*l));
        if (!l) {
            lws_callback_on_writable(p->wsi);
            return;
        }
        t->flush = l;
        t->cap_flush = cap;
    }
    t->flush[t->n_flush++] = p;
    p->in_flush = true;
}

void transport_unlist_flush(sio_transport *t, pss *p)
{
    for (size_t i = 0; p->in_flush && i < t->n_flush; i++)
        if (t->flush[i] == p)
            t->flush[i] = NULL;
    p->in_flush = false;
}

/* --- WebSocket -------------------------------------------------------------- */

/* Refuses an Engine.IO upgrade request before its handshake, and closes
 * the connection after the answer. As engine.io's abortUpgrade: 400 with
 * the error's message as a text/html body. With WebSocket switched off
 * (`json`), as Node's HTTP server, where engine.io then installs no upgrade
 * handler and the request is answered as any other: the Engine.IO error
 * body, 400 (403 for a refused origin). */
static int refuse_upgrade(pss *p, struct lws *wsi, eio_error e, bool json, const char *path)
{
    unsigned status = json && e == EIO_ERR_FORBIDDEN ? 403 : 400;
    const char *message = p->refusal ? p->refusal : eio_error_message(e);
    eio_metrics_refused(eio_engine_metrics(p->t->eng), e);
    transport_refused(p->t, wsi, status, (int)e, message, path);
    sio_buf body;
    sio_buf_init(&body, 0);
    if (json ? eio_error_body_message(&body, e, message) : sio_buf_puts(&body, message)) {
        sio_buf_free(&body);
        return -1;
    }
    /* Written whole: lws would say HTTP/1.0 this early in the request. */
    unsigned char buf[LWS_PRE + 512];
    char *start = (char *)buf + LWS_PRE;
    size_t cap = sizeof(buf) - LWS_PRE;
    int n = snprintf(start, cap,
                     "HTTP/1.1 %u %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, status == 403 ? "Forbidden" : "Bad Request", json ? "application/json" : "text/html",
                     body.len);
    if (n > 0 && (size_t)n + body.len <= cap) {
        memcpy(start + n, body.data, body.len);
        lws_write(wsi, (unsigned char *)start, (size_t)n + body.len, LWS_WRITE_HTTP);
    }
    sio_buf_free(&body);
    return -1;
}

/* Admission of a WebSocket upgrade. A request Node would refuse before its
 * handshake gets a 400 (431 for headers over the limit); one for a
 * session that cannot take it (upgraded, upgrading, upgrades switched off,
 * or asking for another transport) is accepted and then closed, and the
 * session is left as it was. */
int transport_ws_filter(pss *p, struct lws *wsi)
{
    char path[256];
    if (transport_header_bytes(wsi) > MAX_HEADER_BYTES) {
        transport_refused(p->t, wsi, 431, -1, "Request Header Fields Too Large", "");
        lws_return_http_status(wsi, 431, NULL);
        return -1;
    }
    int path_len = lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI);
    if (path_len <= 0 || !transport_path_matches(path, p->t->cfg.path)) {
        transport_refused(p->t, wsi, 400, -1, "Bad request: a WebSocket outside the Engine.IO path",
                          path_len > 0 ? path : "");
        lws_return_http_status(wsi, 400, NULL);
        return -1;
    }
    query q;
    transport_read_query(wsi, &q, EIO_METHOD_GET, true);
    eio_session *s;
    eio_error e = transport_admit(p, wsi, &q, &s);
    free(p->origin);
    p->origin = NULL;
    if (e != EIO_ERR_NONE)
        return refuse_upgrade(p, wsi, e, !eio_engine_options(p->t->eng)->allow_websocket, path);
    return 0;
}

/* --- permessage-deflate (ws_deflate.h) ---------------------------------------- */

/* The parameters lws may echo back when a client offers them (lws echoes
 * only options without a value): both are what the binding does anyway. */
static const struct lws_ext_options deflate_options[] = {
    {"server_no_context_takeover", EXTARG_NONE},
    {"client_no_context_takeover", EXTARG_NONE},
    {NULL, 0},
};

/* The pass-through extension: it transforms nothing (every payload is left
 * as it is, PMDR_UNKNOWN), so that frames keep their RSV1 bit and bytes,
 * which the binding inflates itself. */
static int deflate_passthrough(struct lws_context *ctx, const struct lws_extension *ext, struct lws *wsi,
                               enum lws_extension_callback_reasons reason, void *user, void *in, size_t len)
{
    if (reason == LWS_EXT_CB_CONSTRUCT)
        *(const struct lws_ext_options **)in = deflate_options;
    return 0;
}

const struct lws_extension transport_deflate_extension[] = {
    {"permessage-deflate", deflate_passthrough, NULL},
    {NULL, NULL, NULL},
};

/* Whether this client's permessage-deflate offer is one to take. */
static bool deflate_offered(struct lws *wsi)
{
    char *ext = transport_header_dup(wsi, WSI_TOKEN_EXTENSIONS);
    bool ok = ws_deflate_acceptable(ext);
    free(ext);
    return ok;
}

/* lws asks before it accepts an extension: 0 takes it. */
int transport_ws_confirm_extension(pss *p, struct lws *wsi, const char *name)
{
    return p && p->t->cfg.per_message_deflate && name && strcmp(name, "permessage-deflate") == 0 &&
                   deflate_offered(wsi)
               ? 0
               : 1;
}

int transport_ws_established(pss *p, struct lws *wsi)
{
    sio_transport *t = p->t;
    p->kind = K_WS;
    p->deflate = t->cfg.per_message_deflate && deflate_offered(wsi);
    sio_buf_init(&p->body, SIO_HEADROOM);
    query q;
    transport_read_query(wsi, &q, EIO_METHOD_GET, true);
    int64_t now = transport_now_ms();
    if (q.req.sid) {
        eio_session *s;
        /* Admitted by the filter a moment ago; the session may have closed
         * since. Whatever cannot probe is closed, the session untouched. */
        if (eio_engine_verify(t->eng, &q.req, &s) != EIO_ERR_NONE || strcmp(q.transport, "websocket") != 0 ||
            eio_session_ws_probe(s, &p->conn, now) != EIO_ERR_NONE) {
            p->close_requested = true;
            lws_callback_on_writable(wsi);
        }
        return 0;
    }
    sio_buf hq;
    sio_buf_init(&hq, 0);
    eio_session *s = eio_engine_handshake_version(t->eng, EIO_WEBSOCKET, transport_protocol_of(&q), q.req.b64,
                                                  transport_handshake_query(wsi, &hq), p->req, &p->conn, now);
    sio_buf_free(&hq);
    transport_admission_done(p);
    return s ? 0 : -1;
}

/* The engine let go of the WebSocket while a frame was read (a close packet,
 * an invalid one): it is closed with a close frame, as Node closes it. */
static int closed_by_engine(struct lws *wsi)
{
    lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
    return -1;
}

/* A whole message: inflated when it came compressed, its UTF-8 checked when
 * lws does not (with permessage-deflate on), then to the engine. */
static int receive_message(pss *p, struct lws *wsi, const unsigned char *in, size_t len, bool binary, size_t max)
{
    sio_transport *t = p->t;
    if (p->rx_deflated) {
        if (!p->inflater && !(p->inflater = calloc(1, sizeof(*p->inflater))))
            return -1;
        int rc = ws_inflate_message(p->inflater, in, len, max, &t->wsz);
        if (rc == WS_INFLATE_TOO_BIG) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
            return -1;
        }
        if (rc == WS_INFLATE_BAD) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD, (unsigned char *)"bad deflate data", 16);
            return -1;
        }
        if (rc != WS_INFLATE_OK)
            return -1;
        in = t->wsz.data;
        len = t->wsz.len;
    }
    if (t->cfg.per_message_deflate && !binary && !sio_utf8_valid(in, len)) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_INVALID_PAYLOAD, (unsigned char *)"bad utf8", 8);
        return -1;
    }
    int rc = eio_conn_ws_recv(&p->conn, in, len, binary, transport_now_ms());
    if (t->wsz.cap > 65536)
        sio_buf_free(&t->wsz);
    return rc ? closed_by_engine(wsi) : 0;
}

int transport_ws_receive(pss *p, struct lws *wsi, const void *in, size_t len)
{
    size_t max = eio_engine_options(p->t->eng)->max_payload;
    bool first = lws_is_first_fragment(wsi), last = lws_is_final_fragment(wsi) &&
                                                   !lws_remaining_packet_payload(wsi);
    bool binary = lws_frame_is_binary(wsi);
    if (first && p->body.len == 0)
        p->rx_deflated = p->deflate && (lws_get_reserved_bits(wsi) & 0x40);
    /* The frame header announces the whole size: refuse it before reading
     * (compressed, it is the size on the wire; inflating checks the rest). */
    if (p->body.len + len + lws_remaining_packet_payload(wsi) > max)
        goto too_big;
    if (first && last && p->body.len == 0) /* the common case: no copy */
        return receive_message(p, wsi, in, len, binary, max);
    if (sio_buf_append(&p->body, in, len))
        return -1;
    if (!last)
        return 0;
    int rc = receive_message(p, wsi, p->body.data, p->body.len, binary, max);
    sio_buf_free(&p->body);
    return rc;
too_big:
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
    return -1;
}

/* Frames up to this size are copied into one buffer and leave in one send():
 * a burst of broadcasts to a client costs one system call, not one each. */
#define WS_COALESCE_MAX (64 * 1024)

/* Appends the header of a whole unmasked server frame (RFC 6455 5.2) of n
 * payload bytes to `out`, with room reserved for the payload. */
static int append_ws_header(sio_buf *out, bool binary, bool compressed, size_t n)
{
    unsigned char h[10];
    size_t hl = 2;
    h[0] = 0x80 | (compressed ? 0x40 : 0) | (binary ? 0x2 : 0x1); /* FIN, RSV1, text or binary */
    if (n < 126) {
        h[1] = (unsigned char)n;
    } else if (n <= 0xffff) {
        h[1] = 126;
        h[2] = (unsigned char)(n >> 8);
        h[3] = (unsigned char)n;
        hl = 4;
    } else {
        h[1] = 127;
        for (int i = 0; i < 8; i++)
            h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
        hl = 10;
    }
    if (sio_buf_reserve(out, hl + n))
        return -1;
    memcpy(out->data + out->len, h, hl);
    out->len += hl;
    return 0;
}

/* Appends a whole frame of the message. `type` is the Engine.IO v3 binary
 * type byte, or -1. */
static int append_ws_frame(sio_buf *out, const sio_msg *m, int type)
{
    if (append_ws_header(out, m->binary, false, m->len + (type >= 0)))
        return -1;
    if (type >= 0)
        out->data[out->len++] = (unsigned char)type;
    memcpy(out->data + out->len, m->data, m->len);
    out->len += m->len;
    return 0;
}

/* The same, compressed (permessage-deflate): made in the transport's
 * buffer, then framed with RSV1. */
static int append_deflated_frame(sio_transport *t, sio_buf *out, const sio_msg *m, int type)
{
    unsigned char tb = (unsigned char)type;
    sio_buf_reset(&t->wsz);
    if (ws_deflate_message(&t->deflater, &tb, type >= 0, m->data, m->len, &t->wsz) ||
        append_ws_header(out, m->binary, true, t->wsz.len))
        return -1;
    memcpy(out->data + out->len, t->wsz.data, t->wsz.len);
    out->len += t->wsz.len;
    if (t->wsz.cap > 65536)
        sio_buf_free(&t->wsz);
    return 0;
}

/* Sends the frames gathered in `out` as bytes lws passes through unchanged
 * (LWS_WRITE_HTTP skips its framing); what the socket does not take, lws
 * keeps and sends before anything else, so frames stay whole and ordered. */
static int flush_ws_frames(struct lws *wsi, sio_buf *out)
{
    if (out->len == 0)
        return 0;
    int n = lws_write(wsi, out->data, out->len, LWS_WRITE_HTTP);
    sio_buf_reset(out);
    return n < 0 ? -1 : 0;
}

/* Writes the queued frames, up to a budget; asks for a writable callback
 * when frames are left. Returns -1 when the connection failed. */
static int write_frames(pss *p, struct lws *wsi)
{
    sio_msg *m;
    sio_buf *out = &p->t->ws_out;
    bool v3 = p->conn.session && eio_session_protocol(p->conn.session) == 3;
    /* A budget per writable callback: one client with a deep backlog on a
     * fast socket must not keep the loop from everyone else. */
    size_t budget = WS_WRITE_BUDGET;
    int rc = 0;
    sio_buf_reset(out);
    while (budget > 0 && (m = eio_conn_next_frame(&p->conn))) {
        budget = m->len >= budget ? 0 : budget - m->len;
        /* v3 binary frames start with the message type byte. */
        int type = m->binary && v3 ? EIO_MESSAGE : -1;
        /* With permessage-deflate, a message of the threshold or more goes
         * compressed, a smaller one as it is (RFC 7692 allows both), as
         * Node's ws does. */
        if (p->deflate && !m->uncompressed && m->len >= p->t->cfg.deflate_threshold) {
            rc = append_deflated_frame(p->t, out, m, type);
            if (rc == 0 && out->len >= WS_COALESCE_MAX)
                rc = flush_ws_frames(wsi, out);
        } else if (m->len < WS_COALESCE_MAX) {
            rc = append_ws_frame(out, m, type);
            if (rc == 0 && out->len >= WS_COALESCE_MAX)
                rc = flush_ws_frames(wsi, out);
        } else if ((rc = flush_ws_frames(wsi, out)) == 0) {
            /* A large frame goes alone, framed by lws in the headroom (every
             * v3 recipient of a shared message writes the same type byte). */
            int n;
            if (type >= 0) {
                m->data[-1] = (unsigned char)type;
                n = lws_write(wsi, m->data - 1, m->len + 1, LWS_WRITE_BINARY);
            } else {
                n = lws_write(wsi, m->data, m->len, m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
            }
            rc = n < 0 ? -1 : 0;
        }
        sio_msg_unref(m);
        if (rc)
            return -1;
    }
    /* No lws_send_pipe_choked() here: it costs a poll() per frame, and lws
     * keeps what the socket does not take and flushes it before the next
     * writable callback; the budget bounds what it may keep. */
    if (flush_ws_frames(wsi, out))
        return -1;
    if (out->cap > 4 * WS_COALESCE_MAX)
        sio_buf_free(out);
    if (budget == 0)
        lws_callback_on_writable(wsi);
    return 0;
}

int transport_ws_writable(pss *p, struct lws *wsi)
{
    if (!p->close_requested && write_frames(p, wsi))
        return -1;
    if (p->close_requested) {
        /* A close frame with no status, as Node's ws.close() sends: lws
         * sends none for a connection closed from its writable callback (it
         * does for one closed while receiving, as with 1009). */
        unsigned char frame[LWS_PRE + 2];
        frame[LWS_PRE] = 0x88; /* FIN, close */
        frame[LWS_PRE + 1] = 0;
        lws_write(wsi, frame + LWS_PRE, 2, LWS_WRITE_HTTP); /* raw bytes, as flush_ws_frames */
        return -1;
    }
    return 0;
}

/* Writes the listed WebSockets now, outside any lws callback. One whose
 * earlier write lws still holds in part waits for its writable callback
 * instead, so lws's buffer stays bounded by the write budget; a failed one
 * is closed by lws at its next timeout check, which the wake below brings
 * forward (lws checks its timers after an event). */
void transport_flush_writes(sio_transport *t)
{
    for (size_t i = 0; i < t->n_flush; i++) {
        pss *p = t->flush[i];
        if (!p)
            continue;
        p->in_flush = false;
        if (p->close_requested || lws_partial_buffered(p->wsi)) {
            lws_callback_on_writable(p->wsi);
        } else if (write_frames(p, p->wsi)) {
            p->close_requested = true;
            lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
            lws_cancel_service(t->ctx);
        }
    }
    t->n_flush = 0;
}


/* The WebSocket closed: the engine lets go of it. */
void transport_ws_closed(pss *p)
{
    if (p->inflater) {
        ws_inflater_free(p->inflater);
        free(p->inflater);
        p->inflater = NULL;
    }
    transport_unlist_flush(p->t, p);
    eio_conn_closed(&p->conn);
    sio_buf_free(&p->body);
    transport_admission_done(p);
    free(p->origin);
    p->origin = NULL;
}
