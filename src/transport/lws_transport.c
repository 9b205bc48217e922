/* libwebsockets binding of the Engine.IO engine. See transport.h. */
#include "transport/transport.h"

#include "eio/eio_codec.h"
#include "eio/eio_jsonp.h"
#include "transport/http_framing.h"
#include "transport/listen_check.h"

#include <libwebsockets.h>
#include <signal.h>
#include <sys/epoll.h>
#include <uv.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

_Static_assert(LWS_PRE + 1 <= SIO_HEADROOM, "SIO_HEADROOM must cover LWS_PRE and the v3 type byte");

#define STOP_GRACE_MS 2000
#define WS_WRITE_BUDGET (256 * 1024) /* bytes per writable callback */
#define FLUSH_MAX_ROUNDS 64           /* rounds of reading before queued frames are written */
#define MAX_HEADER_BYTES (16 * 1024)  /* request headers, as Node's maxHeaderSize: 431 beyond */
/* lws's header table: larger than our limit, so that headers over it are
 * still read and answered 431 (lws drops a request that overflows its table
 * without a status line). Pages are touched only as far as a request fills it. */
#define LWS_HEADER_TABLE (32 * 1024)
#define REQUEST_SWEEP_MS 1000         /* how often request deadlines are checked */

struct sio_transport {
    transport_config cfg;
    struct lws_context *ctx;
    uv_loop_t loop;
    struct lws_protocols protocols[2];
    eio_engine *eng;
    lws_sorted_usec_list_t sul;
    int64_t scheduled; /* deadline the sul is set for, or INT64_MAX */
    int port;
    atomic_bool stop_requested;
    bool stopping;
    int64_t stop_deadline;
    sio_buf scratch; /* polling responses are built here */
    sio_buf ws_out;  /* WebSocket frames gathered for one send() */
    /* WebSockets with frames queued since the last flush (see want_write). */
    struct pss **flush;
    size_t n_flush, cap_flush;
    bool received; /* a WebSocket frame arrived in this round of events */
    /* Held polls are watched for the client hanging up: lws does not read a
     * connection in the middle of an HTTP transaction, so it would neither
     * see the hang-up nor stop polling the readable socket. */
    int held_epfd;
    struct lws *held_watch;
    /* Requests whose body is being read, each with a deadline for the whole
     * request (requestTimeout): lws's own timeout restarts at every byte, so
     * a body trickled a byte at a time would be held forever. */
    struct body_req *reading;
    lws_sorted_usec_list_t sweep;
};

enum conn_kind { K_NONE, K_HTTP, K_WS };

/* A request outside the Engine.IO path, for the http_handler. Allocated only
 * for those, so that a WebSocket's state stays small. */
struct ext_req {
    const char *method;
    char *path, *query, *auth, *ctype, *inm;
    char etag[64];
    const char *cache_control;
};

/* A request whose body is being read (POST). Allocated only for those. */
struct body_req {
    struct pss *p;
    struct body_req *prev, *next; /* in the transport's reading list */
    int64_t deadline;
    bool chunked;
    http_chunked dec;
};

/* Per-connection state. lws keeps it across keep-alive HTTP requests, so it
 * is reset at the start of each request. */
typedef struct pss {
    eio_conn conn; /* first: the engine hands it back */
    struct lws *wsi;
    sio_transport *t;
    uint8_t kind;
    bool close_requested; /* the engine let go: close at the next writable */
    bool in_flush;        /* listed in the transport's flush list */
    bool responding;      /* an HTTP response is ready to go */
    bool holding;         /* a polling GET waits for data */
    bool discard_body;    /* a POST refused before its body: drain, then answer */
    bool close_after;     /* say Connection: close, and close after the response */
    bool keep_alive_10;   /* an HTTP/1.0 request that asked for keep-alive */
    bool post;            /* a POST: its body is read */
    bool v3;              /* an Engine.IO v3 request: CORS with credentials */
    bool head;            /* a HEAD request: no body in the response */
    bool jsonp;           /* a JSONP poll or post (Engine.IO v3) */
    uint32_t jsonp_index;
    int8_t pending_error; /* eio_error to answer once a refused POST's body is drained */
    uint16_t status;
    const char *ctype;
    const char *acao;     /* Access-Control-Allow-Origin value, or NULL */
    char *origin;         /* copy of the request's Origin, when reflected */
    sio_buf body;         /* request body, then the response body */
    struct ext_req *ext;  /* a request for the http_handler, else NULL */
    struct body_req *breq; /* a body being read, else NULL */
} pss;

