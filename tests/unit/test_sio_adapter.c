/* Unit tests for the adapter boundary (sio_adapter_memory, sio_op,
 * sio_broadcast, sio_server_emit, sio_handshake): the in-memory adapter's
 * operations as clients see them, and the contract a cluster adapter relies
 * on, played by a test adapter that records what it is told and answers for
 * "other nodes" through sio_op_* and sio_local_*. Driven through the real
 * engine with a fake transport and clock (support/sio_harness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio/sio_adapter.h"
#include "sio_observer.h"
#include "support/sio_harness.h"

/* --- what the callbacks saw ------------------------------------------------------ */

static struct {
    sio_socket *conn[8];
    size_t n_conn;
    int fetch_calls, fetch_err;
    char fetched[8][256]; /* "id|rooms,..|data" */
    char handshake[1024];
    sio_socket *fetched_local[8];
    size_t n_fetched;
    int replies_calls, replies_err;
    char replies[16][64];
    size_t n_replies;
    int server_events;
    char server_args[128];
    sio_server_ack *held;
    const char *answer; /* what the server-event handler replies now, or NULL */
} T;

static void on_conn(sio_socket *s, void *user) { T.conn[T.n_conn++] = s; }

static void on_fetch(sio_namespace *nsp, const sio_remote_socket *const *sockets, size_t n, int err,
                     void *user)
{
    T.fetch_calls++;
    T.fetch_err = err;
    T.n_fetched = n;
    for (size_t i = 0; i < n && i < 8; i++) {
        const sio_remote_socket *r = sockets[i];
        char rooms[128] = "";
        for (size_t k = 0; k < sio_remote_socket_room_count(r); k++) {
            size_t len = strlen(rooms);
            snprintf(rooms + len, sizeof(rooms) - len, "%s%s", k ? "," : "", sio_remote_socket_room(r, k));
        }
        assert_null(sio_remote_socket_room(r, sio_remote_socket_room_count(r)));
        snprintf(T.fetched[i], sizeof(T.fetched[i]), "%s|%s|%s", sio_remote_socket_id(r), rooms,
                 sio_remote_socket_data(r));
        T.fetched_local[i] = sio_remote_socket_local(r);
        if (i == 0)
            snprintf(T.handshake, sizeof(T.handshake), "%s", sio_remote_socket_handshake(r));
    }
}

static void on_replies(sio_namespace *nsp, const char *const *replies, size_t n, int err, void *user)
{
    T.replies_calls++;
    T.replies_err = err;
    T.n_replies = n;
    for (size_t i = 0; i < n && i < 16; i++)
        snprintf(T.replies[i], sizeof(T.replies[i]), "%s", replies[i]);
}

static void on_server_event(sio_namespace *nsp, const char *event, const sio_args *args, sio_server_ack *ack,
                            void *user)
{
    T.server_events++;
    size_t len;
    const char *j = sio_args_json(args, &len);
    snprintf(T.server_args, sizeof(T.server_args), "%s:%.*s", event, (int)len, j);
    if (ack && T.answer)
        assert_int_equal(sio_server_ack_send(ack, T.answer), SIO_OK);
    else if (ack)
        T.held = sio_server_ack_retain(ack);
}

static int setup(void **state)
{
    memset(&T, 0, sizeof(T));
    *state = env_new();
    return 0;
}

static int teardown(void **state)
{
    env_free(*state);
    return 0;
}

static void tick(env *e) { sio_core_tick(e->srv, fake_now); }

/* Starts the core with n clients connected to "/"; their CONNECT replies
 * are read. */
static sio_namespace *start(env *e, size_t n)
{
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn, NULL);
    for (size_t i = 0; i < n; i++) {
        client *c = client_open(e);
        assert_int_equal(client_send(c, "40"), 0);
        char sid[SIO_ID_LEN + 1];
        expect_connect_reply(c, "/", sid);
        assert_string_equal(sio_socket_id(T.conn[i]), sid);
    }
    return root;
}

