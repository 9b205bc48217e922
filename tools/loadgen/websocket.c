/* The WebSocket client (RFC 6455): the HTTP/1.1 upgrade with its
 * Sec-WebSocket-Accept checked, masked frames out, fragmented and control
 * frames in (pings answered, a close frame echoed), no extensions. Text
 * messages go to the Engine.IO parser; anything the server should not send
 * fails the client as a protocol error. */
#include "loadgen.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* The client's Sec-WebSocket-Key, derived from its slot and generation. */
static void ws_key(const conn *c, char out[32])
{
    uint8_t raw[16];
    uint64_t a = (uint64_t)c->idx * 0x9E3779B97F4A7C15ull ^ c->gen, b = a * 0xBF58476D1CE4E5B9ull + 7;
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    base64(raw, 16, out);
}

static void ws_accept_for(const conn *c, char out[40])
{
    char key[32], cat[96];
    uint8_t dig[20];
    ws_key(c, key);
    size_t n = (size_t)snprintf(cat, sizeof(cat), "%s%s", key, ws_guid);
    sha1(cat, n, dig);
    base64(dig, 20, out);
}

/* Starts the WebSocket handshake: the upgrade request is queued, and sent
 * once the TCP connection is open. */
void ws_open(conn *c)
{
    char key[32], req[1024];
    ws_key(c, key);
    int n = snprintf(req, sizeof(req),
                     "GET %s?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     G.path, conn_target(c)->hostport, key);
    buf_append(&c->ch.out, req, (size_t)n);
    chan_open(c, &c->ch, 0);
}

/* Frames (masked) the text at G.tx + WS_HDR_MAX, n bytes, and sends it. */
bool ws_send_tx(conn *c, unsigned op, size_t n)
{
    char *payload = G.tx + WS_HDR_MAX;
    size_t h = n < 126 ? 2 : n < 65536 ? 4 : 10;
    h += 4;
    char *f = payload - h;
    f[0] = (char)(0x80 | op);
    if (n < 126) {
        f[1] = (char)(0x80 | n);
    } else if (n < 65536) {
        f[1] = (char)(0x80 | 126);
        f[2] = (char)(n >> 8);
        f[3] = (char)n;
    } else {
        f[1] = (char)(0x80 | 127);
        for (int i = 0; i < 8; i++)
            f[2 + i] = (char)((uint64_t)n >> (56 - 8 * i));
    }
    uint32_t key32 = (uint32_t)rng();
    uint8_t key[4];
    memcpy(key, &key32, 4);
    memcpy(payload - 4, key, 4);
    uint64_t k64;
    uint8_t kb[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    memcpy(&k64, kb, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, payload + i, 8);
        w ^= k64;
        memcpy(payload + i, &w, 8);
    }
    for (; i < n; i++)
        payload[i] = (char)(payload[i] ^ key[i & 3]);
    return chan_send(c, &c->ch, 0, f, h + n);
}

/* WebSocket upgrade response. Returns bytes used, 0 for more. */
size_t process_upgrade(conn *c, const char *p, size_t n)
{
    const char *e = memmem(p, n, "\r\n\r\n", 4);
    if (!e) {
        if (n > 16384)
            fail(c, F_PROTO, "upgrade response head too long");
        return 0;
    }
    size_t hl = (size_t)(e - p) + 4;
    int st = http_status(p, hl);
    if (st != 101) {
        const char *eol = memchr(p, '\r', hl);
        fail(c, F_CONNECT, "upgrade refused: %.*s", (int)(eol ? eol - p : 40), p);
        return 0;
    }
    const char *v;
    size_t vl;
    char want[40];
    ws_accept_for(c, want);
    if (!http_header(p, hl, "sec-websocket-accept:", &v, &vl) || vl != strlen(want) || memcmp(v, want, vl)) {
        fail(c, F_PROTO, "bad or missing Sec-WebSocket-Accept");
        return 0;
    }
    if (http_header(p, hl, "sec-websocket-extensions:", &v, &vl)) {
        fail(c, F_PROTO, "server chose an extension we did not offer");
        return 0;
    }
    c->ch.state = CS_WS;
    c->state = C_OPEN_WAIT;
    return hl;
}

static void on_ws_message(conn *c, unsigned op, const char *p, size_t n, uint64_t now)
{
    if (op != 0x1) {
        fail(c, F_PROTO, "unexpected binary message");
        return;
    }
    on_eio_packet(c, p, n, now);
}

/* WebSocket frames. Returns bytes used. */
size_t process_ws(conn *c, const char *data, size_t n, uint64_t now)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t used = 0;
    uint32_t gen = c->gen;
    chan *ch = &c->ch;
    while (n - used >= 2) {
        const uint8_t *f = p + used;
        size_t avail = n - used, h = 2;
        bool fin = f[0] & 0x80;
        unsigned op = f[0] & 0x0f;
        uint64_t len = f[1] & 0x7f;
        if (f[0] & 0x70) {
            fail(c, F_PROTO, "RSV bits set without an extension");
            return 0;
        }
        if (f[1] & 0x80) {
            fail(c, F_PROTO, "masked frame from the server");
            return 0;
        }
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t)f[2] << 8 | f[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | f[2 + i];
            h = 10;
        }
        if (len > (64u << 20)) {
            fail(c, F_PROTO, "frame of %" PRIu64 " bytes", len);
            return 0;
        }
        if (avail < h + len)
            break;
        const char *pl = (const char *)f + h;
        used += h + (size_t)len;
        if (op & 0x8) { /* control */
            if (!fin || len > 125) {
                fail(c, F_PROTO, "bad control frame");
                return 0;
            }
            if (op == 0x8) {
                unsigned code = len >= 2 ? ((unsigned)(uint8_t)pl[0] << 8 | (uint8_t)pl[1]) : 0;
                memcpy(G.tx + WS_HDR_MAX, pl, len >= 2 ? 2 : 0);
                ws_send_tx(c, 0x8, len >= 2 ? 2 : 0);
                if (c->gen == gen)
                    fail(c, F_CLOSE, "WebSocket close frame (code %u)", code);
                return 0;
            } else if (op == 0x9) {
                memcpy(G.tx + WS_HDR_MAX, pl, (size_t)len);
                if (!ws_send_tx(c, 0xA, (size_t)len))
                    return 0;
            } else if (op != 0xA) {
                fail(c, F_PROTO, "unknown control opcode %u", op);
                return 0;
            }
            continue;
        }
        if (op == 0x0) {
            if (!ch->frag_op) {
                fail(c, F_PROTO, "continuation without a message");
                return 0;
            }
            buf_append(&ch->frag, pl, (size_t)len);
            if (fin) {
                unsigned fop = ch->frag_op;
                ch->frag_op = 0;
                on_ws_message(c, fop, ch->frag.p + ch->frag.off, ch->frag.len, now);
                if (c->gen != gen)
                    return 0;
                buf_consume(&ch->frag, ch->frag.len);
            }
        } else if (op == 0x1 || op == 0x2) {
            if (ch->frag_op) {
                fail(c, F_PROTO, "new message inside a fragmented one");
                return 0;
            }
            if (fin) {
                on_ws_message(c, op, pl, (size_t)len, now);
                if (c->gen != gen)
                    return 0;
            } else {
                ch->frag_op = (uint8_t)op;
                buf_append(&ch->frag, pl, (size_t)len);
            }
        } else {
            fail(c, F_PROTO, "unknown opcode %u", op);
            return 0;
        }
    }
    return used;
}