int64_t transport_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pss *pss_of(eio_conn *c) { return (pss *)c; }

/* --- engine requests ------------------------------------------------------ */

/* A WebSocket with new frames is listed, and written after the current
 * round of events (flush_writes, from transport_run or a timer): no
 * writable round trip (another loop wakeup, and POLLOUT switched on and off
 * with an epoll_ctl() each), and a burst leaves in one send(). The rest
 * (HTTP responses, closes, backlogs) waits for a writable callback. */
static void want_write(void *ctx, eio_conn *c)
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

static void unlist_flush(sio_transport *t, pss *p)
{
    for (size_t i = 0; p->in_flush && i < t->n_flush; i++)
        if (t->flush[i] == p)
            t->flush[i] = NULL;
    p->in_flush = false;
}

static void close_conn(void *ctx, eio_conn *c)
{
    pss *p = pss_of(c);
    p->close_requested = true;
    lws_callback_on_writable(p->wsi);
}

/* --- timers --------------------------------------------------------------- */

static void reschedule(sio_transport *t);
static void after_event(sio_transport *t);
static void flush_writes(sio_transport *t);

static void on_timer(lws_sorted_usec_list_t *sul)
{
    sio_transport *t = lws_container_of(sul, sio_transport, sul);
    t->scheduled = INT64_MAX;
    int64_t now = transport_now_ms();
    eio_engine_tick(t->eng, now);
    if (t->cfg.tick)
        t->cfg.tick(t->cfg.timer_ctx, now);
    after_event(t);
    /* lws runs due timers before it waits: what they queued (pings) must
     * leave now, not after the wait. */
    flush_writes(t);
}

static void reschedule(sio_transport *t)
{
    int64_t d = eio_engine_next_deadline(t->eng);
    if (t->cfg.next_deadline) {
        int64_t u = t->cfg.next_deadline(t->cfg.timer_ctx);
        if (u < d)
            d = u;
    }
    if (t->stopping && t->stop_deadline < d)
        d = t->stop_deadline;
    if (d == t->scheduled)
        return;
    t->scheduled = d;
    if (d == INT64_MAX) {
        lws_sul_cancel(&t->sul);
        return;
    }
    /* At least 1 ms: libuv runs a timer re-armed at 0 from its own callback
     * again at once, without returning (a past stop deadline would spin). */
    int64_t delay = d - transport_now_ms();
    lws_sul_schedule(t->ctx, 0, &t->sul, on_timer, (delay > 1 ? delay : 1) * LWS_US_PER_MS);
}

/* Work after any event: free what closed, move the timer. */
static void after_event(sio_transport *t)
{
    eio_engine_reap(t->eng);
    reschedule(t);
}

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

static void hold_end(pss *p)
{
    if (!p->holding)
        return;
    p->holding = false;
    epoll_ctl(p->t->held_epfd, EPOLL_CTL_DEL, lws_get_socket_fd(p->wsi), NULL);
}

/* Held polls whose socket hung up or sent something: the session ends (an
 * aborted poll ends the session) and the connection is closed. */
static void on_held_hangups(sio_transport *t)
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

/* --- HTTP helpers --------------------------------------------------------- */

static char *header_dup(struct lws *wsi, enum lws_token_indexes h)
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

static bool path_matches(const char *path, const char *want)
{
    size_t n = strlen(want);
    if (n && want[n - 1] == '/')
        n--; /* "/engine.io/" also matches "/engine.io" */
    return strncmp(path, want, n) == 0 && (path[n] == 0 || (path[n] == '/' && path[n + 1] == 0));
}

static void body_end(pss *p);