/* The ack id of a broadcast with acks as client c received it: `42<id>[...]`. */
static long read_ack_id(client *c, const char *want_payload)
{
    sio_msg *m = eio_conn_next_frame(&c->conn);
    assert_non_null(m);
    char text[256];
    snprintf(text, sizeof(text), "%.*s", (int)m->len, (const char *)m->data);
    sio_msg_unref(m);
    assert_memory_equal(text, "42", 2);
    char *end;
    long id = strtol(text + 2, &end, 10);
    assert_true(end > text + 2);
    assert_string_equal(end, want_payload);
    return id;
}

static void client_ack(client *c, long id, const char *args)
{
    char pkt[128];
    snprintf(pkt, sizeof(pkt), "43%ld%s", id, args);
    assert_int_equal(client_send(c, pkt), 0);
}

/* --- the in-memory adapter ------------------------------------------------------------- */

static void test_fetch_sockets(void **state)
{
    env *e = *state;
    sio_namespace *root = start(e, 3);
    sio_socket *a = T.conn[0], *b = T.conn[1], *c = T.conn[2];
    assert_int_equal(sio_join(a, "r1"), SIO_OK);
    assert_int_equal(sio_join(b, "r1"), SIO_OK);
    assert_int_equal(sio_join(b, "r2"), SIO_OK);
    assert_string_equal(sio_socket_data_json(a), "{}");
    assert_int_equal(sio_socket_set_data_json(a, "{\"user\":\"ann\"}"), SIO_OK);
    assert_int_equal(sio_socket_set_data_json(a, "{bad"), SIO_EINVAL);
    assert_int_equal(sio_socket_set_data_json(a, NULL), SIO_EINVAL);
    assert_string_equal(sio_socket_data_json(a), "{\"user\":\"ann\"}");

    /* Room r1 except r2: a alone; the callback waits for the next tick. */
    const char *r1[] = {"r1"}, *r2[] = {"r2"};
    sio_target to = {.rooms = r1, .n_rooms = 1, .except = r2, .n_except = 1};
    assert_int_equal(sio_fetch_sockets(root, &to, on_fetch, NULL), 1);
    assert_int_equal(T.fetch_calls, 0);
    tick(e);
    assert_int_equal(T.fetch_calls, 1);
    assert_int_equal(T.fetch_err, 0);
    assert_int_equal(T.n_fetched, 1);
    char want[256];
    snprintf(want, sizeof(want), "%s|%s,r1|{\"user\":\"ann\"}", sio_socket_id(a), sio_socket_id(a));
    assert_string_equal(T.fetched[0], want);
    assert_ptr_equal(T.fetched_local[0], a);
    /* Node's handshake keys, as a JSON object. */
    for (const char *const *k = (const char *const[]){"\"headers\":{", "\"time\":\"", "\"address\":",
                                                      "\"xdomain\":false", "\"secure\":false", "\"issued\":",
                                                      "\"url\":", "\"query\":{}", "\"auth\":{}", NULL};
         *k; k++)
        if (!strstr(T.handshake, *k))
            fail_msg("handshake %s has no %s", T.handshake, *k);
    assert_int_equal(json_validate(T.handshake, strlen(T.handshake), NULL), JSON_OK);

    /* The whole namespace but one socket. */
    to = (sio_target){.exclude = c};
    assert_int_equal(sio_fetch_sockets(root, &to, on_fetch, NULL), 2);
    tick(e);
    assert_int_equal(T.fetch_calls, 2);
    assert_int_equal(T.n_fetched, 2);
    /* Everyone; a NULL callback is refused. */
    assert_int_equal(sio_fetch_sockets(root, NULL, on_fetch, NULL), 3);
    assert_int_equal(sio_fetch_sockets(root, NULL, NULL, NULL), SIO_EINVAL);
    tick(e);
    assert_int_equal(T.fetch_calls, 3);
    assert_int_equal(T.n_fetched, 3);
}

/* The data other nodes fetch: the socket's own, with the admin UI's
 * "_admin" {clientId, transport} first once the server shares them. */
