/* Reading a request's head: headers, the URL arguments, the Engine.IO
 * query and its admission (CORS included). Shared by HTTP and WebSocket. */
#include "transport/lws_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *transport_header_dup(struct lws *wsi, enum lws_token_indexes h)
{
    int n = lws_hdr_total_length(wsi, h);
    if (n <= 0)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (s && lws_hdr_copy(wsi, s, n + 1, h) < 0) {
        free(s);
        return NULL;
    }
    return s;
}

/* Every header lws knows by name (its tokens whose name ends in ':', not the
 * request line's nor HTTP/2's pseudo-headers), then the configured others. */
static int capture_headers(sio_transport *t, struct lws *wsi, sio_request *r)
{
    for (int h = 0; h < WSI_TOKEN_COUNT; h++) {
        const char *name = (const char *)lws_token_to_string((enum lws_token_indexes)h);
        size_t nlen = name ? strlen(name) : 0;
        if (nlen < 2 || name[0] == ':' || name[nlen - 1] != ':')
            continue;
        char *v = transport_header_dup(wsi, (enum lws_token_indexes)h);
        if (!v)
            continue;
        int rc = sio_request_add_header(r, name, nlen - 1, v, strlen(v));
        free(v);
        if (rc)
            return -1;
    }
    for (size_t i = 0; i < t->cfg.n_extra_headers; i++) {
        char name[128];
        int nlen = snprintf(name, sizeof(name), "%s:", t->cfg.extra_headers[i]);
        if (nlen <= 1 || (size_t)nlen >= sizeof(name))
            continue;
        for (char *c = name; *c; c++)
            if (*c >= 'A' && *c <= 'Z')
                *c = (char)(*c - 'A' + 'a');
        int len = lws_hdr_custom_length(wsi, name, nlen);
        if (len < 0)
            continue;
        char *v = malloc((size_t)len + 1);
        if (!v || lws_hdr_custom_copy(wsi, v, len + 1, name, nlen) < 0 ||
            sio_request_add_header(r, name, (size_t)nlen - 1, v, strlen(v))) {
            free(v);
            return -1;
        }
        free(v);
    }
    return 0;
}

/* The client's address: the peer's, or the one X-Forwarded-For names when
 * the peer is a trusted proxy. */
static void client_address(sio_transport *t, const char *peer, const char *xff, char *out, size_t cap)
{
    sio_forwarded_client(peer, xff, t->cfg.trusted_proxies, t->cfg.n_trusted_proxies, out, cap);
}

void transport_client_address(sio_transport *t, struct lws *wsi, char *out, size_t cap)
{
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    char *xff = transport_header_dup(wsi, WSI_TOKEN_X_FORWARDED_FOR);
    client_address(t, peer, xff, out, cap);
    free(xff);
}

sio_request *transport_capture_request(sio_transport *t, struct lws *wsi)
{
    sio_request *r = sio_request_new();
    if (!r)
        return NULL;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    r->time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    r->secure = lws_is_ssl(wsi) != 0;
    char peer[64] = "";
    lws_get_peer_simple(wsi, peer, sizeof(peer));
    if (capture_headers(t, wsi, r))
        goto oom;
    char address[64];
    client_address(t, peer, sio_request_header(r, "x-forwarded-for"), address, sizeof(address));
    /* The URL as requested: the path, and the arguments as they came. */
    char path[1024] = "";
    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0)
        lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_POST_URI);
    sio_buf url;
    sio_buf_init(&url, 0);
    sio_buf args;
    sio_buf_init(&args, 0);
    const char *q = transport_handshake_query(wsi, &args);
    int rc = sio_buf_puts(&url, path) || (q && *q && (sio_buf_putc(&url, '?') || sio_buf_puts(&url, q))) ||
             sio_buf_putc(&url, 0);
    rc = rc || sio_request_set(r, &r->url, (const char *)url.data) || sio_request_set(r, &r->peer, peer) ||
         sio_request_set(r, &r->address, address);
    sio_buf_free(&url);
    sio_buf_free(&args);
    if (rc)
        goto oom;
    return sio_request_seal(r);
oom:
    sio_request_unref(r);
    return NULL;
}

void transport_admission_done(pss *p)
{
    sio_request_unref(p->req);
    p->req = NULL;
    free(p->refusal);
    p->refusal = NULL;
}

