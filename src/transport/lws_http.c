/* HTTP on the binding: Engine.IO polling (held GETs, POSTs, JSONP) and the
 * requests for the layer above (static files, an API), with the HTTP/1.1
 * rules applied before a request is read (see refuse_head). */
#include "transport/lws_internal.h"

#include "eio/eio_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>

/* --- held polls ----------------------------------------------------------- */

/* While a poll is held, our epoll set watches its socket: lws does not read
 * a connection in the middle of an HTTP transaction, so it would neither see
 * a hang-up nor stop waking up for bytes it leaves unread. Anything on the
 * socket during a hold, a hang-up or bytes (a pipelined request, junk), ends
 * the poll, and with it the session. */
static void hold_start(pss *p)
{
    p->holding = true;
    struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLIN, .data.ptr = p};
    epoll_ctl(p->t->held_epfd, EPOLL_CTL_ADD, lws_get_socket_fd(p->wsi), &ev);
}

/* A polling GET is held: what its answer needs of the request's headers
 * is kept, and lws's header table for it is given back. lws keeps its
 * header tables in one list and frees one by searching that list from the
 * newest: with every held poll keeping its table, each request answered
 * walked past the tables of all the other held polls. */
static void hold_poll(pss *p)
{
    p->accept_encoding = HTTP_ENC_IDENTITY;
    if (p->t->cfg.compress_threshold) {
        char *ae = transport_header_dup(p->wsi, WSI_TOKEN_HTTP_ACCEPT_ENCODING);
        p->accept_encoding = (uint8_t)http_pick_encoding(ae);
        free(ae);
    }
    hold_start(p);
    lws_http_headers_detach(p->wsi);
}

static void hold_end(pss *p)
{
    if (!p->holding)
        return;
    p->holding = false;
    epoll_ctl(p->t->held_epfd, EPOLL_CTL_DEL, lws_get_socket_fd(p->wsi), NULL);
}

/* Held polls whose socket hung up or sent something: the session ends (an
 * aborted poll ends the session) and the connection is closed. */
void transport_held_hangups(sio_transport *t)
{
    struct epoll_event ev[64];
    int n = epoll_wait(t->held_epfd, ev, 64, 0);
    for (int i = 0; i < n; i++) {
        pss *p = ev[i].data.ptr;
        hold_end(p);
        eio_conn_closed(&p->conn);
        lws_set_timeout(p->wsi, PENDING_TIMEOUT_CLOSE_ACK, LWS_TO_KILL_ASYNC);
    }
}

static void body_end(pss *p);

static void reset_http(pss *p)
{
    body_end(p);
    transport_admission_done(p);
    free(p->origin);
    if (p->ext) {
        free(p->ext->path);
        free(p->ext->query);
        free(p->ext->auth);
        free(p->ext->ctype);
        free(p->ext->inm);
        free(p->ext);
    }
    sio_buf_free(&p->body);
    eio_conn conn = p->conn;
    struct lws *wsi = p->wsi;
    sio_transport *t = p->t;
    memset(p, 0, sizeof(*p));
    p->conn = conn;
    p->wsi = wsi;
    p->t = t;
    p->kind = K_HTTP;
    sio_buf_init(&p->body, SIO_HEADROOM);
}

/* Sets the response and asks for a writable callback to send it. */
static void respond(pss *p, unsigned status, const char *ctype, const char *body)
{
    p->status = (uint16_t)status;
    p->ctype = ctype;
    p->responding = true;
    sio_buf_reset(&p->body);
    if (body)
        sio_buf_puts(&p->body, body);
    lws_callback_on_writable(p->wsi);
}

