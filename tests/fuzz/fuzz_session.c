/* Fuzz target: one Engine.IO engine and its Socket.IO core driven without
 * I/O, as the transport binding drives them: handshakes, WebSocket frames,
 * polling GETs and POSTs (JSONP included), upgrade probes, dropped
 * connections, clock ticks and work posted from other threads, for up to
 * four clients at once, against namespaces whose handlers emit, ack, hold
 * acks, join and leave rooms, broadcast, disconnect and post.
 *
 * Input: a sequence of steps, each an op byte, a length byte and that many
 * bytes of data (cut short at the end of the input). The op byte's low four
 * bits choose the action (taken modulo 11), bits 4-5 the client, bits 6-7 a
 * variant:
 *    0 open     handshake a new session; variant bit 0: WebSocket (else
 *               polling), bit 1: Engine.IO v3 (else v4); data: the query
 *    1 text     a WebSocket text frame (variant bit 0: on the probe)
 *    2 binary   a WebSocket binary frame (variant bit 0: on the probe)
 *    3 post     a polling POST with the data as body; variant bit 0: JSONP
 *               (the body is form-encoded), bit 1: the body comes later
 *               (the POST stays open; the next post without it finishes it)
 *    4 get      a polling GET, held until there is something to send
 *    5 probe    a WebSocket probing an upgrade
 *    6 tick     the clock moves on (data[0] picks how far)
 *    7 read     the client reads: WebSocket frames and the held GET's
 *               answer (variant 0: everything, else at most that many frames)
 *    8 drop     the client drops a connection (variant: WebSocket, probe,
 *               GET, POST)
 *    9 server   the application acts on its own (data[0] picks what)
 *   10 posted   the loop runs the work other threads posted
 * After each step the engine reaps, as the binding does after every event.
 *
 * Checks, beyond memory safety and leaks:
 *   - the engine asks for writes only on connections it holds and closes
 *     only those it let go of;
 *   - everything the client reads decodes with the server's own decoders:
 *     each polling answer as a whole (v4 payload, v3 text or binary
 *     framing), each frame as an Engine.IO packet, each Socket.IO packet
 *     (but CONNECT_ERROR, which clients never send) with sio_decode, and a
 *     binary packet's attachments follow it, as many as announced, before
 *     any other message;
 *   - after a tick no timer is due any more;
 *   - what the application is given is sound: auth and query are JSON,
 *     sio_args_json is an array of the arguments, strings and binaries are
 *     there, a second answer to an ack is refused;
 *   - at the end, with every connection dropped and the engine shut down,
 *     every message is released. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "eio/eio_codec.h"
#include "eio/eio_engine.h"
#include "fuzz_check.h"
#include "sio.h"
#include "sio/sio_codec.h"
#include "sio/sio_core.h"
#include "util/buf.h"
#include "util/json.h"
#include "util/msg.h"
#include "util/rand_id.h"

#define MAX_CLIENTS 4
#define MAX_CONNS 256
#define MAX_STEPS 1024
#define MAX_HELD_ACKS 8
#define MAX_SOCKETS 8
#define ACK_TIMEOUT_MS 700

enum {
    OP_OPEN,
    OP_TEXT,
    OP_BINARY,
    OP_POST,
    OP_GET,
    OP_PROBE,
    OP_TICK,
    OP_READ,
    OP_DROP,
    OP_SERVER,
    OP_POSTED,
    OP_COUNT
};

typedef struct client {
    bool used;
    char sid[SIO_ID_LEN + 1];
    int protocol; /* Engine.IO 3 or 4 */
    /* The latest connection of each kind; the engine may have let go. */
    eio_conn *ws, *probe, *get, *post;
    unsigned pending_bins; /* attachments still owed by the last binary packet */
} client;

static struct world {
    int64_t now;
    sio_server *srv;
    eio_engine *eng;
    eio_conn conns[MAX_CONNS];
    size_t nconns;
    client cl[MAX_CLIENTS];
    sio_ack *held[MAX_HELD_ACKS];
    size_t nheld;
    sio_socket *sockets[MAX_SOCKETS]; /* references to recently connected sockets */
    size_t nsockets, next_socket;
} W;

static int64_t fake_clock(void) { return W.now; }

/* --- the fake transport ------------------------------------------------------ */

