/* The broadcast mode through sio-server's room chat (--chat ROOM), which
 * the Node reference (tools/bench/server.mjs --chat) speaks too:
 *   emit("join", ROOM, ack)                answered with [{"ok":true}]
 *   emit("message", {room, text})          no acknowledgement asked
 *   on("message", {room, from, text, at})  to every client of ROOM, the
 *                                          sender too
 * A client is ready once its join is acknowledged. The send time and the
 * burst travel in the text: "<t> <b> <payload>". */
#include "loadgen.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void chat_join(conn *c)
{
    char pkt[256];
    int n = snprintf(pkt, sizeof(pkt), "42%s0[\"join\",\"%s\"]", G.nsp_prefix, G.chat_room);
    c->state = C_JOIN_WAIT;
    eio_send(c, pkt, (size_t)n);
}

void chat_joined(conn *c, const char *p, const char *end, uint64_t now)
{
    if (!eat(&p, end, "{\"ok\":true}]", 12)) {
        fail(c, F_CONNECT, "join refused: %.*s", (int)(end - p > 80 ? 80 : end - p), p);
        return;
    }
    set_ready(c, now);
}

size_t chat_build(uint64_t t, uint32_t burst)
{
    char *d = G.tx + WS_HDR_MAX;
    size_t len = (size_t)sprintf(d, "42%s[\"message\",{\"room\":\"%s\",\"text\":\"%" PRIu64 " %" PRIu32 " ",
                                 G.nsp_prefix, G.chat_room, t, burst);
    memcpy(d + len, G.filler, G.payload);
    len += G.payload;
    memcpy(d + len, "\"}]", 3);
    return len + 3;
}

bool chat_stamp(const char *p, const char *end, uint64_t *t, uint64_t *b)
{
    const char *q = memmem(p, (size_t)(end - p), "\"text\":\"", 8);
    if (!q)
        return false;
    q += 8;
    return parse_u64(&q, end, t) && eat(&q, end, " ", 1) && parse_u64(&q, end, b);
}