bool transport_path_matches(const char *path, const char *want)
{
    size_t n = strlen(want);
    if (n && want[n - 1] == '/')
        n--; /* "/engine.io/" also matches "/engine.io" */
    return strncmp(path, want, n) == 0 && (path[n] == 0 || (path[n] == '/' && path[n + 1] == 0));
}


size_t transport_header_bytes(struct lws *wsi)
{
    size_t total = 0;
    for (int h = 0; h < WSI_TOKEN_COUNT; h++)
        total += (size_t)lws_hdr_total_length(wsi, (enum lws_token_indexes)h);
    return total;
}

static void report_refusal(sio_transport *t, unsigned status, int code, const char *what, const char *method,
                           const char *path, const char *address)
{
    transport_refusal r = {status, code, what ? what : "", method, path ? path : "", address};
    t->cfg.on_refused(t->cfg.refused_ctx, &r);
}

void transport_refused(sio_transport *t, struct lws *wsi, unsigned status, int code, const char *what,
                       const char *path)
{
    if (!t->cfg.on_refused)
        return;
    char address[64];
    transport_client_address(t, wsi, address, sizeof(address));
    const char *method;
    transport_method_of(wsi, &method);
    report_refusal(t, status, code, what, method, path, address);
}

void transport_refused_socket(sio_transport *t, int fd, unsigned status, const char *what)
{
    if (!t->cfg.on_refused)
        return;
    char peer[64] = "";
    lws_get_peer_simple_fd(fd, peer, sizeof(peer));
    report_refusal(t, status, -1, what, "", "", peer); /* no headers yet: the peer */
}

/* The CORS verdict for this request; fills p->acao. */
eio_cors_verdict transport_check_origin(pss *p, struct lws *wsi)
{
    char *origin = transport_header_dup(wsi, WSI_TOKEN_ORIGIN);
    char *host = transport_header_dup(wsi, WSI_TOKEN_HOST);
    eio_cors_verdict v = eio_cors_check(&p->t->cfg.cors, origin, host);
    if (v == EIO_CORS_ALLOWED) {
        p->origin = origin;
        p->acao = eio_cors_allow_origin(&p->t->cfg.cors, origin);
        origin = NULL;
    }
    free(origin);
    free(host);
    return v;
}

/* Appends one URL argument that lws decoded ("k=v"), %-encoding again what
 * would break a query string, so the layer above can parse it. */
static void append_query_arg(sio_buf *b, const char *arg)
{
    if (b->len)
        sio_buf_putc(b, '&');
    bool in_value = false;
    for (const unsigned char *c = (const unsigned char *)arg; *c; c++) {
        if (*c == '=' && !in_value) {
            in_value = true;
            sio_buf_putc(b, '=');
        } else if (*c == '&' || *c == '=' || *c == '%' || *c == '+' || *c == '#' || *c <= 0x20 || *c >= 0x7f) {
            char esc[4];
            snprintf(esc, sizeof(esc), "%%%02X", *c);
            sio_buf_append(b, esc, 3);
        } else {
            sio_buf_putc(b, *c);
        }
    }
}

/* The URL arguments as lws decoded them ("k=v", one per '&'), each in turn
 * in a buffer as long as all of them: an argument of any length fits. */

void transport_url_args_open(url_args *a, struct lws *wsi)
{
    a->wsi = wsi;
    a->cap = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) + 1;
    a->buf = malloc((size_t)a->cap);
    a->next = 0;
}

/* The next argument, or NULL after the last (or when out of memory). */
const char *transport_url_args_next(url_args *a)
{
    if (!a->buf || lws_hdr_copy_fragment(a->wsi, a->buf, a->cap, WSI_TOKEN_HTTP_URI_ARGS, a->next) < 0)
        return NULL;
    a->next++;
    return a->buf;
}

void transport_url_args_close(url_args *a)
{
    free(a->buf);
    a->buf = NULL;
}

/* The handshake's query string, rebuilt from lws's decoded arguments into
 * `b` (NUL-terminated). Returns b's text, or NULL when out of memory. */