static void want_write(void *ctx, eio_conn *c)
{
    FUZZ_CHECK(ctx == &W && c != NULL);
    FUZZ_CHECK(c->session != NULL); /* only a connection the engine holds */
}

static void close_conn(void *ctx, eio_conn *c)
{
    FUZZ_CHECK(ctx == &W && c != NULL);
    FUZZ_CHECK(c->session == NULL); /* the engine let go first */
}

static eio_conn *new_conn(void)
{
    if (W.nconns == MAX_CONNS)
        return NULL;
    eio_conn *c = &W.conns[W.nconns++];
    memset(c, 0, sizeof(*c));
    return c;
}

/* --- the application ------------------------------------------------------------ */

static bool valid_json(const char *s, json_type want)
{
    json_doc d;
    if (json_parse(&d, s, strlen(s), NULL) != JSON_OK)
        return false;
    bool ok = json_type_of(&d, 0) == want;
    json_doc_free(&d);
    return ok;
}

/* Reads every argument through every accessor. */
static void look_at_args(const sio_args *a)
{
    size_t n = sio_args_count(a);
    for (size_t i = 0; i < n && i < 16; i++) {
        size_t len = 0;
        const char *j = sio_arg_json(a, i, &len);
        FUZZ_CHECK(j != NULL && len > 0);
        FUZZ_CHECK(json_validate(j, len, NULL) == JSON_OK);
        int64_t iv;
        double dv;
        bool bv;
        switch (sio_arg_type(a, i)) {
        case SIO_T_STRING: {
            char *s = sio_arg_string(a, i);
            FUZZ_CHECK(s != NULL);
            free(s);
            break;
        }
        case SIO_T_NUMBER:
            if (sio_arg_int(a, i, &iv))
                FUZZ_CHECK(sio_arg_double(a, i, &dv));
            break;
        case SIO_T_BOOL:
            FUZZ_CHECK(sio_arg_bool(a, i, &bv) && bv == (j[0] == 't'));
            break;
        case SIO_T_BINARY:
            FUZZ_CHECK(sio_arg_binary(a, i, &len) != NULL);
            break;
        default:
            FUZZ_CHECK(sio_arg_string(a, i) == NULL && !sio_arg_bool(a, i, &bv));
            break;
        }
    }
    FUZZ_CHECK(sio_arg_type(a, n) == SIO_T_NULL && sio_arg_json(a, n, &(size_t){0}) == NULL);
    size_t len;
    const char *all = sio_args_json(a, &len);
    FUZZ_CHECK(all != NULL && strlen(all) == len);
    json_doc d;
    FUZZ_CHECK(json_parse(&d, all, len, NULL) == JSON_OK);
    FUZZ_CHECK(json_type_of(&d, 0) == JSON_ARRAY && (size_t)json_size(&d, 0) == n);
    json_doc_free(&d);
    for (size_t k = 0; k < sio_args_binary_count(a); k++)
        FUZZ_CHECK(sio_args_binary(a, k, &len) != NULL);
}

/* The attachments of the arguments, to send them back. */
static size_t arg_bins(const sio_args *a, sio_binary *bins, size_t max)
{
    size_t n = sio_args_binary_count(a);
    if (n > max)
        n = max;
    for (size_t k = 0; k < n; k++)
        bins[k].data = sio_args_binary(a, k, &bins[k].len);
    return n;
}

/* Up to `max` string arguments from index `from`, decoded (the caller frees). */
static size_t arg_strings(const sio_args *a, size_t from, char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = from; i < sio_args_count(a) && n < max; i++) {
        char *s = sio_arg_string(a, i);
        if (s)
            out[n++] = s;
    }
    return n;
}

static void free_strings(char **s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(s[i]);
}

static void keep_socket(sio_socket *s)
{
    size_t k = W.next_socket++ % MAX_SOCKETS;
    if (W.sockets[k])
        sio_socket_unref(W.sockets[k]);
    else
        W.nsockets++;
    W.sockets[k] = sio_socket_ref(s);
}

static void on_ack_reply(sio_socket *s, const sio_args *reply, int err, void *user)
{
    FUZZ_CHECK(s != NULL);
    if (reply) {
        FUZZ_CHECK(err == 0);
        look_at_args(reply);
    } else {
        FUZZ_CHECK(err == SIO_ACK_TIMEOUT || err == SIO_ECLOSED || err == SIO_ENOMEM);
    }
}

