/* A raw HTTP/1.1 client for hostile-input tests. See raw_http.h. */
#include "raw_http.h"

#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

int raw_connect(raw_conn *c, int port)
{
    memset(c, 0, sizeof(*c));
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

int raw_send(raw_conn *c, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        ssize_t w = send(c->fd, s, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

int raw_send_str(raw_conn *c, const char *s) { return raw_send(c, s, strlen(s)); }

/* Reads what is there, waiting at most until `deadline`. Returns the bytes
 * read, 0 at EOF (c->eof set), or -1 when the time ran out. */
static ssize_t fill(raw_conn *c, int64_t deadline)
{
    if (c->eof)
        return 0;
    int64_t left = deadline - now_ms();
    if (left < 0)
        left = 0;
    struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
    int n = poll(&pfd, 1, (int)left);
    if (n <= 0)
        return -1;
    if (c->len + 65536 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 65536;
        while (cap < c->len + 65536)
            cap *= 2;
        c->buf = realloc(c->buf, cap);
        c->cap = cap;
    }
    ssize_t r = recv(c->fd, c->buf + c->len, c->cap - c->len - 1, 0);
    if (r <= 0) { /* FIN, or a reset */
        c->eof = true;
        return 0;
    }
    c->len += (size_t)r;
    c->buf[c->len] = 0;
    return r;
}

char *raw_header(const raw_response *r, const char *name)
{
    size_t n = strlen(name);
    for (const char *line = strstr(r->head, "\r\n"); line; line = strstr(line + 2, "\r\n")) {
        const char *h = line + 2;
        if (strncasecmp(h, name, n) == 0 && h[n] == ':') {
            const char *v = h + n + 1;
            while (*v == ' ')
                v++;
            const char *e = strstr(v, "\r\n");
            size_t len = e ? (size_t)(e - v) : strlen(v);
            char *out = malloc(len + 1);
            memcpy(out, v, len);
            out[len] = 0;
            return out;
        }
    }
    return NULL;
}

int raw_read_response(raw_conn *c, raw_response *r, int timeout_ms)
{
    memset(r, 0, sizeof(*r));
    int64_t deadline = now_ms() + timeout_ms;
    char *end;
    while (!(c->buf && (end = strstr(c->buf, "\r\n\r\n"))))
        if (fill(c, deadline) <= 0)
            return -1;
    size_t head_len = (size_t)(end - c->buf) + 4;
    r->head = malloc(head_len + 1);
    memcpy(r->head, c->buf, head_len);
    r->head[head_len] = 0;
    r->status = strncmp(r->head, "HTTP/1.", 7) == 0 ? atoi(r->head + 9) : 0;
    char *cl = raw_header(r, "content-length");
    size_t body = cl ? strtoul(cl, NULL, 10) : 0;
    free(cl);
    while (c->len < head_len + body)
        if (fill(c, deadline) <= 0) {
            raw_response_free(r);
            return -1;
        }
    r->body = malloc(body + 1);
    memcpy(r->body, c->buf + head_len, body);
    r->body[body] = 0;
    r->body_len = body;
    memmove(c->buf, c->buf + head_len + body, c->len - head_len - body);
    c->len -= head_len + body;
    c->buf[c->len] = 0;
    return 0;
}

void raw_response_free(raw_response *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

bool raw_wait_closed(raw_conn *c, int timeout_ms, size_t *extra)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (!c->eof)
        if (fill(c, deadline) < 0)
            break;
    if (extra)
        *extra = c->len;
    return c->eof && c->len == 0;
}

bool raw_stays_open(raw_conn *c, int ms)
{
    int64_t deadline = now_ms() + ms;
    while (now_ms() < deadline)
        if (fill(c, deadline) >= 0)
            return false; /* bytes, or the end */
    return !c->eof && c->len == 0;
}

void raw_close(raw_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    free(c->buf);
    memset(c, 0, sizeof(*c));
    c->fd = -1;
}
