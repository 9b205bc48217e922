/* Channels: the non-blocking TCP connections of the clients, in one epoll
 * set. A channel's epoll data names its client slot, the client's
 * generation and the channel (0: the WebSocket or the polling GET, 1: the
 * polling POST). Bytes are sent at once when the socket takes them, and
 * queued with EPOLLOUT asked for otherwise. On a socket error the client is
 * failed (closed), which every function returning false says. */
#include "loadgen.h"

#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t chan_id(const conn *c, unsigned chno)
{
    return (uint64_t)c->gen << 32 | (uint64_t)c->idx << 1 | chno;
}

void chan_epoll(conn *c, chan *ch, unsigned chno, bool out)
{
    if (ch->epout == out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = chan_id(c, chno)};
    epoll_ctl(G.ep, EPOLL_CTL_MOD, ch->fd, &ev);
    ch->epout = out;
}

void chan_close(chan *ch)
{
    if (ch->fd >= 0)
        close(ch->fd); /* also leaves the epoll set */
    ch->fd = -1;
    ch->seq++;
    ch->state = CS_CLOSED;
    ch->epout = false;
    ch->busy = false;
    ch->frag_op = 0;
    buf_free(&ch->in);
    buf_free(&ch->out);
    buf_free(&ch->frag);
}

/* Opens the TCP connection of a channel (non-blocking). false: failed, the
 * client is closed. */
bool chan_open(conn *c, chan *ch, unsigned chno)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(c, F_CONNECT, "socket: %s", strerror(errno));
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (G.source_addrs > 1) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001u + (G.bind_rr++ % G.source_addrs));
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
            close(fd);
            fail(c, F_CONNECT, "bind: %s", strerror(errno));
            return false;
        }
    }
    ch->fd = fd;
    ch->state = CS_CONNECTING;
    const struct sockaddr_in *dst = &conn_target(c)->dst;
    if (connect(fd, (const struct sockaddr *)dst, sizeof(*dst)) == 0)
        ch->state = CS_OPEN;
    else if (errno != EINPROGRESS) {
        fail(c, F_CONNECT, "connect: %s", strerror(errno));
        return false;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = chan_id(c, chno)};
    if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail(c, F_CONNECT, "epoll_ctl: %s", strerror(errno));
        return false;
    }
    ch->epout = true;
    return true;
}

/* Writes what is queued. false: the client was closed. */
bool chan_flush(conn *c, chan *ch, unsigned chno)
{
    while (ch->out.len) {
        ssize_t w = send(ch->fd, ch->out.p + ch->out.off, ch->out.len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "send: %s", strerror(errno));
            return false;
        }
        buf_consume(&ch->out, (size_t)w);
    }
    chan_epoll(c, ch, chno, ch->out.len > 0);
    return true;
}

/* Sends bytes on a channel, queueing what the socket does not take.
 * false: the client was closed. */
bool chan_send(conn *c, chan *ch, unsigned chno, const void *data, size_t n)
{
    if (ch->state != CS_CONNECTING && ch->out.len == 0) {
        ssize_t w = send(ch->fd, data, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "send: %s", strerror(errno));
                return false;
            }
            w = 0;
        }
        if ((size_t)w == n)
            return true;
        data = (const char *)data + w;
        n -= (size_t)w;
    }
    buf_append(&ch->out, data, n);
    if (ch->state != CS_CONNECTING)
        chan_epoll(c, ch, chno, true);
    return true;
}
