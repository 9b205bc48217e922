/* Socket events to protocol: on_event() takes one epoll event, completes a
 * connect, reads what arrived (a few reads a round, so one busy client
 * cannot hold the loop) and hands the bytes to the WebSocket or the polling
 * parser, keeping what they leave unparsed for the next read; an end of
 * connection either ends a response whose length is that end, or fails the
 * client. Stale events, for a client or channel closed since, are skipped. */
#include "loadgen.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

/* Bytes arrived (or the peer closed: eof) on a channel; p/n may point into
 * the channel's own buffer. Returns bytes used; stops when the client or the
 * channel is closed. */
static size_t process(conn *c, unsigned chno, const char *p, size_t n, bool eof, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    uint32_t gen = c->gen, seq = ch->seq;
    if (!c->polling) {
        size_t used = 0;
        if (ch->state != CS_WS) {
            used = process_upgrade(c, p, n);
            if (c->gen != gen || !used)
                return 0;
        }
        return used + process_ws(c, p + used, n - used, now);
    }
    size_t used = 0;
    while (used < n || eof) {
        size_t k = process_http(c, chno, p + used, n - used, eof, now);
        if (c->gen != gen || ch->seq != seq || !k)
            return used + k;
        used += k;
        if (!ch->busy)
            break; /* nothing more is expected until the next request */
    }
    return used;
}

static void on_input(conn *c, unsigned chno, const char *data, size_t n, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    uint32_t gen = c->gen, seq = ch->seq;
    if (ch->in.len == 0) {
        size_t used = process(c, chno, data, n, false, now);
        if (c->gen != gen || ch->seq != seq)
            return;
        if (used < n)
            buf_append(&ch->in, data + used, n - used);
    } else {
        buf_append(&ch->in, data, n);
        size_t used = process(c, chno, ch->in.p + ch->in.off, ch->in.len, false, now);
        if (c->gen != gen || ch->seq != seq)
            return;
        buf_consume(&ch->in, used);
    }
    if (ch->in.len > (72u << 20))
        fail(c, F_PROTO, "more than 72 MB of unparsed input");
}

static void on_eof(conn *c, unsigned chno, int err, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    if (c->polling && !err) {
        if (!ch->busy) { /* an idle keep-alive connection closed by the server */
            if (ch->in.len)
                fail(c, F_PROTO, "trailing bytes after a response");
            else
                chan_close(ch);
            return;
        }
        uint32_t gen = c->gen, seq = ch->seq;
        process(c, chno, ch->in.p ? ch->in.p + ch->in.off : "", ch->in.len, true, now);
        if (c->gen == gen && ch->seq == seq)
            fail(c, F_CLOSE, "connection closed with a request pending");
        return;
    }
    if (err)
        fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "%s", strerror(err));
    else
        fail(c, F_CLOSE, "connection closed by the server");
}

void on_event(uint64_t id, uint32_t events, uint64_t now)
{
    uint32_t idx = (uint32_t)(id & 0xffffffffu) >> 1, gen = (uint32_t)(id >> 32);
    unsigned chno = id & 1;
    if (idx >= G.clients)
        return;
    conn *c = &G.conns[idx];
    if (c->gen != gen || c->state == C_DEAD || c->state == C_FREE)
        return;
    chan *ch = chno ? c->post : &c->ch;
    if (!ch || ch->fd < 0)
        return;
    uint32_t seq = ch->seq;
    if (ch->state == CS_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof(err);
        getsockopt(ch->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "connect: %s", strerror(err));
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLIN)))
            return;
        ch->state = CS_OPEN;
        if (!chan_flush(c, ch, chno))
            return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        for (int round = 0; round < 4; round++) {
            ssize_t r = recv(ch->fd, G.rx, G.rx_cap, 0);
            if (r > 0) {
                on_input(c, chno, G.rx, (size_t)r, now);
                if (c->gen != gen || ch->seq != seq)
                    return;
                if ((size_t)r < G.rx_cap)
                    break;
                continue;
            }
            if (r == 0) {
                on_eof(c, chno, 0, now);
                return;
            }
            if (errno == EAGAIN || errno == EINTR)
                break;
            on_eof(c, chno, errno, now);
            return;
        }
    }
    if ((events & EPOLLOUT) && ch->out.len)
        chan_flush(c, ch, chno);
    else if ((events & EPOLLOUT) && ch->epout)
        chan_epoll(c, ch, chno, false);
}