static void reset_http(pss *p)
{
    body_end(p);
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

static void refused(sio_transport *t, unsigned status, const char *what, const char *path)
{
    if (t->cfg.on_refused)
        t->cfg.on_refused(t->cfg.refused_ctx, status, what, path);
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
    eio_error_body(&p->body, e);
    refused(p->t, status, eio_error_message(e), path);
    lws_callback_on_writable(p->wsi);
}

/* An answer after which the connection is closed: the rest of the request
 * (a body we will not read, bytes we cannot frame) must never be parsed as
 * another request. */
static void respond_close(pss *p, unsigned status, const char *text, const char *path)
{
    p->close_after = true;
    respond(p, status, "text/plain", text);
    refused(p->t, status, text, path);
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
    after_event(t);
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
    char *conn = header_dup(wsi, WSI_TOKEN_CONNECTION);
    /* lws keeps an HTTP/1.0 connection open only for this exact value. */
    bool keep = http_keep_alive(minor1, conn) && (minor1 || strcasecmp(conn, "keep-alive") == 0);
    free(conn);
    p->close_after = !keep;
    p->keep_alive_10 = keep && !minor1;

    size_t total = 0;
    for (int h = 0; h < WSI_TOKEN_COUNT; h++)
        total += (size_t)lws_hdr_total_length(wsi, (enum lws_token_indexes)h);
    if (total > MAX_HEADER_BYTES) {
        respond_close(p, 431, "Request Header Fields Too Large", path);
        return true;
    }

    char *cl = header_dup(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
    char *te = header_dup(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING);
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
        if ((p->t->cfg.cors.credentials || p->v3) &&
            lws_add_http_header_by_name(wsi, (const unsigned char *)"access-control-allow-credentials:",
                                        (const unsigned char *)"true", 4, &q, end))
            return -1;
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"vary:",
                                        (const unsigned char *)"Origin", 6, &q, end))
            return -1;
    }
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
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

/* The CORS verdict for this request; fills p->acao. */
static eio_cors_verdict check_origin(pss *p, struct lws *wsi)
{
    char *origin = header_dup(wsi, WSI_TOKEN_ORIGIN);
    char *host = header_dup(wsi, WSI_TOKEN_HOST);
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

typedef struct query {
    char eio[16], transport[32], sid[64];
    eio_request req;
    bool jsonp;            /* a JSONP poll (the j parameter) */
    unsigned long jsonp_index;
} query;

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
        } else if (*c == '&' || *c == '=' || *c == '%' || *c == '+' || *c < 0x20) {
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
typedef struct url_args {
    struct lws *wsi;
    char *buf;
    int cap, next;
} url_args;

static void url_args_open(url_args *a, struct lws *wsi)
{
    a->wsi = wsi;
    a->cap = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) + 1;
    a->buf = malloc((size_t)a->cap);
    a->next = 0;
}

/* The next argument, or NULL after the last (or when out of memory). */
static const char *url_args_next(url_args *a)
{
    if (!a->buf || lws_hdr_copy_fragment(a->wsi, a->buf, a->cap, WSI_TOKEN_HTTP_URI_ARGS, a->next) < 0)
        return NULL;
    a->next++;
    return a->buf;
}

static void url_args_close(url_args *a)
{
    free(a->buf);
    a->buf = NULL;
}

/* The handshake's query string, rebuilt from lws's decoded arguments into
 * `b` (NUL-terminated). Returns b's text, or NULL when out of memory. */
static const char *handshake_query(struct lws *wsi, sio_buf *b)
{
    url_args a;
    url_args_open(&a, wsi);
    for (const char *arg; (arg = url_args_next(&a));)
        append_query_arg(b, arg);
    url_args_close(&a);
    if (sio_buf_putc(b, 0))
        return NULL;
    return (const char *)b->data;
}

/* One pass over the URL arguments (lws has already URL-decoded them). A
 * value too long for its field is kept cut: no valid one is. */