static void expect_fetch_data(sio_socket *s, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(sio_local_fetch_data(s, &b), 0);
    assert_int_equal(sio_buf_putc(&b, 0), 0);
    assert_string_equal((const char *)b.data, want);
    assert_int_equal(json_validate((const char *)b.data, b.len - 1, NULL), JSON_OK);
    sio_buf_free(&b);
}

static void test_fetch_data_shares_admin_fields(void **state)
{
    env *e = *state;
    start(e, 1);
    sio_socket *a = T.conn[0];
    assert_false(sio_server_clustered(e->srv));
    expect_fetch_data(a, "{}");
    sio_server_share_admin_fields(e->srv);
    char admin[128], want[256];
    snprintf(admin, sizeof(admin), "{\"_admin\":{\"clientId\":\"%.12s\",\"transport\":\"%s\"}",
             sio_socket_client_id(a), sio_socket_transport(a));
    snprintf(want, sizeof(want), "%s}", admin);
    expect_fetch_data(a, want);
    assert_int_equal(sio_socket_set_data_json(a, "{\"u\":1}"), SIO_OK);
    snprintf(want, sizeof(want), "%s,\"u\":1}", admin);
    expect_fetch_data(a, want);
    assert_string_equal(sio_socket_data_json(a), "{\"u\":1}"); /* its own data is unchanged */
    /* Data that is not an object travels as it is. */
    assert_int_equal(sio_socket_set_data_json(a, "[1,2]"), SIO_OK);
    expect_fetch_data(a, "[1,2]");
    assert_int_equal(sio_socket_set_data_json(a, "\"text\""), SIO_OK);
    expect_fetch_data(a, "\"text\"");
}

static void test_sockets_join_leave_disconnect(void **state)
{
    env *e = *state;
    sio_namespace *root = start(e, 3);
    /* Held: they are looked at after their disconnection. */
    sio_socket *a = sio_socket_ref(T.conn[0]), *b = sio_socket_ref(T.conn[1]), *c = T.conn[2];
    assert_int_equal(sio_join(a, "r1"), SIO_OK);
    assert_int_equal(sio_join(b, "r1"), SIO_OK);

    const char *r1[] = {"r1"}, *joined[] = {"x", "y"};
    sio_target to = {.rooms = r1, .n_rooms = 1};
    assert_int_equal(sio_sockets_join(root, &to, joined, 2), 2);
    assert_true(sio_in_room(a, "x") && sio_in_room(a, "y") && sio_in_room(b, "y"));
    assert_false(sio_in_room(c, "x"));
    /* Leave "x" for everyone but a. */
    to = (sio_target){.exclude = a};
    assert_int_equal(sio_sockets_leave(root, &to, joined, 1), 2);
    assert_true(sio_in_room(a, "x"));
    assert_false(sio_in_room(b, "x"));
    assert_true(sio_in_room(b, "y"));
    assert_int_equal(sio_sockets_join(root, NULL, NULL, 1), SIO_EINVAL);

    /* Disconnect the sockets of "y" except a: b is told, the others not. */
    const char *y[] = {"y"};
    const char *only_a[] = {sio_socket_id(a)};
    to = (sio_target){.rooms = y, .n_rooms = 1, .except = only_a, .n_except = 1};
    drain(&e->cl[0]);
    drain(&e->cl[1]);
    assert_int_equal(sio_disconnect_sockets(root, &to, false), 1);
    expect_text(&e->cl[1], "41");
    expect_none(&e->cl[0]);
    assert_true(sio_socket_connected(a));
    assert_false(sio_socket_connected(b));
    /* With close: the whole connection goes. */
    to = (sio_target){.rooms = only_a, .n_rooms = 1};
    assert_int_equal(sio_disconnect_sockets(root, &to, true), 1);
    settle();
    assert_false(sio_socket_connected(a));
    eio_session *es = e->cl[0].conn.session;
    assert_false(es && eio_session_is_open(es));
    assert_true(sio_socket_connected(c));
    sio_socket_unref(a);
    sio_socket_unref(b);
}

