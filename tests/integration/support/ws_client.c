/* Minimal WebSocket client for integration tests. See ws_client.h. */
#include "ws_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int left_ms(int64_t deadline)
{
    int64_t r = deadline - mono_ms();
    return r < 0 ? 0 : r > INT_MAX ? INT_MAX : (int)r;
}

int tcp_connect(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        if (errno != EINPROGRESS) {
            close(fd);
            return -1;
        }
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int err = 0;
        socklen_t el = sizeof(err);
        if (poll(&p, 1, timeout_ms) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 ||
            err != 0) {
            close(fd);
            return -1;
        }
    }
    /* Blocking from here on; reads go through poll() with deadlines. */
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    return fd;
}

int tcp_write_all(int fd, const void *p, size_t n)
{
    const unsigned char *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

char *ws_request(int port, const char *path, const char *const headers[])
{
    size_t n = strlen(path) + 512;
    for (size_t i = 0; headers && headers[i]; i++)
        n += strlen(headers[i]) + 2;
    char *r = malloc(n);
    if (!r)
        return NULL;
    int off = snprintf(r, n,
                       "GET %s HTTP/1.1\r\n"
                       "Host: 127.0.0.1:%d\r\n"
                       "Upgrade: websocket\r\n"
                       "Connection: Upgrade\r\n"
                       "Sec-WebSocket-Key: " WS_TEST_KEY "\r\n"
                       "Sec-WebSocket-Version: 13\r\n",
                       path, port);
    for (size_t i = 0; headers && headers[i]; i++)
        off += snprintf(r + off, n - (size_t)off, "%s\r\n", headers[i]);
    snprintf(r + off, n - (size_t)off, "\r\n");
    return r;
}

/* Reads what is available into rx, waiting up to the deadline. 1: got
 * bytes; 0: timeout; -1: EOF or error. */
static int fill(ws_client *c, int64_t deadline)
{
    if (c->fd < 0)
        return -1;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int r;
    do
        r = poll(&p, 1, left_ms(deadline));
    while (r < 0 && errno == EINTR);
    if (r <= 0)
        return 0;
    if (c->rxlen + 65536 + 1 > c->rxcap) {
        size_t cap = c->rxcap ? c->rxcap * 2 : 131072;
        while (cap < c->rxlen + 65536 + 1)
            cap *= 2;
        unsigned char *n = realloc(c->rx, cap);
        if (!n)
            return -1;
        c->rx = n;
        c->rxcap = cap;
    }
    ssize_t n;
    do
        n = recv(c->fd, c->rx + c->rxlen, 65536, 0);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        return -1;
    c->rxlen += (size_t)n;
    return 1;
}

static void consume(ws_client *c, size_t n)
{
    memmove(c->rx, c->rx + n, c->rxlen - n);
    c->rxlen -= n;
}

static char *find_crlf2(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n')
            return (char *)p + i;
    return NULL;
}

static char *header_value(const char *hdrs, const char *name)
{
    size_t n = strlen(name);
    for (const char *l = hdrs; l && *l;) {
        const char *eol = strstr(l, "\r\n");
        size_t ll = eol ? (size_t)(eol - l) : strlen(l);
        if (ll > n && strncasecmp(l, name, n) == 0 && l[n] == ':') {
            const char *v = l + n + 1;
            while (*v == ' ')
                v++;
            return strndup(v, (size_t)(l + ll - v));
        }
        l = eol ? eol + 2 : NULL;
    }
    return NULL;
}

int ws_connect_extra(ws_client *c, int port, const char *path, const char *const headers[],
                     const void *extra, size_t extra_len, int timeout_ms)
{
    memset(c, 0, sizeof(*c));
    c->fd = -1;
    c->close_code = -1;
    c->mask_seed = 0x9e3779b9u ^ (uint32_t)mono_ms();
    int64_t deadline = mono_ms() + timeout_ms;
    c->fd = tcp_connect(port, timeout_ms);
    if (c->fd < 0)
        return -1;
    char *req = ws_request(port, path, headers);
    if (!req)
        goto fail;
    size_t rl = strlen(req);
    int rc = 0;
    if (extra_len) {
        char *all = malloc(rl + extra_len);
        memcpy(all, req, rl);
        memcpy(all + rl, extra, extra_len);
        rc = tcp_write_all(c->fd, all, rl + extra_len);
        free(all);
    } else {
        rc = tcp_write_all(c->fd, req, rl);
    }
    free(req);
    if (rc != 0)
        goto fail;
    char *end;
    while (!(end = find_crlf2(c->rx, c->rxlen))) {
        if (fill(c, deadline) != 1)
            goto fail;
    }
    size_t hl = (size_t)(end - (char *)c->rx) + 4;
    c->resp_headers = strndup((char *)c->rx, hl);
    consume(c, hl);
    if (sscanf(c->resp_headers, "HTTP/1.%*d %d", &c->status) != 1)
        goto fail;
    if (c->status != 101) {
        /* Keep what follows (a refusal's body) until the server closes or a
         * short deadline. */
        int64_t body_deadline = mono_ms() + 500;
        if (body_deadline > deadline)
            body_deadline = deadline;
        while (fill(c, body_deadline) == 1)
            ;
        c->resp_body = strndup(c->rx ? (char *)c->rx : "", c->rxlen);
        c->rxlen = 0;
        close(c->fd);
        c->fd = -1;
        c->closed = true;
        return c->status;
    }
    char *accept = header_value(c->resp_headers, "Sec-WebSocket-Accept");
    bool ok = accept && strcmp(accept, WS_TEST_ACCEPT) == 0;
    free(accept);
    if (!ok) {
        fprintf(stderr, "ws_client: bad Sec-WebSocket-Accept in:\n%s", c->resp_headers);
        goto fail;
    }
    return 101;
fail:
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->closed = true;
    return -1;
}

int ws_connect(ws_client *c, int port, const char *path, const char *const headers[], int timeout_ms)
{
    return ws_connect_extra(c, port, path, headers, NULL, 0, timeout_ms);
}

static uint32_t next_mask(ws_client *c)
{
    /* xorshift32 */
    uint32_t x = c->mask_seed ? c->mask_seed : 0x12345678u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c->mask_seed = x;
    return x;
}

int ws_send_frame(ws_client *c, int opcode, bool fin, const void *data, size_t len)
{
    if (c->fd < 0)
        return -1;
    unsigned char hdr[14];
    size_t h = 0;
    hdr[h++] = (unsigned char)((fin ? 0x80 : 0) | (opcode & 0x0f));
    if (len < 126) {
        hdr[h++] = (unsigned char)(0x80 | len);
    } else if (len <= 0xffff) {
        hdr[h++] = 0x80 | 126;
        hdr[h++] = (unsigned char)(len >> 8);
        hdr[h++] = (unsigned char)len;
    } else {
        hdr[h++] = 0x80 | 127;
        for (int i = 7; i >= 0; i--)
            hdr[h++] = (unsigned char)((uint64_t)len >> (8 * i));
    }
    uint32_t m = next_mask(c);
    unsigned char mask[4] = {(unsigned char)(m >> 24), (unsigned char)(m >> 16), (unsigned char)(m >> 8),
                             (unsigned char)m};
    memcpy(hdr + h, mask, 4);
    h += 4;
    unsigned char *buf = malloc(h + len);
    if (!buf)
        return -1;
    memcpy(buf, hdr, h);
    const unsigned char *d = data;
    for (size_t i = 0; i < len; i++)
        buf[h + i] = d[i] ^ mask[i & 3];
    int rc = tcp_write_all(c->fd, buf, h + len);
    free(buf);
    return rc;
}

int ws_send_text(ws_client *c, const char *s) { return ws_send_frame(c, WS_OP_TEXT, true, s, strlen(s)); }

int ws_send_binary(ws_client *c, const void *data, size_t len)
{
    return ws_send_frame(c, WS_OP_BINARY, true, data, len);
}

int ws_send_close(ws_client *c, int code)
{
    unsigned char p[2] = {(unsigned char)(code >> 8), (unsigned char)code};
    c->close_sent = true;
    return ws_send_frame(c, WS_OP_CLOSE, true, p, 2);
}

int ws_send_raw(ws_client *c, const void *data, size_t len)
{
    return c->fd < 0 ? -1 : tcp_write_all(c->fd, data, len);
}

/* Parses one frame from rx if complete. 1: parsed; 0: need more. */
static int parse_frame(ws_client *c, ws_frame *f)
{
    if (c->rxlen < 2)
        return 0;
    const unsigned char *p = c->rx;
    bool masked = p[1] & 0x80;
    uint64_t len = p[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
        if (c->rxlen < 4)
            return 0;
        len = ((uint64_t)p[2] << 8) | p[3];
        h = 4;
    } else if (len == 127) {
        if (c->rxlen < 10)
            return 0;
        len = 0;
        for (int i = 0; i < 8; i++)
            len = (len << 8) | p[2 + i];
        h = 10;
    }
    unsigned char mask[4] = {0};
    if (masked) {
        if (c->rxlen < h + 4)
            return 0;
        memcpy(mask, p + h, 4);
        h += 4;
    }
    if (c->rxlen < h + len)
        return 0;
    f->fin = p[0] & 0x80;
    f->opcode = p[0] & 0x0f;
    f->len = (size_t)len;
    f->data = malloc(f->len + 1);
    for (size_t i = 0; i < f->len; i++)
        f->data[i] = p[h + i] ^ (masked ? mask[i & 3] : 0);
    f->data[f->len] = 0;
    consume(c, h + (size_t)len);
    return 1;
}

static void mark_closed(ws_client *c)
{
    c->closed = true;
    if (c->close_code < 0)
        c->close_code = 1006;
}

int ws_read_frame(ws_client *c, ws_frame *f, int timeout_ms)
{
    memset(f, 0, sizeof(*f));
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        if (parse_frame(c, f)) {
            if (f->opcode == WS_OP_CLOSE) {
                c->close_frame = true;
                c->close_code = f->len >= 2 ? (f->data[0] << 8 | f->data[1]) : 1005;
                if (!c->close_sent) { /* answer it, as a client does */
                    c->close_sent = true;
                    ws_send_frame(c, WS_OP_CLOSE, true, f->data, f->len >= 2 ? 2 : 0);
                }
                ws_frame_free(f);
                mark_closed(c);
                return -1;
            }
            return 1;
        }
        if (c->closed && c->fd < 0)
            return -1;
        int r = fill(c, deadline);
        if (r == 0)
            return 0;
        if (r < 0) {
            if (parse_frame(c, f)) /* a last frame in the buffer */
                continue;
            mark_closed(c);
            return -1;
        }
    }
}