static void on_event(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    FUZZ_CHECK(sio_socket_connected(s));
    look_at_args(args);
    sio_namespace *nsp = sio_socket_namespace(s);
    size_t len;
    const char *json = sio_args_json(args, &len);
    sio_binary bins[8];
    size_t nbins = arg_bins(args, bins, 8);
    char *strs[4];
    size_t nstrs = arg_strings(args, 0, strs, 4);
    int rc = SIO_OK;

    if (strcmp(event, "echo") == 0) {
        rc = sio_emit_binary(s, "echo", json, bins, nbins);
    } else if (strcmp(event, "ack") == 0 && ack) {
        rc = sio_ack_send(ack, json, bins, nbins);
        FUZZ_CHECK(sio_ack_send(ack, "[]", NULL, 0) == SIO_ESTATE);
    } else if (strcmp(event, "hold") == 0 && ack && W.nheld < MAX_HELD_ACKS) {
        W.held[W.nheld++] = sio_ack_retain(ack);
    } else if (strcmp(event, "join") == 0) {
        for (size_t i = 0; i < nstrs; i++) {
            FUZZ_CHECK(sio_join(s, strs[i]) == SIO_OK);
            FUZZ_CHECK(sio_in_room(s, strs[i]));
        }
        FUZZ_CHECK(sio_room_count(s) >= (nstrs ? 1 : 0));
    } else if (strcmp(event, "leave") == 0) {
        for (size_t i = 0; i < nstrs; i++) {
            FUZZ_CHECK(sio_leave(s, strs[i]) == SIO_OK);
            FUZZ_CHECK(!sio_in_room(s, strs[i]));
        }
    } else if (strcmp(event, "bcast") == 0 || strcmp(event, "vbcast") == 0) {
        sio_target to = {.rooms = (const char *const *)strs, .n_rooms = nstrs, .exclude = s,
                         .is_volatile = event[0] == 'v'};
        rc = sio_broadcast(nsp, &to, "bcast", json, bins, nbins);
    } else if (strcmp(event, "except") == 0) {
        sio_target to = {.except = (const char *const *)strs, .n_except = nstrs};
        rc = sio_broadcast(nsp, &to, "except", json, bins, nbins);
    } else if (strcmp(event, "ask") == 0) {
        unsigned timeout = sio_arg_type(args, 0) == SIO_T_BOOL ? ACK_TIMEOUT_MS : 0;
        rc = sio_emit_with_ack(s, "ask", json, bins, nbins, timeout, on_ack_reply, NULL);
    } else if (strcmp(event, "volatile") == 0) {
        rc = sio_emit_volatile(s, "volatile", nbins ? NULL : json);
    } else if (strcmp(event, "bye") == 0) {
        sio_disconnect(s, false);
    } else if (strcmp(event, "close") == 0) {
        sio_disconnect(s, true);
    } else if (strcmp(event, "kickroom") == 0) {
        sio_disconnect_room(nsp, nstrs ? strs[0] : NULL, nstrs > 1);
    } else if (strcmp(event, "post") == 0) {
        rc = sio_post_emit(sio_socket_server(s), sio_namespace_name(nsp), nstrs ? NULL : sio_socket_id(s),
                           (const char *const *)strs, nstrs, "posted", nbins ? NULL : json);
    } else if (strcmp(event, "postkick") == 0) {
        rc = sio_post_disconnect(sio_socket_server(s), sio_namespace_name(nsp),
                                 nstrs ? NULL : sio_socket_id(s), nstrs ? strs[0] : NULL);
    }
    /* Not checked: arguments with a placeholder but no attachment (valid
     * in an EVENT) are refused back with SIO_EINVAL, by design. */
    (void)rc;
    free_strings(strs, nstrs);
}