static void test_broadcast_with_ack(void **state)
{
    env *e = *state;
    sio_namespace *root = start(e, 3);
    sio_target to = {.timeout_ms = 1000};
    assert_int_equal(sio_broadcast_with_ack(root, &to, "q", "[1]", NULL, 0, on_replies, NULL), 3);
    long id[3];
    for (int i = 0; i < 3; i++)
        id[i] = read_ack_id(&e->cl[i], "[\"q\",1]");
    /* One id for every recipient: the packet was encoded once. */
    assert_int_equal(id[0], id[1]);
    assert_int_equal(id[1], id[2]);
    client_ack(&e->cl[0], id[0], "[\"a\"]");
    client_ack(&e->cl[1], id[1], "[]");
    tick(e);
    assert_int_equal(T.replies_calls, 0);
    client_ack(&e->cl[2], id[2], "[{\"n\":3},\"ignored\"]");
    client_ack(&e->cl[2], id[2], "[\"late\"]"); /* a second answer is ignored */
    assert_int_equal(T.replies_calls, 0);        /* never inside the client's packet */
    tick(e);
    assert_int_equal(T.replies_calls, 1);
    assert_int_equal(T.replies_err, 0);
    assert_int_equal(T.n_replies, 3);
    assert_string_equal(T.replies[0], "\"a\"");
    assert_string_equal(T.replies[1], "null");
    assert_string_equal(T.replies[2], "{\"n\":3}");

    /* One does not answer, one disconnects: the timeout ends it with what came. */
    assert_int_equal(sio_broadcast_with_ack(root, &to, "q", NULL, NULL, 0, on_replies, NULL), 3);
    for (int i = 0; i < 3; i++)
        id[i] = read_ack_id(&e->cl[i], "[\"q\"]");
    client_ack(&e->cl[0], id[0], "[7]");
    conn_gone(&e->cl[1].conn);
    fake_now += 999;
    tick(e);
    assert_int_equal(T.replies_calls, 1);
    fake_now += 1;
    tick(e);
    assert_int_equal(T.replies_calls, 2);
    assert_int_equal(T.replies_err, SIO_ACK_TIMEOUT);
    assert_int_equal(T.n_replies, 1);
    assert_string_equal(T.replies[0], "7");
    /* A late answer finds nothing to answer. */
    client_ack(&e->cl[2], id[2], "[8]");
    tick(e);
    assert_int_equal(T.replies_calls, 2);

    /* Nobody in the target: done at the next tick; bad arguments: refused. */
    const char *none[] = {"nobody"};
    to = (sio_target){.rooms = none, .n_rooms = 1};
    assert_int_equal(sio_broadcast_with_ack(root, &to, "q", NULL, NULL, 0, on_replies, NULL), 0);
    tick(e);
    assert_int_equal(T.replies_calls, 3);
    assert_int_equal(T.replies_err, 0);
    assert_int_equal(T.n_replies, 0);
    assert_int_equal(sio_broadcast_with_ack(root, NULL, "connect", NULL, NULL, 0, on_replies, NULL), SIO_EINVAL);
    assert_int_equal(sio_broadcast_with_ack(root, NULL, "q", "{", NULL, 0, on_replies, NULL), SIO_EINVAL);
    tick(e);
    assert_int_equal(T.replies_calls, 3);
}

/* Acks of a socket's own emits and of broadcasts share the namespace's ids. */
static void ack_ignored(sio_socket *s, const sio_args *reply, int err, void *user) { (*(int *)user)++; }

static void test_ack_ids_shared(void **state)
{
    env *e = *state;
    sio_namespace *root = start(e, 1);
    int own = 0;
    assert_int_equal(sio_emit_with_ack(T.conn[0], "own", NULL, NULL, 0, 0, ack_ignored, &own), SIO_OK);
    expect_text(&e->cl[0], "420[\"own\"]");
    assert_int_equal(sio_broadcast_with_ack(root, NULL, "all", NULL, NULL, 0, on_replies, NULL), 1);
    expect_text(&e->cl[0], "421[\"all\"]");
    client_ack(&e->cl[0], 1, "[1]");
    assert_int_equal(own, 0);
    client_ack(&e->cl[0], 0, "[0]");
    assert_int_equal(own, 1);
    tick(e);
    assert_int_equal(T.replies_calls, 1);
    assert_string_equal(T.replies[0], "1");
}