static void respond_error(pss *p, eio_error e, const char *path)
{
    unsigned status = e == EIO_ERR_FORBIDDEN ? 403 : 400;
    p->status = (uint16_t)status;
    p->ctype = "application/json";
    p->responding = true;
    sio_buf_reset(&p->body);
    /* A refusal of allow_request carries its own message. */
    const char *message = p->refusal ? p->refusal : eio_error_message(e);
    eio_error_body_message(&p->body, e, message);
    eio_metrics_refused(eio_engine_metrics(p->t->eng), e);
    transport_refused(p->t, p->wsi, status, (int)e, message, path);
    lws_callback_on_writable(p->wsi);
}

/* The refusal of a request outside the Engine.IO path, as the layer above
 * words it (transport_config.http_refusal); false when it does not. */
static bool respond_worded(pss *p, unsigned status, const char *text)
{
    sio_transport *t = p->t;
    if (!t->cfg.http_refusal)
        return false;
    transport_http_request req = {
        .method = p->ext->method,
        .path = p->ext->path ? p->ext->path : "",
        .query = p->ext->query ? p->ext->query : "",
        .authorization = p->ext->auth,
        .content_type = p->ext->ctype,
        .if_none_match = p->ext->inm,
    };
    transport_http_response res = {0};
    sio_buf_init(&res.body, SIO_HEADROOM);
    t->cfg.http_refusal(t->cfg.http_ctx, &req, status, text, &res);
    if (!res.content_type) {
        sio_buf_free(&res.body);
        return false;
    }
    sio_buf_free(&p->body);
    p->body = res.body;
    p->status = (uint16_t)status;
    p->ctype = res.content_type;
    p->responding = true;
    lws_callback_on_writable(p->wsi);
    return true;
}

/* An answer after which the connection is closed: the rest of the request
 * (a body we will not read, bytes we cannot frame) must never be parsed as
 * another request. */
static void respond_close(pss *p, unsigned status, const char *text, const char *path)
{
    p->close_after = true;
    if (!p->ext || !respond_worded(p, status, text))
        respond(p, status, "text/plain", text);
    transport_refused(p->t, p->wsi, status, -1, text, path);
}

/* --- request bodies and their deadline ------------------------------------- */

static void body_end(pss *p)
{
    struct body_req *b = p->breq;
    if (!b)
        return;
    if (b->prev)
        b->prev->next = b->next;
    else
        p->t->reading = b->next;
    if (b->next)
        b->next->prev = b->prev;
    free(b);
    p->breq = NULL;
}

/* Requests still reading their body past the deadline get 408 and the
 * connection is closed, as Node's requestTimeout does. */
static void on_sweep(lws_sorted_usec_list_t *sul)
{
    sio_transport *t = lws_container_of(sul, sio_transport, sweep);
    int64_t now = transport_now_ms();
    struct body_req *b = t->reading, *next;
    for (; b; b = next) {
        next = b->next;
        if (b->deadline > now)
            continue;
        pss *p = b->p;
        body_end(p);
        eio_conn_closed(&p->conn); /* a POST the session was waiting for */
        respond_close(p, 408, "Request Timeout", p->ext && p->ext->path ? p->ext->path : "");
    }
    if (t->reading)
        lws_sul_schedule(t->ctx, 0, &t->sweep, on_sweep, REQUEST_SWEEP_MS * LWS_US_PER_MS);
    transport_after_event(t);
}

static int body_begin(pss *p, bool chunked)
{
    sio_transport *t = p->t;
    struct body_req *b = calloc(1, sizeof(*b));
    if (!b)
        return -1;
    b->p = p;
    b->chunked = chunked;
    b->deadline = transport_now_ms() + (int64_t)t->cfg.request_timeout_ms;
    b->next = t->reading;
    if (b->next)
        b->next->prev = b;
    else
        lws_sul_schedule(t->ctx, 0, &t->sweep, on_sweep, REQUEST_SWEEP_MS * LWS_US_PER_MS);
    t->reading = b;
    p->breq = b;
    return 0;
}

/* --- request heads ------------------------------------------------------------ */