static void on_connection(sio_socket *s, void *user)
{
    FUZZ_CHECK(sio_socket_connected(s));
    FUZZ_CHECK(sio_in_room(s, sio_socket_id(s)));
    FUZZ_CHECK(valid_json(sio_socket_auth(s), JSON_OBJECT));
    FUZZ_CHECK(valid_json(sio_socket_query(s), JSON_OBJECT));
    keep_socket(s);
    FUZZ_CHECK(sio_join(s, "lobby") == SIO_OK);
    int rc = sio_emit(s, "welcome", "[\"hi\",{\"n\":1}]");
    FUZZ_CHECK(rc == SIO_OK || rc == SIO_EFULL || rc == SIO_ECLOSED);
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    FUZZ_CHECK(reason && *reason);
    FUZZ_CHECK(!sio_socket_connected(s));
    FUZZ_CHECK(sio_emit(s, "late", NULL) == SIO_ECLOSED);
}

/* Refuses an auth with "deny", disconnects one with "kick", emits before
 * the CONNECT reply for one with "early" (a volatile emit is dropped then). */
static bool middleware(sio_socket *s, const char **message, const char **data_json, void *user)
{
    const char *auth = sio_socket_auth(s);
    if (strstr(auth, "deny")) {
        *message = "denied";
        *data_json = strstr(auth, "data") ? "{\"why\":[1,\"x\"]}" : NULL;
        return false;
    }
    if (strstr(auth, "kick")) {
        sio_disconnect(s, false);
        return true;
    }
    if (strstr(auth, "early")) {
        static const sio_binary bin = {"\x01", 1};
        FUZZ_CHECK(sio_emit(s, "early", "[1]") == SIO_OK);
        FUZZ_CHECK(sio_emit_binary(s, "early", "[{\"_placeholder\":true,\"num\":0}]", &bin, 1) == SIO_OK);
        FUZZ_CHECK(sio_emit_volatile(s, "early", NULL) == SIO_EAGAIN);
    }
    return true;
}

static void setup_namespace(sio_namespace *nsp, void *user)
{
    static const char *const events[] = {"echo", "ack", "hold", "join", "leave", "bcast", "vbcast",
                                         "except", "ask", "volatile", "bye", "close", "kickroom",
                                         "post", "postkick"};
    sio_on_connection(nsp, on_connection, NULL);
    sio_on_disconnect(nsp, on_disconnect, NULL);
    for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
        FUZZ_CHECK(sio_on(nsp, events[i], on_event, NULL) == SIO_OK);
    sio_on_any(nsp, on_event, NULL);
    if (strcmp(sio_namespace_name(nsp), "/") != 0)
        FUZZ_CHECK(sio_use(nsp, middleware, NULL) == SIO_OK);
}

static bool dyn_filter(sio_server *srv, const char *name, const char *auth_json, void *user)
{
    FUZZ_CHECK(name[0] == '/');
    return strstr(auth_json, "open") != NULL;
}

/* --- what the client reads ---------------------------------------------------------- */

/* One Engine.IO packet as the client receives it. */
static void client_gets(client *c, eio_packet_type type, bool binary, const unsigned char *p, size_t n)
{
    FUZZ_CHECK(type >= EIO_OPEN && type <= EIO_NOOP);
    if (type != EIO_MESSAGE) {
        FUZZ_CHECK(!binary);
        return;
    }
    if (binary) {
        FUZZ_CHECK(c->pending_bins > 0); /* announced by a binary packet */
        c->pending_bins--;
        return;
    }
    FUZZ_CHECK(c->pending_bins == 0); /* attachments come first */
    FUZZ_CHECK(n >= 1 && p[0] >= '0' && p[0] <= '6');
    if (p[0] - '0' == SIO_PKT_CONNECT_ERROR)
        return;
    sio_packet pkt;
    int rc = sio_decode((const char *)p, n, NULL, &pkt);
    FUZZ_CHECK(rc == SIO_DECODE_OK);
    c->pending_bins = pkt.attachments;
    sio_packet_free(&pkt);
}

static void check_frame(client *c, const sio_msg *m)
{
    if (m->binary) {
        client_gets(c, EIO_MESSAGE, true, m->data, m->len);
        return;
    }
    eio_packet pkt;
    FUZZ_CHECK(eio_decode_text(m->data, m->len, &pkt) == EIO_CODEC_OK);
    client_gets(c, pkt.type, false, pkt.data, pkt.len);
}