static void test_server_side_emit_alone(void **state)
{
    env *e = *state;
    sio_namespace *root = start(e, 0);
    assert_int_equal(sio_on_server_event(root, "hello", on_server_event, NULL), SIO_OK);
    /* This server's own handlers never get it; there is no other. */
    assert_int_equal(sio_server_side_emit(root, "hello", "[1]"), SIO_OK);
    assert_int_equal(sio_server_side_emit_with_ack(root, "hello", NULL, on_replies, NULL), SIO_OK);
    assert_int_equal(T.replies_calls, 0);
    tick(e);
    assert_int_equal(T.server_events, 0);
    assert_int_equal(T.replies_calls, 1);
    assert_int_equal(T.replies_err, 0);
    assert_int_equal(T.n_replies, 0);
    assert_int_equal(sio_server_side_emit(root, "disconnect", NULL), SIO_EINVAL);
    assert_int_equal(sio_server_side_emit(root, "hello", "{}"), SIO_EINVAL);
    assert_int_equal(sio_server_side_emit(root, NULL, NULL), SIO_EINVAL);
    assert_int_equal(sio_server_side_emit_with_ack(root, "hello", NULL, NULL, NULL), SIO_EINVAL);
    assert_int_equal(sio_on_server_event(root, NULL, on_server_event, NULL), SIO_EINVAL);
}

/* --- what a cluster adapter relies on ----------------------------------------------------- */

typedef struct sink_rec {
    size_t count;
    int counted, released;
    char replies[8][64];
    size_t n;
} sink_rec;

static void rec_count(void *ctx, size_t n)
{
    ((sink_rec *)ctx)->count = n;
    ((sink_rec *)ctx)->counted++;
}
static void rec_reply(void *ctx, const char *json, size_t len)
{
    sink_rec *r = ctx;
    snprintf(r->replies[r->n++], sizeof(r->replies[0]), "%.*s", (int)len, json);
}
static void rec_release(void *ctx) { ((sink_rec *)ctx)->released++; }

static void test_server_events_from_other_nodes(void **state)
{
    env *e = *state;
    sio_namespace *root = start(e, 0);
    assert_int_equal(sio_on_server_event(root, "hello", on_server_event, NULL), SIO_OK);
    sink_rec rec = {0};
    sio_reply_sink sink = {rec_count, rec_reply, rec_release, &rec};

    /* Without an answer wanted. */
    sio_adapter_packet p = {"hello", "[1,\"a\"]", NULL, 0};
    assert_int_equal(sio_local_server_event(root, &p, NULL), SIO_OK);
    assert_int_equal(T.server_events, 1);
    assert_string_equal(T.server_args, "hello:[1,\"a\"]");
    /* Answered in the handler. */
    T.answer = "{\"ok\":true}";
    assert_int_equal(sio_local_server_event(root, &p, &sink), SIO_OK);
    assert_int_equal(rec.n, 1);
    assert_string_equal(rec.replies[0], "{\"ok\":true}");
    assert_int_equal(rec.released, 1);
    /* Kept, answered later (once). */
    T.answer = NULL;
    assert_int_equal(sio_local_server_event(root, &p, &sink), SIO_OK);
    assert_int_equal(rec.released, 1);
    assert_non_null(T.held);
    assert_int_equal(sio_server_ack_send(T.held, NULL), SIO_OK);
    assert_int_equal(rec.n, 2);
    assert_string_equal(rec.replies[1], "null");
    assert_int_equal(rec.released, 2);
    /* Kept, then discarded: released without an answer. */
    assert_int_equal(sio_local_server_event(root, &p, &sink), SIO_OK);
    sio_server_ack_discard(T.held);
    assert_int_equal(rec.n, 2);
    assert_int_equal(rec.released, 3);
    /* Nobody listens, or bad arguments: released, no answer. */
    p.event = "nobody";
    assert_int_equal(sio_local_server_event(root, &p, &sink), SIO_OK);
    p = (sio_adapter_packet){"hello", "{", NULL, 0};
    assert_int_equal(sio_local_server_event(root, &p, &sink), SIO_EINVAL);
    assert_int_equal(rec.released, 5);
    assert_int_equal(rec.n, 2);
    assert_int_equal(T.server_events, 4);
}