/* How a request's body is framed, from its head. */
typedef struct framing {
    http_body_framing kind;
    uint64_t length;
    bool has_body;
} framing;

/* The checks every request passes before anything looks at it, in the order
 * Node's parser makes them: whether the connection stays open, the size of
 * the headers, the body's framing, and its size against `cap`. Answers and
 * returns true for a request that must go no further. */
static bool refuse_head(pss *p, struct lws *wsi, size_t cap, const char *path, framing *f)
{
    char ver[16];
    bool minor1 = lws_hdr_copy(wsi, ver, sizeof(ver), WSI_TOKEN_HTTP) > 7 && ver[5] == '1' && ver[7] == '1';
    char *conn = transport_header_dup(wsi, WSI_TOKEN_CONNECTION);
    /* lws keeps an HTTP/1.0 connection open only for this exact value. */
    bool keep = http_keep_alive(minor1, conn) && (minor1 || strcasecmp(conn, "keep-alive") == 0);
    free(conn);
    p->close_after = !keep;
    p->keep_alive_10 = keep && !minor1;

    if (transport_header_bytes(wsi) > MAX_HEADER_BYTES) {
        respond_close(p, 431, "Request Header Fields Too Large", path);
        return true;
    }

    char *cl = transport_header_dup(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    char *te = transport_header_dup(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
    f->length = 0;
    f->kind = http_request_framing(cl, te, &f->length);
    free(cl);
    free(te);
    f->has_body = f->kind == HTTP_BODY_CHUNKED || (f->kind == HTTP_BODY_LENGTH && f->length > 0);
    if (f->kind == HTTP_BODY_INVALID) {
        respond_close(p, 400, "Bad request: invalid Content-Length or Transfer-Encoding", path);
        return true;
    }
    if (f->kind == HTTP_BODY_LENGTH && f->length > cap) {
        respond_close(p, 413, "Payload too large", path);
        return true;
    }
    /* lws frames a POST without a length as a body of unknown size, and the
     * chunked body of any other method as the next request: never let it
     * read on after the answer. */
    if (p->post ? f->kind == HTTP_BODY_NONE : f->kind == HTTP_BODY_CHUNKED)
        p->close_after = true;
    return false;
}

/* Set-Cookie with the new session's id (engine.io's cookie option), made
 * while the poll still knows its session (p->cookie, from take_cookie). */
static int add_cookie(pss *p, unsigned char **q, unsigned char *end)
{
    sio_buf *v = &p->t->cookie;
    return lws_add_http_header_by_name(p->wsi, (const unsigned char *)"set-cookie:", v->data, (int)v->len, q, end)
               ? -1
               : 0;
}

/* The handshake's cookie, for its response (see add_cookie). */
static void take_cookie(pss *p)
{
    sio_transport *t = p->t;
    sio_buf_reset(&t->cookie);
    p->cookie = p->handshake && t->cfg.cookie.name && p->conn.session &&
                http_cookie_write(&t->cfg.cookie, eio_session_sid(p->conn.session), &t->cookie) == 0;
}

/* Compresses a polling response's body when it is large enough and the
 * request accepts gzip or deflate (engine.io's httpCompression). Left as it
 * is when compression fails. */
static void maybe_compress(pss *p)
{
    sio_transport *t = p->t;
    if (!t->cfg.compress_threshold || p->body.len < t->cfg.compress_threshold || !p->conn.compress)
        return;
    http_encoding e = (http_encoding)p->accept_encoding;
    if (e == HTTP_ENC_IDENTITY || http_compress(&t->enc, e, p->body.data, p->body.len, &t->zout))
        return;
    sio_buf body = p->body; /* swap: the response's buffer is reused for the next */
    p->body = t->zout;
    t->zout = body;
    p->content_encoding = http_encoding_name(e);
}

static int write_response(pss *p)
{
    struct lws *wsi = p->wsi;
    unsigned char hdr[LWS_PRE + 1024];
    unsigned char *start = hdr + LWS_PRE, *q = start, *end = hdr + sizeof(hdr) - 1;
    if (lws_add_http_common_headers(wsi, p->status, p->ctype, p->body.len, &q, end))
        return -1;
    if (p->acao) {
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-origin:",
                                        (const unsigned char *)p->acao, (int)strlen(p->acao), &q, end))
            return -1;
        if (p->t->cfg.cors.credentials &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-credentials:",
                                        (const unsigned char *)"true", 4, &q, end))
            return -1;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"vary:",
                                        (const unsigned char *)"Origin", 6, &q, end))
            return -1;
    }
    if (p->content_encoding &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"content-encoding:",
                                    (const unsigned char *)p->content_encoding,
                                    (int)strlen(p->content_encoding), &q, end))
        return -1;
    if (p->cookie && add_cookie(p, &q, end))
        return -1;
    if ((p->close_after || p->keep_alive_10) &&
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                     (const unsigned char *)(p->close_after ? "close" : "keep-alive"),
                                     p->close_after ? 5 : 10, &q, end))
        return -1;
    if (p->ext && p->ext->etag[0] &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"etag:", (const unsigned char *)p->ext->etag,
                                    (int)strlen(p->ext->etag), &q, end))
        return -1;
    if (p->ext && p->ext->cache_control &&
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)p->ext->cache_control,
                                    (int)strlen(p->ext->cache_control), &q, end))
        return -1;
    if (p->status == 204 && p->acao) {
        static const char methods[] = "GET,HEAD,PUT,PATCH,POST,DELETE";
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-methods:",
                                        (const unsigned char *)methods, (int)sizeof(methods) - 1, &q, end))
            return -1;
        char reqh[256];
        int n = lws_hdr_copy(wsi, reqh, sizeof(reqh), WSI_TOKEN_HTTP_AC_REQUEST_HEADERS);
        if (n > 0 && lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-headers:",
                                                 (const unsigned char *)reqh, n, &q, end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &q, end))
        return -1;
    /* HEAD gets the headers of the GET, Content-Length included, and no body. */
    if (p->body.len && !p->head &&
        lws_write(wsi, p->body.data, p->body.len, LWS_WRITE_HTTP_FINAL) != (int)p->body.len)
        return -1;
    bool close_after = p->close_after;
    reset_http(p);
    if (close_after)
        return -1;
    if (lws_http_transaction_completed(wsi))
        return -1;
    /* lws has bound the connection's protocol again: `p` is gone, and the
     * connection has fresh per-connection data until its next request. */
    pss *next = lws_wsi_user(wsi);
    if (next && next->t)
        transport_idle_begin(next);
    return 0;
}