static void check_poll_answer(client *c, const sio_buf *out)
{
    FUZZ_CHECK(out->len > 0);
    bool v3 = c->protocol == 3, binary_framing = v3 && out->data[0] <= 1;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    size_t pos = 0;
    int rc;
    eio_packet pkt;
    while ((rc = !v3            ? eio_payload_next(out->data, out->len, &pos, &scratch, &pkt)
                 : binary_framing ? eio_payload3_next_binary(out->data, out->len, &pos, &pkt)
                                  : eio_payload3_next(out->data, out->len, &pos, &scratch, &pkt)) == 1)
        client_gets(c, pkt.type, pkt.binary, pkt.data, pkt.len);
    FUZZ_CHECK(rc == 0);
    sio_buf_free(&scratch);
}

static void read_frames(client *c, eio_conn *conn, unsigned max)
{
    for (unsigned k = 0; conn && k < max; k++) {
        sio_msg *m = eio_conn_next_frame(conn);
        if (!m)
            break;
        check_frame(c, m);
        sio_msg_unref(m);
    }
}

/* --- the steps ----------------------------------------------------------------------- */

static eio_session *lookup(client *c, eio_method method, bool upgrade, const char *transport)
{
    if (!c->used)
        return NULL;
    eio_request r = {.method = method, .ws_upgrade = upgrade, .eio = c->protocol == 3 ? "3" : "4",
                     .transport = transport, .sid = c->sid};
    eio_session *s = NULL;
    if (eio_engine_verify(W.eng, &r, &s) != EIO_ERR_NONE)
        return NULL;
    FUZZ_CHECK(s != NULL && strcmp(eio_session_sid(s), c->sid) == 0);
    return s;
}

/* The connection that carries the session's WebSocket frames, if any. */
static eio_conn *ws_conn(client *c, bool prefer_probe)
{
    eio_conn *first = prefer_probe ? c->probe : c->ws, *second = prefer_probe ? c->ws : c->probe;
    if (first && first->session)
        return first;
    return second && second->session ? second : NULL;
}

static void op_open(client *c, unsigned variant, const uint8_t *p, size_t n)
{
    eio_conn *conn = new_conn();
    if (!conn)
        return;
    bool ws = variant & 1;
    int protocol = variant & 2 ? 3 : 4;
    char query[256];
    size_t qn = strnlen((const char *)p, n < sizeof(query) - 1 ? n : sizeof(query) - 1);
    memcpy(query, p, qn);
    query[qn] = 0;
    eio_request r = {.method = EIO_METHOD_GET, .ws_upgrade = ws, .eio = protocol == 3 ? "3" : "4",
                     .transport = ws ? "websocket" : "polling"};
    eio_session *none = NULL;
    FUZZ_CHECK(eio_engine_verify(W.eng, &r, &none) == EIO_ERR_NONE && none == NULL);
    eio_session *s = eio_engine_handshake_version(W.eng, ws ? EIO_WEBSOCKET : EIO_POLLING, protocol,
                                                  strstr(query, "b64=") != NULL, query, NULL, conn, W.now);
    FUZZ_CHECK(s != NULL);
    memset(c, 0, sizeof(*c));
    c->used = true;
    memcpy(c->sid, eio_session_sid(s), SIO_ID_LEN + 1);
    c->protocol = protocol;
    if (ws)
        c->ws = conn;
    else
        c->get = conn;
}

static void op_frame(client *c, unsigned variant, bool binary, const uint8_t *p, size_t n)
{
    eio_conn *conn = ws_conn(c, variant & 1);
    if (!conn)
        return;
    if (eio_conn_ws_recv(conn, p, n, binary, W.now) != 0)
        eio_conn_closed(conn); /* the binding closes it */
}

static void op_post(client *c, unsigned variant, const uint8_t *p, size_t n)
{
    eio_conn *conn = c->post;
    if (!conn || !conn->session || (variant & 2)) {
        eio_session *s = lookup(c, EIO_METHOD_POST, false, "polling");
        if (!s || !(conn = new_conn()))
            return;
        if (eio_session_poll_post_begin(s, conn) != EIO_ERR_NONE)
            return; /* a second POST at once: answered 400, the session closed */
        c->post = conn;
        if (variant & 2)
            return; /* the body comes later */
    }
    conn->jsonp = variant & 1; /* the body is a JSONP form, which the engine unwraps */
    eio_error e = eio_session_poll_post(conn, p, n, W.now);
    conn->jsonp = false;
    FUZZ_CHECK(e == EIO_ERR_NONE || e == EIO_ERR_BAD_REQUEST);
    FUZZ_CHECK(conn->session == NULL); /* released either way */
}