/* A cluster adapter as a test plays it: it records what it is told,
 * applies the local part with sio_local_*, and says how many other nodes
 * will answer; the test then answers for them. */
static struct {
    int broadcasts;
    unsigned flags;
    char rooms[128], except[128], event[32], args[64];
    size_t nbins;
    unsigned timeout_ms;
    char op_id[SIO_ID_LEN + 1];
    unsigned nodes;
    char joined[64];
    int disconnects;
    bool close;
    int server_emits;
} A;

static void join_names(char *out, size_t size, const char *const *v, size_t n)
{
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? "," : "", v[i]);
    }
}

static void record_bcast(const sio_bcast *b)
{
    join_names(A.rooms, sizeof(A.rooms), b->rooms, b->n_rooms);
    join_names(A.except, sizeof(A.except), b->except, b->n_except);
    A.flags = b->flags;
    A.timeout_ms = b->timeout_ms;
}

static void record_op(sio_op *op)
{
    snprintf(A.op_id, sizeof(A.op_id), "%s", sio_op_id(op));
    sio_op_expect_nodes(op, A.nodes);
}

static void ta_destroy(sio_adapter *a) { free(a); }

static int ta_broadcast(sio_adapter *a, const sio_bcast *b, const sio_adapter_packet *p)
{
    A.broadcasts++;
    record_bcast(b);
    snprintf(A.event, sizeof(A.event), "%s", p->event);
    snprintf(A.args, sizeof(A.args), "%s", p->args_json ? p->args_json : "");
    A.nbins = p->nbins;
    return sio_local_broadcast(a->nsp, b, p);
}

static int ta_broadcast_with_ack(sio_adapter *a, const sio_bcast *b, const sio_adapter_packet *p, sio_op *op)
{
    record_bcast(b);
    record_op(op);
    sio_reply_sink sink = sio_op_sink(op);
    return sio_local_broadcast_with_ack(a->nsp, b, p, &sink);
}

static void fetch_local(sio_socket *s, void *user) { sio_op_add_local(user, s); }

static int ta_fetch(sio_adapter *a, const sio_bcast *b, sio_op *op)
{
    record_bcast(b);
    record_op(op);
    return sio_local_each(a->nsp, b, fetch_local, op);
}

static int ta_add(sio_adapter *a, const sio_bcast *b, const char *const *rooms, size_t n)
{
    record_bcast(b);
    join_names(A.joined, sizeof(A.joined), rooms, n);
    return sio_local_add_sockets(a->nsp, b, rooms, n);
}

static int ta_del(sio_adapter *a, const sio_bcast *b, const char *const *rooms, size_t n)
{
    return sio_local_del_sockets(a->nsp, b, rooms, n);
}

static int ta_disconnect(sio_adapter *a, const sio_bcast *b, bool close)
{
    record_bcast(b);
    A.disconnects++;
    A.close = close;
    return sio_local_disconnect(a->nsp, b, close);
}

static int ta_server_emit(sio_adapter *a, const sio_adapter_packet *p, sio_op *op)
{
    A.server_emits++;
    snprintf(A.event, sizeof(A.event), "%s", p->event);
    if (op)
        record_op(op);
    return SIO_OK;
}

static const sio_adapter_ops test_ops = {
    "test", ta_destroy, ta_broadcast, ta_broadcast_with_ack, ta_fetch,
    ta_add, ta_del, ta_disconnect, ta_server_emit, false,
};

static sio_adapter *test_adapter_new(sio_namespace *nsp, void *user)
{
    sio_adapter *a = calloc(1, sizeof(*a));
    *a = (sio_adapter){&test_ops, nsp};
    return a;
}

