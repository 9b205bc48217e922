/* The Engine.IO v4 and Socket.IO v5 client side, over either transport:
 * answers the server's pings, sends the Socket.IO CONNECT after the
 * Engine.IO open and counts the client ready at its reply, builds the
 * messages of the benchmark (each carrying its send time as "t"), and hands
 * answers to the mode that waits for them. With --eio the messages are raw
 * Engine.IO messages and the client is ready at the open packet. */
#include "loadgen.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Sends the Engine.IO packet at G.tx + WS_HDR_MAX (n bytes). */
bool eio_send_tx(conn *c, size_t n)
{
    if (!c->polling)
        return ws_send_tx(c, 0x1, n);
    if (c->pend.len)
        buf_append(&c->pend, "\x1e", 1);
    buf_append(&c->pend, G.tx + WS_HDR_MAX, n);
    if (c->post && c->post->busy)
        return true; /* goes with the next POST */
    return post_flush(c);
}

bool eio_send(conn *c, const char *pkt, size_t n)
{
    memcpy(G.tx + WS_HDR_MAX, pkt, n);
    return eio_send_tx(c, n);
}

/* Builds the packet of a message at G.tx + WS_HDR_MAX; returns its length. */
size_t build_msg(int kind, uint64_t t, uint32_t ack_id, uint32_t burst)
{
    char *d = G.tx + WS_HDR_MAX;
    int n;
    if (kind == K_BCAST && G.chat_room)
        return chat_build(t, burst);
    if (G.eio)
        n = sprintf(d, "4{\"t\":%" PRIu64 ",\"p\":\"", t);
    else if (kind == K_ECHO)
        n = sprintf(d, "42%s[\"message\",{\"t\":%" PRIu64 ",\"p\":\"", G.nsp_prefix, t);
    else if (kind == K_ACK)
        n = sprintf(d, "42%s%" PRIu32 "[\"message-with-ack\",{\"t\":%" PRIu64 ",\"p\":\"", G.nsp_prefix,
                    ack_id, t);
    else
        n = sprintf(d, "42%s[\"broadcast\",{\"t\":%" PRIu64 ",\"b\":%" PRIu32 ",\"p\":\"", G.nsp_prefix,
                    t, burst);
    size_t len = (size_t)n;
    memcpy(d + len, G.filler, G.payload);
    len += G.payload;
    memcpy(d + len, G.eio ? "\"}" : "\"}]", G.eio ? 2 : 3);
    len += G.eio ? 2 : 3;
    return len;
}

/* Parses an unsigned decimal at *p; advances it. */
bool parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *q = *p;
    uint64_t v = 0;
    if (q >= end || !isdigit((unsigned char)*q))
        return false;
    while (q < end && isdigit((unsigned char)*q))
        v = v * 10 + (uint64_t)(*q++ - '0');
    *p = q;
    *out = v;
    return true;
}

bool eat(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
        return false;
    *p += n;
    return true;
}

static void on_sio_packet(conn *c, const char *p, size_t n, uint64_t now)
{
    const char *end = p + n, *q = p + 1;
    if (n == 0) {
        fail(c, F_PROTO, "empty Socket.IO packet");
        return;
    }
    if (q < end && *q == '/') { /* namespace */
        while (q < end && *q != ',')
            q++;
        if (q < end)
            q++;
    }
    uint64_t id;
    switch (p[0]) {
    case '0':
        if (c->state != C_SIO_WAIT) {
            fail(c, F_PROTO, "unexpected CONNECT");
            return;
        }
        if (G.chat_room)
            chat_join(c);
        else
            set_ready(c, now);
        return;
    case '1':
        fail(c, F_CLOSE, "server DISCONNECT %.*s", (int)(n > 80 ? 80 : n), p);
        return;
    case '4':
        fail(c, F_CONNECT, "CONNECT_ERROR %.*s", (int)(n > 120 ? 120 : n), p);
        return;
    case '2':
        while (q < end && isdigit((unsigned char)*q))
            q++;
        if (eat(&q, end, "[\"message-back\",", 16)) {
            on_answer(c, q, end, now);
        } else if (eat(&q, end, "[\"broadcast-back\",", 18) ||
                   (G.chat_room && eat(&q, end, "[\"message\",", 11))) {
            on_broadcast(c, q, end, now);
        } else if (!eat(&q, end, "[\"auth\"", 7)) {
            fail(c, F_PROTO, "unexpected event %.*s", (int)(n > 60 ? 60 : n), p);
        }
        return;
    case '3':
        if (!parse_u64(&q, end, &id) || !eat(&q, end, "[", 1)) {
            fail(c, F_PROTO, "bad ACK %.*s", (int)(n > 60 ? 60 : n), p);
            return;
        }
        if (c->state == C_JOIN_WAIT) {
            chat_joined(c, q, end, now);
            return;
        }
        if (G.mode == M_ACK && id + 1 != c->next_ack) {
            fail(c, F_PROTO, "ACK id %" PRIu64 ", expected %" PRIu32, id, c->next_ack - 1);
            return;
        }
        on_answer(c, q, end, now);
        return;
    default:
        fail(c, F_PROTO, "unexpected Socket.IO packet %.*s", (int)(n > 60 ? 60 : n), p);
        return;
    }
}

void on_eio_packet(conn *c, const char *p, size_t n, uint64_t now)
{
    if (n == 0) {
        fail(c, F_PROTO, "empty Engine.IO packet");
        return;
    }
    switch (p[0]) {
    case '0': {
        if (c->state != C_OPEN_WAIT) {
            fail(c, F_PROTO, "unexpected open packet");
            return;
        }
        if (c->polling) {
            const char *s = memmem(p, n, "\"sid\":\"", 7), *e;
            if (!s || !(e = memchr(s + 7, '"', (size_t)(p + n - (s + 7)))) || e - s - 7 > 200) {
                fail(c, F_PROTO, "open packet without sid");
                return;
            }
            c->sid = strndup(s + 7, (size_t)(e - s - 7));
        }
        if (G.eio) {
            set_ready(c, now);
            return;
        }
        c->state = C_SIO_WAIT;
        char pkt[160];
        int k = snprintf(pkt, sizeof(pkt), "40%s", G.nsp_prefix);
        eio_send(c, pkt, (size_t)k);
        return;
    }
    case '1':
        fail(c, F_CLOSE, "Engine.IO close packet");
        return;
    case '2':
        if (n == 1)
            eio_send(c, "3", 1);
        return;
    case '3':
    case '6':
        return;
    case '4':
        if (c->state < C_SIO_WAIT) {
            fail(c, F_PROTO, "message before open");
            return;
        }
        if (G.eio) {
            if (c->state == C_READY)
                on_answer(c, p + 1, p + n, now);
            return;
        }
        on_sio_packet(c, p + 1, n - 1, now);
        return;
    default:
        fail(c, F_PROTO, "unexpected Engine.IO packet type %c", p[0]);
        return;
    }
}
