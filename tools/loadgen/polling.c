/* The HTTP/1.1 long-polling client: one keep-alive connection for the held
 * GET and one for POSTs. Packets sent while a POST is in flight wait in the
 * client's `pend` buffer and go together in the next POST, joined by the
 * record separator (Engine.IO v4 payloads). Responses are framed by
 * Content-Length, chunked encoding or the end of the connection; a GET's
 * payload goes to the Engine.IO parser packet by packet, then the next GET
 * is issued. */
#include "loadgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool post_flush(conn *c)
{
    if (!c->post) {
        c->post = calloc(1, sizeof(*c->post));
        if (!c->post)
            die("out of memory");
        c->post->fd = -1;
    }
    chan *ch = c->post;
    char hdr[512];
    int hn = snprintf(hdr, sizeof(hdr),
                      "POST %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: %s\r\n"
                      "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %zu\r\n\r\n",
                      G.path, c->sid ? c->sid : "", conn_target(c)->hostport, c->pend.len);
    if (ch->fd < 0) {
        buf_append(&ch->out, hdr, (size_t)hn);
        buf_append(&ch->out, c->pend.p + c->pend.off, c->pend.len);
        if (!chan_open(c, ch, 1))
            return false;
    } else {
        uint32_t gen = c->gen;
        if (!chan_send(c, ch, 1, hdr, (size_t)hn) || c->gen != gen)
            return false;
        if (!chan_send(c, ch, 1, c->pend.p + c->pend.off, c->pend.len))
            return false;
    }
    ch->busy = true;
    buf_consume(&c->pend, c->pend.len);
    return true;
}

bool get_issue(conn *c)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s?EIO=4&transport=polling%s%s HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n",
                     G.path, c->sid ? "&sid=" : "", c->sid ? c->sid : "", conn_target(c)->hostport);
    chan *ch = &c->ch;
    if (ch->fd < 0) {
        buf_append(&ch->out, req, (size_t)n);
        if (!chan_open(c, ch, 0))
            return false;
    } else if (!chan_send(c, ch, 0, req, (size_t)n)) {
        return false;
    }
    ch->busy = true;
    return true;
}

/* A complete polling response (GET: chno 0, POST: chno 1). */
static void on_http_response(conn *c, unsigned chno, int status, const char *body, size_t n, uint64_t now)
{
    uint32_t gen = c->gen;
    if (status != 200) {
        fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "HTTP %d on %s: %.*s", status,
             chno ? "POST" : "GET", (int)(n > 100 ? 100 : n), body);
        return;
    }
    if (chno == 1) {
        if (c->closing) {
            conn_close(c);
            return;
        }
        if (c->pend.len)
            post_flush(c);
        return;
    }
    const char *p = body, *end = body + n;
    while (p < end) {
        const char *sep = memchr(p, 0x1e, (size_t)(end - p));
        if (!sep)
            sep = end;
        on_eio_packet(c, p, (size_t)(sep - p), now);
        if (c->gen != gen)
            return;
        p = sep + 1;
    }
    if (!c->closing)
        get_issue(c);
}

/* HTTP responses on a polling channel. Returns bytes used (one response),
 * 0 for more; `eof`: the peer closed, the rest is the body. */
size_t process_http(conn *c, unsigned chno, const char *p, size_t n, bool eof, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    if (!ch->busy) {
        fail(c, F_PROTO, "HTTP data without a request");
        return 0;
    }
    const char *e = memmem(p, n, "\r\n\r\n", 4);
    if (!e) {
        if (n > 16384)
            fail(c, F_PROTO, "HTTP response head too long");
        else if (eof)
            fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "connection closed mid-response");
        return 0;
    }
    size_t hl = (size_t)(e - p) + 4;
    int st = http_status(p, hl);
    const char *v;
    size_t vl;
    bool close_after = http_header(p, hl, "connection:", &v, &vl) && vl == 5 && !strncasecmp(v, "close", 5);
    const char *body;
    size_t blen, used;
    if (http_header(p, hl, "content-length:", &v, &vl)) {
        blen = strtoul(v, NULL, 10);
        if (n - hl < blen) {
            if (eof)
                fail(c, F_CLOSE, "connection closed mid-body");
            return 0;
        }
        body = p + hl;
        used = hl + blen;
    } else if (http_header(p, hl, "transfer-encoding:", &v, &vl) && vl >= 7 &&
               !strncasecmp(v + vl - 7, "chunked", 7)) {
        const char *q = p + hl, *end = p + n;
        G.body.len = G.body.off = 0;
        for (;;) {
            const char *eol = memmem(q, (size_t)(end - q), "\r\n", 2);
            if (!eol) {
                if (eof)
                    fail(c, F_CLOSE, "connection closed mid-chunk");
                return 0;
            }
            size_t cl = strtoul(q, NULL, 16);
            q = eol + 2;
            if (cl == 0) {
                const char *te = memmem(q - 2, (size_t)(end - q + 2), "\r\n\r\n", 4);
                if (!te) {
                    if (eof)
                        fail(c, F_CLOSE, "connection closed mid-trailer");
                    return 0;
                }
                q = te + 4;
                break;
            }
            if ((size_t)(end - q) < cl + 2) {
                if (eof)
                    fail(c, F_CLOSE, "connection closed mid-chunk");
                return 0;
            }
            buf_append(&G.body, q, cl);
            q += cl + 2;
        }
        body = G.body.p ? G.body.p : "";
        blen = G.body.len;
        used = (size_t)(q - p);
    } else if (st == 204 || st == 304 || (st >= 100 && st < 200)) {
        body = p + hl;
        blen = 0;
        used = hl;
    } else {
        if (!eof)
            return 0; /* the body ends with the connection */
        body = p + hl;
        blen = n - hl;
        used = n;
        close_after = true;
    }
    ch->busy = false;
    if (close_after) {
        /* The body may live in ch->in, which closing frees: copy it first. */
        char *copy = malloc(blen + 1);
        if (!copy)
            die("out of memory");
        memcpy(copy, body, blen);
        chan_close(ch);
        on_http_response(c, chno, st, copy, blen, now);
        free(copy);
        return 0; /* the channel is gone: nothing more to parse */
    }
    on_http_response(c, chno, st, body, blen, now);
    return used;
}