static void op_get(client *c)
{
    eio_session *s = lookup(c, EIO_METHOD_GET, false, "polling");
    eio_conn *conn;
    if (!s || !(conn = new_conn()))
        return;
    if (eio_session_poll_get(s, conn, W.now) == EIO_ERR_NONE)
        c->get = conn;
}

static void op_probe(client *c)
{
    eio_session *s = lookup(c, EIO_METHOD_GET, true, "websocket");
    eio_conn *conn;
    if (!s || !(conn = new_conn()))
        return;
    if (eio_session_ws_probe(s, conn, W.now) == EIO_ERR_NONE)
        c->probe = conn;
}

static void op_tick(const uint8_t *p, size_t n)
{
    static const int64_t steps[] = {1, 100, 299, 300, 500, ACK_TIMEOUT_MS, 1000, 1500, 2000, 5000};
    W.now += steps[(n ? p[0] : 0) % (sizeof(steps) / sizeof(steps[0]))];
    eio_engine_tick(W.eng, W.now);
    sio_core_tick(W.srv, W.now);
    FUZZ_CHECK(sio_core_next_deadline(W.srv) > W.now);
    FUZZ_CHECK(eio_engine_next_deadline(W.eng) > W.now);
}

static void op_read(client *c, unsigned variant)
{
    unsigned max = variant ? variant : 1u << 20;
    read_frames(c, c->ws, max);
    read_frames(c, c->probe, max);
    if (c->get && c->get->session) {
        sio_buf out;
        sio_buf_init(&out, 0);
        if (eio_conn_take_payload(c->get, &out) == 0) {
            FUZZ_CHECK(c->get->session == NULL);
            check_poll_answer(c, &out);
        }
        sio_buf_free(&out);
    }
}

static void op_drop(client *c, unsigned variant)
{
    eio_conn *conns[] = {c->ws, c->probe, c->get, c->post};
    if (conns[variant & 3])
        eio_conn_closed(conns[variant & 3]);
}

static sio_socket *pick_socket(const uint8_t *p, size_t n, size_t at)
{
    if (!W.nsockets)
        return NULL;
    return W.sockets[(n > at ? p[at] : 0) % W.nsockets];
}

/* The application acting outside any callback. */
static void op_server(client *c, const uint8_t *p, size_t n)
{
    static const sio_binary bin[2] = {{"\x00\x01\xff", 3}, {"", 0}};
    sio_namespace *root = sio_of(W.srv, "/");
    sio_socket *s = pick_socket(p, n, 1);
    /* A room name from the data after the first two bytes. */
    char room[64] = "lobby";
    if (n > 2) {
        size_t rn = strnlen((const char *)p + 2, n - 2 < sizeof(room) - 1 ? n - 2 : sizeof(room) - 1);
        memcpy(room, p + 2, rn);
        room[rn] = 0;
    }
    const char *rooms[1] = {room};
    sio_target to = {.rooms = rooms, .n_rooms = 1};
    switch ((n ? p[0] : 0) % 12) {
    case 0:
        sio_broadcast(root, NULL, "news", "[1,\"all\"]", NULL, 0);
        break;
    case 1:
        sio_broadcast(s ? sio_socket_namespace(s) : root, &to, "news", "[{\"_placeholder\":true,\"num\":1}]",
                      bin, 2);
        break;
    case 2:
        if (s)
            sio_emit_with_ack(s, "q", "[2]", NULL, 0, n > 3 && p[3] & 1 ? ACK_TIMEOUT_MS : 0, on_ack_reply,
                              NULL);
        break;
    case 3:
        if (s)
            sio_disconnect(s, n > 3 && p[3] & 1);
        break;
    case 4:
        sio_disconnect_room(root, n > 2 ? room : NULL, n > 3 && p[3] & 1);
        break;
    case 5:
        if (W.nheld) {
            sio_ack *a = W.held[--W.nheld];
            if (n > 3 && p[3] & 1)
                sio_ack_discard(a);
            else
                sio_ack_send(a, "[{\"_placeholder\":true,\"num\":0}]", bin, 1);
        }
        break;
    case 6: {
        /* An upgrade request finds the session whatever its transport. */
        eio_session *es = lookup(c, EIO_METHOD_GET, true, "websocket");
        if (es)
            eio_session_close(es);
        break;
    }
    case 7:
        eio_engine_close_all(W.eng);
        break;
    case 8:
        sio_post_emit(W.srv, "/", s ? sio_socket_id(s) : NULL, rooms, s ? 0 : 1, "posted", "[true]");
        break;
    case 9:
        sio_post_disconnect(W.srv, "/", s ? sio_socket_id(s) : NULL, s ? NULL : room);
        break;
    case 10:
        if (s)
            sio_emit_binary(s, "bin", "[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
                            bin, 2);
        break;
    case 11:
        if (s)
            sio_emit_volatile(s, "v", NULL);
        break;
    }
}