static sio_namespace *start_cluster(env *e, size_t n)
{
    memset(&A, 0, sizeof(A));
    sio_namespace *root = start(e, 0);
    assert_int_equal(sio_core_set_adapter(e->srv, test_adapter_new, NULL), SIO_OK);
    assert_ptr_equal(root->adapter->ops, &test_ops);
    for (size_t i = 0; i < n; i++) {
        client *c = client_open(e);
        assert_int_equal(client_send(c, "40"), 0);
        char sid[SIO_ID_LEN + 1];
        expect_connect_reply(c, "/", sid);
    }
    return root;
}

static void test_adapter_told_of_broadcasts(void **state)
{
    env *e = *state;
    sio_namespace *root = start_cluster(e, 2);
    sio_socket *a = T.conn[0];
    assert_int_equal(sio_join(a, "r1"), SIO_OK);
    /* socket.broadcast: the excluded socket travels as an except-room. */
    const char *r1[] = {"r1"}, *ex[] = {"muted"};
    sio_target to = {.rooms = r1, .n_rooms = 1, .except = ex, .n_except = 1, .exclude = T.conn[1],
                     .is_volatile = true, .local = true};
    unsigned char bin[3] = {1, 2, 3};
    sio_binary bins[1] = {{bin, 3}};
    assert_int_equal(sio_broadcast(root, &to, "ev", "[{\"_placeholder\":true,\"num\":0}]", bins, 1), 1);
    assert_int_equal(A.broadcasts, 1);
    assert_string_equal(A.rooms, "r1");
    char want[64];
    snprintf(want, sizeof(want), "muted,%s", sio_socket_id(T.conn[1]));
    assert_string_equal(A.except, want);
    assert_int_equal(A.flags, SIO_BCAST_LOCAL | SIO_BCAST_VOLATILE);
    assert_string_equal(A.event, "ev");
    assert_string_equal(A.args, "[{\"_placeholder\":true,\"num\":0}]");
    assert_int_equal(A.nbins, 1);
    assert_int_equal(A.timeout_ms, 5000);
    expect_text(&e->cl[0], "451-[\"ev\",{\"_placeholder\":true,\"num\":0}]");
    expect_binary(&e->cl[0], bin, 3);

    /* A broadcast from another node, delivered here. */
    sio_bcast b = {.rooms = r1, .n_rooms = 1};
    sio_adapter_packet p = {"from-afar", "[2]", NULL, 0};
    assert_int_equal(sio_local_broadcast(root, &b, &p), 1);
    expect_text(&e->cl[0], "42[\"from-afar\",2]");
    expect_none(&e->cl[1]);
    assert_true(sio_local_has_room(root, "r1"));
    assert_true(sio_local_has_room(root, sio_socket_id(a)));
    assert_false(sio_local_has_room(root, "r2"));

    /* Posts and the room helpers go through the adapter too. */
    const char *join[] = {"j"};
    assert_int_equal(sio_sockets_join(root, NULL, join, 1), 2);
    assert_string_equal(A.joined, "j");
    assert_int_equal(sio_disconnect_room(root, "j", true), 2);
    assert_int_equal(A.disconnects, 1);
    assert_true(A.close);
    assert_string_equal(A.rooms, "j");
}

static void test_clustered(void **state)
{
    env *e = *state;
    start_cluster(e, 1);
    assert_true(sio_server_clustered(e->srv));
}