/* --- external requests (static files, API) -------------------------------- */

static void run_external(pss *p)
{
    sio_transport *t = p->t;
    char address[64];
    transport_client_address(t, p->wsi, address, sizeof(address));
    transport_http_request req = {
        .address = address,
        .method = p->ext->method,
        .path = p->ext->path,
        .query = p->ext->query ? p->ext->query : "",
        .authorization = p->ext->auth,
        .content_type = p->ext->ctype,
        .if_none_match = p->ext->inm,
        .body = p->body.data,
        .body_len = p->body.len,
    };
    transport_http_response res = {.conn = p};
    sio_buf_init(&res.body, SIO_HEADROOM);
    if (!t->cfg.http_handler || !t->cfg.http_handler(t->cfg.http_ctx, &req, &res)) {
        sio_buf_free(&res.body);
        if (res.deferred) { /* deferred, then declined: the answer is now */
            free(p->deferred);
            p->deferred = NULL;
        }
        transport_refused(t, p->wsi, 404, -1, "Not found", p->ext->path);
        respond(p, 404, "text/plain", "Not found");
        return;
    }
    if (res.deferred) {
        sio_buf_free(&res.body);
        lws_set_timeout(p->wsi, NO_PENDING_TIMEOUT, 0);
        hold_start(p); /* a hang-up meanwhile closes the connection */
        return;
    }
    sio_buf_free(&p->body);
    p->body = res.body;
    p->status = (uint16_t)res.status;
    p->ctype = res.content_type;
    memcpy(p->ext->etag, res.etag, sizeof(p->ext->etag));
    p->ext->cache_control = res.cache_control;
    p->responding = true;
    lws_callback_on_writable(p->wsi);
}