/* --- one input ----------------------------------------------------------------------- */

static void world_start(void)
{
    memset(&W, 0, sizeof(W));
    W.now = 1000;
    sio_options so;
    sio_options_init(&so);
    so.connect_timeout = 2000;
    so.max_attachments = 4;
    W.srv = sio_core_new(&so);
    FUZZ_CHECK(W.srv != NULL);
    W.srv->clock = fake_clock;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.ping_interval = 1000;
    eo.ping_timeout = 500;
    eo.upgrade_timeout = 300;
    eo.max_queue_bytes = 2048; /* a few unread messages fill it */
    eo.max_poll_packets = 4;
    eio_transport_ops ops = {&W, want_write, close_conn, NULL};
    eio_handler h = sio_core_engine_handler(W.srv);
    W.eng = eio_engine_new(&eo, &ops, &h);
    FUZZ_CHECK(W.eng != NULL);
    W.srv->eng = W.eng;

    setup_namespace(sio_of(W.srv, "/"), NULL);
    setup_namespace(sio_of(W.srv, "/custom"), NULL);
    FUZZ_CHECK(sio_dynamic_namespaces(W.srv, "/dyn-*", NULL, setup_namespace, NULL) == SIO_OK);
    FUZZ_CHECK(sio_dynamic_namespaces(W.srv, NULL, dyn_filter, setup_namespace, NULL) == SIO_OK);
}

static void world_end(void)
{
    while (W.nheld)
        sio_ack_discard(W.held[--W.nheld]);
    /* The binding drops every connection, then shuts the engine down. */
    for (size_t i = 0; i < W.nconns; i++)
        eio_conn_closed(&W.conns[i]);
    eio_engine_shutdown(W.eng);
    FUZZ_CHECK(eio_engine_session_count(W.eng) == 0);
    eio_engine_free(W.eng);
    for (size_t i = 0; i < MAX_SOCKETS; i++)
        if (W.sockets[i])
            sio_socket_unref(W.sockets[i]);
    sio_core_free(W.srv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    long live = sio_msg_live_count();
    world_start();
    size_t i = 0;
    for (unsigned step = 0; step < MAX_STEPS && i + 2 <= size; step++) {
        unsigned op = data[i];
        size_t n = data[i + 1];
        i += 2;
        if (n > size - i)
            n = size - i;
        const uint8_t *p = data + i;
        i += n;
        client *c = &W.cl[(op >> 4) & 3];
        unsigned variant = op >> 6;
        switch ((op & 15) % OP_COUNT) {
        case OP_OPEN: op_open(c, variant, p, n); break;
        case OP_TEXT: op_frame(c, variant, false, p, n); break;
        case OP_BINARY: op_frame(c, variant, true, p, n); break;
        case OP_POST: op_post(c, variant, p, n); break;
        case OP_GET: op_get(c); break;
        case OP_PROBE: op_probe(c); break;
        case OP_TICK: op_tick(p, n); break;
        case OP_READ: op_read(c, variant); break;
        case OP_DROP: op_drop(c, variant); break;
        case OP_SERVER: op_server(c, p, n); break;
        case OP_POSTED: sio_core_run_posted(W.srv); break;
        }
        eio_engine_reap(W.eng);
    }
    world_end();
    FUZZ_CHECK(sio_msg_live_count() == live);
    return 0;
}