static void read_query(struct lws *wsi, query *q, eio_method m, bool upgrade)
{
    memset(q, 0, sizeof(*q));
    q->req.method = m;
    q->req.ws_upgrade = upgrade;
    url_args a;
    url_args_open(&a, wsi);
    for (const char *frag; (frag = url_args_next(&a));) {
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
    url_args_close(&a);
}

static int protocol_of(const query *q) { return q->req.eio && strcmp(q->req.eio, "3") == 0 ? 3 : 4; }

/* Admission of an Engine.IO request, CORS included. */
static eio_error admit(pss *p, struct lws *wsi, query *q, eio_session **s)
{
    eio_cors_verdict cv = check_origin(p, wsi);
    eio_error e = eio_engine_verify(p->t->eng, &q->req, s);
    /* v2 clients send credentials: an allowed origin is reflected with them. */
    p->v3 = *s ? eio_session_protocol(*s) == 3 : protocol_of(q) == 3;
    if (p->v3 && p->acao && strcmp(p->acao, "*") == 0)
        p->acao = p->origin;
    if (e == EIO_ERR_UNKNOWN_TRANSPORT)
        return e;
    if (cv == EIO_CORS_BAD_ORIGIN)
        return EIO_ERR_BAD_REQUEST;
    if (cv == EIO_CORS_FORBIDDEN)
        return EIO_ERR_FORBIDDEN;
    return e;
}

static eio_method method_of(struct lws *wsi, const char **name)
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

/* --- external requests (static files, API) -------------------------------- */

static void run_external(pss *p)
{
    sio_transport *t = p->t;
    transport_http_request req = {
        .method = p->ext->method,
        .path = p->ext->path,
        .query = p->ext->query ? p->ext->query : "",
        .authorization = p->ext->auth,
        .content_type = p->ext->ctype,
        .if_none_match = p->ext->inm,
        .body = p->body.data,
        .body_len = p->body.len,
    };
    transport_http_response res = {0};
    sio_buf_init(&res.body, SIO_HEADROOM);
    if (!t->cfg.http_handler || !t->cfg.http_handler(t->cfg.http_ctx, &req, &res)) {
        sio_buf_free(&res.body);
        refused(t, 404, "Not found", p->ext->path);
        respond(p, 404, "text/plain", "Not found");
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

static int start_external(pss *p, struct lws *wsi, const char *path, const char *method)
{
    framing f;
    if (!(p->ext = calloc(1, sizeof(*p->ext))))
        return -1;
    p->ext->method = method;
    p->ext->path = strdup(path);
    if (refuse_head(p, wsi, p->t->cfg.max_http_body, path, &f))
        return 0;
    p->ext->auth = header_dup(wsi, WSI_TOKEN_HTTP_AUTHORIZATION);
    p->ext->ctype = header_dup(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
    p->ext->inm = header_dup(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
    /* Rebuild the raw query string from lws's argument fragments. */
    sio_buf qs;
    sio_buf_init(&qs, 0);
    url_args a;
    url_args_open(&a, wsi);
    for (const char *arg; (arg = url_args_next(&a));) {
        if (qs.len)
            sio_buf_putc(&qs, '&');
        sio_buf_puts(&qs, arg);
    }
    url_args_close(&a);
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

static int on_http(pss *p, struct lws *wsi, const char *path, size_t path_len)
{
    sio_transport *t = p->t;
    reset_http(p);
    const char *mname;
    eio_method m = method_of(wsi, &mname);
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
    if (!path_matches(path, t->cfg.path))
        return start_external(p, wsi, path, mname);

    framing f;
    if (refuse_head(p, wsi, eio_engine_options(t->eng)->max_payload, path, &f))
        return 0;
    if (strcmp(mname, "OPTIONS") == 0) {
        eio_cors_verdict cv = check_origin(p, wsi);
        if (cv == EIO_CORS_FORBIDDEN || cv == EIO_CORS_BAD_ORIGIN)
            respond_error(p, cv == EIO_CORS_FORBIDDEN ? EIO_ERR_FORBIDDEN : EIO_ERR_BAD_REQUEST, path);
        else
            respond(p, 204, "text/plain", NULL);
        return 0;
    }
    query q;
    read_query(wsi, &q, m, false);
    p->jsonp = q.jsonp;
    p->jsonp_index = (uint32_t)q.jsonp_index;
    eio_session *s = NULL;
    eio_error e = admit(p, wsi, &q, &s);
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
        sio_buf hq;
        sio_buf_init(&hq, 0);
        if (!eio_engine_handshake_version(t->eng, EIO_POLLING, protocol_of(&q), q.req.b64,
                                          handshake_query(wsi, &hq), &p->conn, now))
            respond(p, 500, "text/plain", "Internal error");
        else
            hold_start(p);
        sio_buf_free(&hq);
        return 0;
    }
    e = eio_session_poll_get(s, &p->conn, now);
    if (e != EIO_ERR_NONE)
        respond_error(p, e, path);
    else
        hold_start(p);
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

static int on_http_body_done(pss *p);

static int on_http_body(pss *p, const void *in, size_t len)
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
            return on_http_body_done(p);
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

static int on_http_body_done(pss *p)
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
    if (p->jsonp) { /* the payload is the form field d */
        sio_buf payload;
        sio_buf_init(&payload, 0);
        if (eio_jsonp_unwrap(&payload, p->body.data, p->body.len) == 0)
            e = eio_session_poll_post(&p->conn, payload.data, payload.len, transport_now_ms());
        else
            e = eio_session_poll_post(&p->conn, NULL, 0, transport_now_ms()); /* invalid: closes */
        sio_buf_free(&payload);
    } else {
        e = eio_session_poll_post(&p->conn, p->body.data, p->body.len, transport_now_ms());
    }
    if (e == EIO_ERR_NONE)
        respond(p, 200, "text/html", "ok");
    else
        respond_error(p, e, "");
    return 0;
}

static int on_http_writable(pss *p)
{
    if (p->close_requested)
        return -1;
    if (p->responding)
        return write_response(p);
    if (!p->holding)
        return 0;
    sio_buf *out = &p->t->scratch;
    sio_buf_reset(out);
    if (eio_conn_take_payload(&p->conn, out) != 0)
        return 0; /* spurious */
    hold_end(p);
    p->status = 200;
    /* v3 binary framing starts with a kind byte 0 or 1 (see the engine). */
    p->ctype = out->len && out->data[0] <= 1 ? "application/octet-stream" : "text/plain; charset=UTF-8";
    sio_buf_reset(&p->body);
    if (p->jsonp) {
        p->ctype = "text/javascript; charset=UTF-8";
        if (eio_jsonp_wrap(&p->body, p->jsonp_index, out->data, out->len))
            return -1;
    } else if (sio_buf_append(&p->body, out->data, out->len)) {
        return -1;
    }
    if (out->cap > 65536)
        sio_buf_free(out);
    return write_response(p);
}

/* --- WebSocket -------------------------------------------------------------- */

/* Admission of a WebSocket upgrade. A request Node would refuse before its
 * handshake gets a plain 400 (431 for headers over the limit); one for a
 * session that cannot take it (upgraded, upgrading, or asking for another
 * transport) is accepted and then closed, as Node does, and the session is
 * left as it was. */
static int on_ws_filter(pss *p, struct lws *wsi)
{
    char path[256];
    size_t total = 0;
    for (int h = 0; h < WSI_TOKEN_COUNT; h++)
        total += (size_t)lws_hdr_total_length(wsi, (enum lws_token_indexes)h);
    if (total > MAX_HEADER_BYTES) {
        refused(p->t, 431, "Request Header Fields Too Large", "");
        lws_return_http_status(wsi, 431, NULL);
        return -1;
    }
    if (lws_hdr_copy(wsi, path, sizeof(path), WSI_TOKEN_GET_URI) <= 0 || !path_matches(path, p->t->cfg.path)) {
        lws_return_http_status(wsi, 400, NULL);
        return -1;
    }
    query q;
    read_query(wsi, &q, EIO_METHOD_GET, true);
    eio_session *s;
    eio_error e = admit(p, wsi, &q, &s);
    free(p->origin);
    p->origin = NULL;
    if (e != EIO_ERR_NONE) {
        refused(p->t, 400, eio_error_message(e), path);
        lws_return_http_status(wsi, 400, NULL);
        return -1;
    }
    return 0;
}

static int on_ws_established(pss *p, struct lws *wsi)
{
    sio_transport *t = p->t;
    p->kind = K_WS;
    sio_buf_init(&p->body, SIO_HEADROOM);
    query q;
    read_query(wsi, &q, EIO_METHOD_GET, true);
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
    eio_session *s = eio_engine_handshake_version(t->eng, EIO_WEBSOCKET, protocol_of(&q), q.req.b64,
                                                  handshake_query(wsi, &hq), &p->conn, now);
    sio_buf_free(&hq);
    return s ? 0 : -1;
}

static int on_ws_receive(pss *p, struct lws *wsi, const void *in, size_t len)
{
    size_t max = eio_engine_options(p->t->eng)->max_payload;
    bool first = lws_is_first_fragment(wsi), last = lws_is_final_fragment(wsi) &&
                                                   !lws_remaining_packet_payload(wsi);
    bool binary = lws_frame_is_binary(wsi);
    int64_t now = transport_now_ms();
    /* The frame header announces the whole size: refuse it before reading. */
    if (p->body.len + len + lws_remaining_packet_payload(wsi) > max)
        goto too_big;
    if (first && last && p->body.len == 0) { /* the common case: no copy */
        if (len > max)
            goto too_big;
        return eio_conn_ws_recv(&p->conn, in, len, binary, now) ? -1 : 0;
    }
    if (p->body.len + len > max)
        goto too_big;
    if (sio_buf_append(&p->body, in, len))
        return -1;
    if (!last)
        return 0;
    int rc = eio_conn_ws_recv(&p->conn, p->body.data, p->body.len, binary, now);
    sio_buf_free(&p->body);
    return rc ? -1 : 0;
too_big:
    lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
    return -1;
}

/* Frames up to this size are copied into one buffer and leave in one send():
 * a burst of broadcasts to a client costs one system call, not one each. */
#define WS_COALESCE_MAX (64 * 1024)

/* Appends a whole unmasked server frame (RFC 6455 5.2) to `out`. `type` is
 * the Engine.IO v3 binary type byte, or -1. */
static int append_ws_frame(sio_buf *out, const sio_msg *m, int type)
{
    size_t n = m->len + (type >= 0);
    unsigned char h[10];
    size_t hl = 2;
    h[0] = 0x80 | (m->binary ? 0x2 : 0x1); /* FIN, text or binary */
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
    if (type >= 0)
        out->data[out->len++] = (unsigned char)type;
    memcpy(out->data + out->len, m->data, m->len);
    out->len += m->len;
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
        if (m->len < WS_COALESCE_MAX) {
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

static int on_ws_writable(pss *p, struct lws *wsi)
{
    if (!p->close_requested && write_frames(p, wsi))
        return -1;
    if (p->close_requested) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    return 0;
}

/* Writes the listed WebSockets now, outside any lws callback. One whose
 * earlier write lws still holds in part waits for its writable callback
 * instead, so lws's buffer stays bounded by the write budget; a failed one
 * is closed by lws at its next timeout check, which the wake below brings
 * forward (lws checks its timers after an event). */
static void flush_writes(sio_transport *t)
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

/* --- the protocol callback -------------------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    pss *p = user;
    sio_transport *t = lws_context_user(lws_get_context(wsi));
    int rc = 0;
    if (p && !p->t) {
        p->t = t;
        p->wsi = wsi;
    }
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        rc = on_http(p, wsi, in, len);
        break;
    case LWS_CALLBACK_HTTP_BODY:
        rc = on_http_body(p, in, len);
        break;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        rc = on_http_body_done(p);
        break;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        rc = on_http_writable(p);
        break;
    case LWS_CALLBACK_RAW_RX_FILE:
        if (t && wsi == t->held_watch)
            on_held_hangups(t);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (t && wsi == t->held_watch)
            t->held_watch = NULL;
        break;
    case LWS_CALLBACK_CLOSED_HTTP:
        if (p && p->kind == K_HTTP) {
            hold_end(p);
            eio_conn_closed(&p->conn);
            reset_http(p);
            sio_buf_free(&p->body);
            p->kind = K_NONE;
        }
        break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        rc = on_ws_filter(p, wsi);
        break;
    case LWS_CALLBACK_ESTABLISHED:
        rc = on_ws_established(p, wsi);
        break;
    case LWS_CALLBACK_RECEIVE:
        t->received = true;
        rc = on_ws_receive(p, wsi, in, len);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        rc = on_ws_writable(p, wsi);
        break;
    case LWS_CALLBACK_CLOSED:
        unlist_flush(t, p);
        eio_conn_closed(&p->conn);
        sio_buf_free(&p->body);
        free(p->origin);
        p->origin = NULL;
        break;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (!t)
            return 0;
        if (atomic_load(&t->stop_requested) && !t->stopping) {
            t->stopping = true;
            t->stop_deadline = transport_now_ms() + STOP_GRACE_MS;
            eio_engine_close_all(t->eng);
        }
        if (t->cfg.on_wake)
            t->cfg.on_wake(t->cfg.wake_ctx);
        break;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    if (t)
        after_event(t);
    return rc;
}

/* --- lifecycle ---------------------------------------------------------------- */

void transport_config_defaults(transport_config *c)
{
    memset(c, 0, sizeof(*c));
    c->path = "/engine.io/";
    c->ws_rx_buffer = 256;
    c->max_http_body = 1u << 20;
    c->request_timeout_ms = 300000;
    c->keep_alive_secs = 5;
}

/* Runs the loop without waiting until nothing is left in it (bounded: a
 * handle that never closes must not hang the shutdown). */
static void drain_loop(sio_transport *t)
{
    for (int i = 0; i < 10000 && uv_run(&t->loop, UV_RUN_NOWAIT); i++)
        ;
}

/* Destroys the lws context (when there is one) and closes the loop. On a
 * foreign loop lws closes its handles asynchronously and frees the context
 * once they are closed (it then clears t->ctx, see info.pcontext); a
 * context that is still there after the loop ran dry is destroyed again,
 * which completes it. */
static void close_loop(sio_transport *t)
{
    for (int i = 0; i < 3 && t->ctx; i++) {
        lws_context_destroy(t->ctx);
        drain_loop(t);
    }
    drain_loop(t);
    uv_loop_close(&t->loop);
}

static sio_transport *failed(sio_transport *t, transport_failure *why, transport_error code, const char *msg)
{
    if (why && code != TRANSPORT_OK) {
        why->code = code;
        snprintf(why->message, sizeof(why->message), "%s", msg);
    }
    if (t) {
        eio_engine_free(t->eng);
        free(t);
    }
    return NULL;
}

sio_transport *transport_new(const transport_config *cfg, const eio_options *eopt,
                             const eio_handler *h, transport_failure *why)
{
    transport_failure ignored;
    if (!why)
        why = &ignored;
    char addr[64];
    if (transport_listen_check(cfg->bind_addr, cfg->port, addr, sizeof(addr), why) != TRANSPORT_OK)
        return NULL;
    sio_transport *t = calloc(1, sizeof(*t));
    if (!t)
        return failed(NULL, why, TRANSPORT_ENOMEM, "out of memory");
    t->cfg = *cfg;
    t->scheduled = INT64_MAX;
    sio_buf_init(&t->scratch, 0);
    sio_buf_init(&t->ws_out, 0);
    eio_transport_ops ops = {t, want_write, close_conn};
    t->eng = eio_engine_new(eopt, &ops, h);
    if (!t->eng)
        return failed(t, why, TRANSPORT_ENOMEM, "out of memory");
    size_t max_payload = eio_engine_options(t->eng)->max_payload;
    t->protocols[0] = (struct lws_protocols){
        .name = "engine.io",
        .callback = callback,
        .per_session_data_size = sizeof(pss),
        .rx_buffer_size = cfg->ws_rx_buffer,
        /* One send() per frame, whatever its size: lws buffers what the
         * kernel does not take. */
        .tx_packet_size = max_payload > (1u << 20) ? max_payload : (1u << 20),
    };
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = cfg->port;
    info.iface = addr[0] ? addr : NULL;
    info.protocols = t->protocols;
    info.user = t;
    /* lws on a libuv (epoll) loop of ours: a wakeup costs what is ready,
     * where lws's own poll() loop scans every connection each time. */
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_LIBUV;
    if (uv_loop_init(&t->loop))
        return failed(t, why, TRANSPORT_EEVENTLOOP, "cannot create a libuv event loop");
    void *loops[1] = {&t->loop};
    info.foreign_loops = loops;
    info.max_http_header_pool = 0; /* as many header tables as connections */
    info.max_http_header_data = LWS_HEADER_TABLE;
    info.keepalive_timeout = (int)cfg->keep_alive_secs;
    info.timeout_secs = 20;
    /* No lws validity timers: Engine.IO has its own heartbeat, and lws keeps
     * those timers in one sorted list, re-inserted (O(connections)) at every
     * frame received. */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};
    info.retry_and_idle_policy = &no_validity;
    info.pcontext = &t->ctx;
    t->ctx = lws_create_context(&info);
    if (!t->ctx) {
        /* The address was just bound: what fails is lws's start on libuv. */
        close_loop(t);
        return failed(t, why, TRANSPORT_EEVENTLOOP,
                      "cannot start libwebsockets on a libuv loop (is its plugin, package "
                      "libwebsockets-evlib-uv, installed?)");
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(t->ctx, "default");
    if (!vh) {
        /* Taken by another program since the check. A context whose vhost
         * failed cannot be destroyed on our loop without running callbacks
         * of a plugin lws has unloaded: it is left as it is. */
        char msg[sizeof(why->message)];
        snprintf(msg, sizeof(msg), "cannot listen on %s port %d", addr[0] ? addr : "0.0.0.0", cfg->port);
        return failed(t, why, TRANSPORT_ELISTEN, msg);
    }
    t->port = lws_get_vhost_listen_port(vh);
    t->held_epfd = epoll_create1(EPOLL_CLOEXEC);
    lws_sock_file_fd_type fd = {.filefd = t->held_epfd};
    if (t->held_epfd < 0 ||
        !(t->held_watch = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, "engine.io", NULL))) {
        if (t->held_epfd >= 0)
            close(t->held_epfd);
        close_loop(t);
        return failed(t, why, TRANSPORT_ENOMEM, "cannot watch held polls");
    }
    return t;
}

eio_engine *transport_engine(sio_transport *t) { return t->eng; }
int transport_port(const sio_transport *t) { return t->port; }

int transport_run(sio_transport *t)
{
    for (;;) {
        if (t->stopping && (eio_engine_session_count(t->eng) == 0 ||
                            transport_now_ms() >= t->stop_deadline))
            break;
        uv_run(&t->loop, UV_RUN_ONCE);
        /* lws reads a socket one rx buffer at a time, a round each. While
         * frames keep arriving, take the next rounds at once (no waiting)
         * before writing, a bounded number of times: what a burst queues
         * for a client then leaves in one send(), not one per frame. */
        for (int round = 0; t->received && round < FLUSH_MAX_ROUNDS; round++) {
            t->received = false;
            uv_run(&t->loop, UV_RUN_NOWAIT);
        }
        t->received = false;
        flush_writes(t);
    }
    return 0;
}

void transport_stop(sio_transport *t)
{
    atomic_store(&t->stop_requested, true);
    lws_cancel_service(t->ctx);
}

void transport_wake(sio_transport *t) { lws_cancel_service(t->ctx); }

void transport_free(sio_transport *t)
{
    if (!t)
        return;
    close_loop(t); /* closes every connection: the engine lets go */
    close(t->held_epfd);
    /* Sessions with no connection left (a polling client between requests)
     * are closed too, so the layer above frees what it holds for them. */
    eio_engine_shutdown(t->eng);
    eio_engine_free(t->eng);
    sio_buf_free(&t->scratch);
    sio_buf_free(&t->ws_out);
    free(t->flush);
    free(t);
}