const char *transport_handshake_query(struct lws *wsi, sio_buf *b)
{
    url_args a;
    transport_url_args_open(&a, wsi);
    for (const char *arg; (arg = transport_url_args_next(&a));)
        append_query_arg(b, arg);
    transport_url_args_close(&a);
    if (sio_buf_putc(b, 0))
        return NULL;
    return (const char *)b->data;
}

/* One pass over the URL arguments (lws has already URL-decoded them). A
 * value too long for its field is kept cut: no valid one is. */
void transport_read_query(struct lws *wsi, query *q, eio_method m, bool upgrade)
{
    memset(q, 0, sizeof(*q));
    q->req.method = m;
    q->req.ws_upgrade = upgrade;
    url_args a;
    transport_url_args_open(&a, wsi);
    for (const char *frag; (frag = transport_url_args_next(&a));) {
        const char *v = strchr(frag, '=');
        if (!v)
            continue;
        size_t klen = (size_t)(v++ - frag);
        char *dst = NULL;
        size_t cap = 0;
        if (klen == 3 && memcmp(frag, "EIO", 3) == 0) {
            dst = q->eio, cap = sizeof(q->eio);
            q->req.eio = q->eio;
        } else if (klen == 9 && memcmp(frag, "transport", 9) == 0) {
            dst = q->transport, cap = sizeof(q->transport);
            q->req.transport = q->transport;
        } else if (klen == 3 && memcmp(frag, "sid", 3) == 0) {
            dst = q->sid, cap = sizeof(q->sid);
            q->req.sid = q->sid;
        } else if (klen == 3 && memcmp(frag, "b64", 3) == 0) {
            q->req.b64 = true;
        } else if (klen == 1 && frag[0] == 'j') {
            /* As Node: only the digits of j name the callback. */
            q->jsonp = true;
            q->req.b64 = true; /* a script carries no binary */
            for (const char *d = v; *d; d++)
                if (*d >= '0' && *d <= '9' && q->jsonp_index < 100000000)
                    q->jsonp_index = q->jsonp_index * 10 + (unsigned long)(*d - '0');
        }
        if (dst)
            snprintf(dst, cap, "%s", v);
    }
    transport_url_args_close(&a);
}

int transport_protocol_of(const query *q) { return q->req.eio && strcmp(q->req.eio, "3") == 0 ? 3 : 4; }

/* Admission of an Engine.IO request, CORS included. */
eio_error transport_admit(pss *p, struct lws *wsi, query *q, eio_session **s)
{
    eio_cors_verdict cv = transport_check_origin(p, wsi);
    /* Engine.IO v3 (socket.io 2.x) clients get the same CORS answers as v4
     * ones, as from Node's server with allowEIO3: credentials only when
     * they are allowed (--cors-credentials), never "*" with them. */
    eio_error e = eio_engine_verify(p->t->eng, &q->req, s);
    if (e == EIO_ERR_UNKNOWN_TRANSPORT)
        return e;
    if (cv == EIO_CORS_BAD_ORIGIN)
        return EIO_ERR_BAD_REQUEST;
    if (cv == EIO_CORS_FORBIDDEN)
        return EIO_ERR_FORBIDDEN;
    if (e != EIO_ERR_NONE || *s)
        return e;
    /* A handshake: its request is kept for the session, and the
     * application may refuse it (Node's allowRequest). */
    transport_admission_done(p);
    if (!(p->req = transport_capture_request(p->t, wsi)))
        return EIO_ERR_BAD_REQUEST;
    const transport_config *cfg = &p->t->cfg;
    const char *message = NULL;
    if (cfg->allow_request && !cfg->allow_request(cfg->allow_ctx, p->req, &message)) {
        p->refusal = strdup(message ? message : "Forbidden");
        return EIO_ERR_FORBIDDEN;
    }
    return e;
}

eio_method transport_method_of(struct lws *wsi, const char **name)
{
    if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) {
        *name = "GET";
        return EIO_METHOD_GET;
    }
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI)) {
        *name = "POST";
        return EIO_METHOD_POST;
    }
    *name = lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) ? "OPTIONS"
            : lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI)   ? "PUT"
            : lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) ? "DELETE"
            : lws_hdr_total_length(wsi, WSI_TOKEN_PATCH_URI)  ? "PATCH"
            : lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI)   ? "HEAD"
                                                               : "OTHER";
    return EIO_METHOD_OTHER;
}