transport_deferred *transport_http_defer(transport_http_response *res)
{
    pss *p = res->conn;
    if (!p || p->deferred)
        return p ? p->deferred : NULL;
    transport_deferred *d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    d->p = p;
    p->deferred = d;
    res->deferred = true;
    return d;
}

bool transport_deferred_open(const transport_deferred *d) { return d && d->p; }

int transport_deferred_reply(transport_deferred *d, unsigned status, const char *content_type,
                             const void *body, size_t len)
{
    if (!d)
        return -1;
    pss *p = d->p;
    free(d);
    if (!p)
        return -1;
    p->deferred = NULL;
    hold_end(p);
    sio_buf_reset(&p->body);
    int rc = sio_buf_append(&p->body, body, len) ? -1 : 0;
    p->status = (uint16_t)(rc ? 500 : status);
    p->ctype = rc ? "text/plain" : content_type;
    p->responding = true;
    lws_callback_on_writable(p->wsi);
    lws_cancel_service(lws_get_context(p->wsi));
    return rc;
}

static int start_external(pss *p, struct lws *wsi, const char *path, const char *method)
{
    framing f;
    if (!(p->ext = calloc(1, sizeof(*p->ext))))
        return -1;
    p->ext->method = method;
    p->ext->path = strdup(path);
    p->ext->auth = transport_header_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    p->ext->ctype = transport_header_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    p->ext->inm = transport_header_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
    if (refuse_head(p, wsi, p->t->cfg.max_http_body, path, &f))
        return 0;
    /* Rebuild the raw query string from lws's argument fragments. */
    sio_buf qs;
    sio_buf_init(&qs, 0);
    url_args a;
    transport_url_args_open(&a, wsi);
    for (const char *arg; (arg = transport_url_args_next(&a));) {
        if (qs.len)
            sio_buf_putc(&qs, '&');
        sio_buf_puts(&qs, arg);
    }
    transport_url_args_close(&a);
    sio_buf_putc(&qs, 0);
    p->ext->query = strdup((const char *)qs.data);
    sio_buf_free(&qs);
    if (p->post && f.has_body)
        return body_begin(p, f.kind == HTTP_BODY_CHUNKED); /* answered once the body is in */
    run_external(p);
    return 0;
}

/* --- Engine.IO over HTTP ---------------------------------------------------- */

/* A polling POST: admitted, then its body read (or drained, when refused
 * with a length we accept, so that the connection stays usable). */
static int on_poll_post(pss *p, struct lws *wsi, eio_session *s, eio_error e, const framing *f,
                        const char *path)
{
    if (e == EIO_ERR_NONE) {
        char ct[64];
        if (eio_session_protocol(s) == 4 &&
            lws_hdr_copy(wsi, ct, sizeof(ct), WSI_TOKEN_HTTP_CONTENT_TYPE) > 0 &&
            strncmp(ct, "application/octet-stream", 24) == 0) {
            /* v4 polling carries binary as base64 text only */
            eio_session_fail(s);
            e = EIO_ERR_BAD_REQUEST;
        }
    }
    if (e == EIO_ERR_NONE)
        e = eio_session_poll_post_begin(s, &p->conn);
    if (e != EIO_ERR_NONE) {
        if (f->kind == HTTP_BODY_LENGTH && f->length > 0) { /* answer once the body is drained */
            p->discard_body = true;
            p->pending_error = (int8_t)e;
            return body_begin(p, false);
        }
        if (f->kind == HTTP_BODY_CHUNKED)
            p->close_after = true; /* its end is not looked for */
        respond_error(p, e, path);
        return 0;
    }
    if (f->has_body)
        return body_begin(p, f->kind == HTTP_BODY_CHUNKED);
    if (eio_session_poll_post(&p->conn, NULL, 0, transport_now_ms()) == EIO_ERR_NONE)
        respond(p, 200, "text/html", "ok");
    else
        respond_error(p, EIO_ERR_BAD_REQUEST, path);
    return 0;
}