int ws_recv(ws_client *c, ws_msg *m, int timeout_ms)
{
    memset(m, 0, sizeof(*m));
    int64_t deadline = mono_ms() + timeout_ms;
    ws_frame f;
    for (;;) {
        int r = ws_read_frame(c, &f, left_ms(deadline));
        if (r != 1) {
            ws_frame_free(m);
            return r;
        }
        if (f.opcode == WS_OP_PING) {
            ws_send_frame(c, WS_OP_PONG, true, f.data, f.len);
            ws_frame_free(&f);
            continue;
        }
        if (f.opcode == WS_OP_PONG) {
            ws_frame_free(&f);
            continue;
        }
        if (f.opcode != WS_OP_CONT) {
            ws_frame_free(m);
            m->opcode = f.opcode;
        }
        unsigned char *n = realloc(m->data, m->len + f.len + 1);
        if (!n) {
            ws_frame_free(&f);
            ws_frame_free(m);
            return -1;
        }
        m->data = n;
        memcpy(m->data + m->len, f.data, f.len);
        m->len += f.len;
        m->data[m->len] = 0;
        bool fin = f.fin;
        ws_frame_free(&f);
        if (fin) {
            m->fin = true;
            return 1;
        }
    }
}

bool ws_expect_text(ws_client *c, const char *want, int timeout_ms)
{
    ws_msg m;
    int r = ws_recv(c, &m, timeout_ms);
    if (r != 1) {
        fprintf(stderr, "ws_client: wanted text \"%s\", got %s (close code %d)\n", want,
                r == 0 ? "nothing before the deadline" : "the connection closed", c->close_code);
        return false;
    }
    bool ok = m.opcode == WS_OP_TEXT && m.len == strlen(want) && memcmp(m.data, want, m.len) == 0;
    if (!ok)
        fprintf(stderr, "ws_client: wanted text \"%s\", got opcode %d \"%.*s\"\n", want, m.opcode,
                (int)(m.len > 200 ? 200 : m.len), (const char *)m.data);
    ws_msg_free(&m);
    return ok;
}

bool ws_wait_closed(ws_client *c, int timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    ws_frame f;
    for (;;) {
        int r = ws_read_frame(c, &f, left_ms(deadline));
        if (r < 0)
            return true;
        if (r == 0)
            return false;
        if (f.opcode == WS_OP_PING)
            ws_send_frame(c, WS_OP_PONG, true, f.data, f.len);
        ws_frame_free(&f);
    }
}

void ws_frame_free(ws_frame *f)
{
    free(f->data);
    f->data = NULL;
    f->len = 0;
}

void ws_disconnect(ws_client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->rx);
    free(c->resp_headers);
    free(c->resp_body);
    c->rx = NULL;
    c->resp_headers = c->resp_body = NULL;
    c->rxlen = c->rxcap = 0;
}