static void test_fetch_across_nodes(void **state)
{
    env *e = *state;
    sio_namespace *root = start_cluster(e, 1);
    A.nodes = 2;
    sio_target to = {.timeout_ms = 300};
    assert_int_equal(sio_fetch_sockets(root, &to, on_fetch, NULL), 1);
    assert_int_equal(A.timeout_ms, 300);
    sio_op *op = sio_op_find(e->srv, A.op_id);
    assert_non_null(op);
    const char *rooms[] = {"remote1", "lobby"};
    assert_int_equal(sio_op_add_remote(op, "remote1", "{\"address\":\"10.0.0.2\"}", rooms, 2, "{\"u\":1}"),
                     SIO_OK);
    sio_op_node_answered(op);
    tick(e);
    assert_int_equal(T.fetch_calls, 0); /* one node still to answer */
    sio_op_node_answered(op);           /* the other has none */
    assert_int_equal(T.fetch_calls, 0);
    tick(e);
    assert_int_equal(T.fetch_calls, 1);
    assert_int_equal(T.fetch_err, 0);
    assert_int_equal(T.n_fetched, 2);
    assert_string_equal(T.fetched[1], "remote1|remote1,lobby|{\"u\":1}");
    assert_null(T.fetched_local[1]);
    assert_null(sio_op_find(e->srv, A.op_id)); /* late answers find nothing */

    /* A node that never answers: the timeout, with what came. */
    assert_int_equal(sio_fetch_sockets(root, &to, on_fetch, NULL), 1);
    op = sio_op_find(e->srv, A.op_id);
    sio_op_node_answered(op);
    fake_now += 300;
    tick(e);
    assert_int_equal(T.fetch_calls, 2);
    assert_int_equal(T.fetch_err, SIO_ACK_TIMEOUT);
    assert_int_equal(T.n_fetched, 1);
}

static void test_broadcast_ack_across_nodes(void **state)
{
    env *e = *state;
    sio_namespace *root = start_cluster(e, 1);
    A.nodes = 1;
    assert_int_equal(sio_broadcast_with_ack(root, NULL, "q", NULL, NULL, 0, on_replies, NULL), 1);
    long id = read_ack_id(&e->cl[0], "[\"q\"]");
    client_ack(&e->cl[0], id, "[\"here\"]");
    tick(e);
    assert_int_equal(T.replies_calls, 0); /* the other node has not counted */
    sio_op *op = sio_op_find(e->srv, A.op_id);
    assert_non_null(op);
    sio_op_add_clients(op, 2);
    assert_int_equal(sio_op_add_reply(op, "\"there\"", 7), SIO_OK);
    assert_int_equal(sio_op_add_reply(op, "{x", 2), SIO_EINVAL);
    tick(e);
    assert_int_equal(T.replies_calls, 0); /* one of its clients still to answer */
    assert_int_equal(sio_op_add_reply(op, "2", 1), SIO_OK);
    tick(e);
    assert_int_equal(T.replies_calls, 1);
    assert_int_equal(T.replies_err, 0);
    assert_int_equal(T.n_replies, 3);
    assert_string_equal(T.replies[0], "\"here\"");
    assert_string_equal(T.replies[2], "2");
}

static void test_server_side_emit_across_nodes(void **state)
{
    env *e = *state;
    sio_namespace *root = start_cluster(e, 0);
    A.nodes = 2;
    assert_int_equal(sio_server_side_emit(root, "ping", NULL), SIO_OK);
    assert_int_equal(A.server_emits, 1);
    assert_string_equal(A.op_id, "");
    assert_int_equal(sio_server_side_emit_with_ack(root, "ping", "[1]", on_replies, NULL), SIO_OK);
    sio_op *op = sio_op_find(e->srv, A.op_id);
    assert_non_null(op);
    assert_int_equal(sio_op_add_reply(op, "\"pong1\"", 7), SIO_OK);
    sio_op_node_answered(op);
    tick(e);
    assert_int_equal(T.replies_calls, 0);
    assert_int_equal(sio_op_add_reply(op, "\"pong2\"", 7), SIO_OK);
    sio_op_node_answered(op);
    tick(e);
    assert_int_equal(T.replies_calls, 1);
    assert_int_equal(T.n_replies, 2);
    assert_string_equal(T.replies[1], "\"pong2\"");

    /* Waiting when the server is freed: told so. */
    assert_int_equal(sio_server_side_emit_with_ack(root, "ping", NULL, on_replies, NULL), SIO_OK);
    sio_core_free(e->srv);
    e->srv = NULL;
    assert_int_equal(T.replies_calls, 2);
    assert_int_equal(T.replies_err, SIO_ECLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fetch_sockets, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_data_shares_admin_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_clustered, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sockets_join_leave_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_with_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_ids_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_side_emit_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_events_from_other_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_adapter_told_of_broadcasts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fetch_across_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_ack_across_nodes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_side_emit_across_nodes, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