int transport_http_on_request(pss *p, struct lws *wsi, const char *path, size_t path_len)
{
    sio_transport *t = p->t;
    reset_http(p);
    const char *mname;
    eio_method m = transport_method_of(wsi, &mname);
    p->head = strcmp(mname, "HEAD") == 0;
    p->post = m == EIO_METHOD_POST;
    /* A %00 in the path: lws decodes it into the stored URI, whose length
     * then runs past the C string the callback sees. */
    int stored = 0;
    for (int tok = 0; tok < 2 && !stored; tok++)
        stored = lws_hdr_total_length(wsi, tok ? WSI_TOKEN_POST_URI : WSI_TOKEN_GET_URI);
    if (strlen(path) != path_len || (stored > 0 && (size_t)stored != strlen(path))) {
        respond_close(p, 400, "Bad request", "");
        return 0;
    }
    if (!transport_path_matches(path, t->cfg.path))
        return start_external(p, wsi, path, mname);

    framing f;
    if (refuse_head(p, wsi, eio_engine_options(t->eng)->max_payload, path, &f))
        return 0;
    if (strcmp(mname, "OPTIONS") == 0) {
        eio_cors_verdict cv = transport_check_origin(p, wsi);
        if (cv == EIO_CORS_FORBIDDEN || cv == EIO_CORS_BAD_ORIGIN)
            respond_error(p, cv == EIO_CORS_FORBIDDEN ? EIO_ERR_FORBIDDEN : EIO_ERR_BAD_REQUEST, path);
        else
            respond(p, 204, "text/plain", NULL);
        return 0;
    }
    query q;
    transport_read_query(wsi, &q, m, false);
    p->conn.jsonp = q.jsonp;
    p->conn.jsonp_index = (uint32_t)q.jsonp_index;
    eio_session *s = NULL;
    eio_error e = transport_admit(p, wsi, &q, &s);
    int64_t now = transport_now_ms();

    if (m == EIO_METHOD_POST)
        return on_poll_post(p, wsi, s, e, &f, path);
    if (e != EIO_ERR_NONE) {
        respond_error(p, e, path);
        return 0;
    }
    if (m != EIO_METHOD_GET || f.has_body) {
        /* A session request with another method; or a poll with a body,
         * which lws would read while the poll is held. */
        p->close_after = p->close_after || f.has_body;
        respond_error(p, EIO_ERR_BAD_REQUEST, path);
        return 0;
    }
    /* The poll may be held far past lws's default HTTP timeout. */
    lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
    if (!s) {
        p->handshake = true;
        sio_buf hq;
        sio_buf_init(&hq, 0);
        if (!eio_engine_handshake_version(t->eng, EIO_POLLING, transport_protocol_of(&q), q.req.b64,
                                          transport_handshake_query(wsi, &hq), p->req, &p->conn, now))
            respond(p, 500, "text/plain", "Internal error");
        else
            hold_poll(p);
        sio_buf_free(&hq);
        return 0;
    }
    e = eio_session_poll_get(s, &p->conn, now);
    if (e != EIO_ERR_NONE)
        respond_error(p, e, path);
    else
        hold_poll(p);
    return 0;
}

/* A request whose body cannot be taken: 413, or 400 for a chunked body that
 * is not valid; the session lets go of the POST, and the connection closes. */
static int refuse_body(pss *p, unsigned status, const char *text)
{
    body_end(p);
    if (p->conn.session)
        eio_conn_closed(&p->conn);
    respond_close(p, status, text, p->ext && p->ext->path ? p->ext->path : "");
    return 0;
}

int transport_http_body_done(pss *p);

int transport_http_body(pss *p, const void *in, size_t len)
{
    if (!p->breq || p->discard_body || p->responding)
        return 0; /* not a POST (lws drops it), refused, or answered already */
    size_t cap = p->ext ? p->t->cfg.max_http_body : eio_engine_options(p->t->eng)->max_payload;
    if (p->breq->chunked) {
        size_t used;
        switch (http_chunked_decode(&p->breq->dec, in, len, &p->body, cap, &used)) {
        case HTTP_CHUNKED_MORE:
            return 0;
        case HTTP_CHUNKED_DONE:
            /* lws counts what follows as more of this body. */
            p->close_after = true;
            return transport_http_body_done(p);
        case HTTP_CHUNKED_TOO_BIG:
            return refuse_body(p, 413, "Payload too large");
        case HTTP_CHUNKED_INVALID:
            return refuse_body(p, 400, "Bad request: invalid chunked body");
        default:
            return -1;
        }
    }
    if (p->body.len + len > cap)
        return refuse_body(p, 413, "Payload too large");
    if (sio_buf_append(&p->body, in, len))
        return -1;
    return 0;
}

int transport_http_body_done(pss *p)
{
    if (!p->breq || p->responding)
        return 0;
    body_end(p);
    if (p->discard_body) {
        respond_error(p, (eio_error)p->pending_error, "");
        return 0;
    }
    if (p->ext) {
        run_external(p);
        return 0;
    }
    eio_error e;
    /* A JSONP form is unwrapped by the engine (p->conn.jsonp). */
    e = eio_session_poll_post(&p->conn, p->body.data, p->body.len, transport_now_ms());
    if (e == EIO_ERR_NONE) {
        /* Its answer needs nothing more of the headers: the table goes back
         * now, while it is the newest (see hold_poll). Kept until the
         * writable callback, a round's POSTs gave theirs back oldest first,
         * each search walking past all the others. */
        lws_http_headers_detach(p->wsi);
        respond(p, 200, "text/html", "ok");
    } else
        respond_error(p, e, "");
    return 0;
}

int transport_http_writable(pss *p)
{
    if (p->close_requested)
        return -1;
    if (p->responding)
        return write_response(p);
    if (!p->holding)
        return 0;
    sio_buf *out = &p->t->scratch;
    sio_buf_reset(out);
    take_cookie(p); /* before the poll lets go of its session */
    if (eio_conn_take_payload(&p->conn, out) != 0)
        return 0; /* spurious */
    hold_end(p);
    p->status = 200;
    /* v3 binary framing starts with a kind byte 0 or 1 (see the engine). */
    p->ctype = out->len && out->data[0] <= 1 ? "application/octet-stream" : "text/plain; charset=UTF-8";
    sio_buf_reset(&p->body);
    if (p->conn.jsonp) /* the engine made the script (eio_jsonp.h) */
        p->ctype = "text/javascript; charset=UTF-8";
    if (sio_buf_append(&p->body, out->data, out->len))
        return -1;
    if (out->cap > 65536)
        sio_buf_free(out);
    maybe_compress(p);
    if (p->t->zout.cap > 65536)
        sio_buf_free(&p->t->zout);
    return write_response(p);
}


/* The connection closed: the engine lets go of whatever it held. */
void transport_http_closed(pss *p)
{
    hold_end(p);
    if (p->deferred) {
        p->deferred->p = NULL;
        p->deferred = NULL;
    }
    eio_conn_closed(&p->conn);
    reset_http(p);
    sio_buf_free(&p->body);
    p->kind = K_NONE;
}
