/* Unit tests for connection state recovery (sio/sio_recovery): the pid in
 * the CONNECT reply, the offsets of emits and broadcasts, which packets are
 * kept, the session a socket leaves and the rules that give it back, as
 * Node's SessionAwareAdapter and Socket have them; the bounds in time and
 * bytes. Driven through the real engine with a fake transport and a fake
 * clock (support/sio_harness): nothing sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio.h"
#include "sio/sio_core.h"
#include "util/msg.h"

#include "support/sio_harness.h"

/* The last socket connected, and what the callbacks saw. */
static sio_socket *last;
static int connections, mw_calls;
static char last_reason[64];

static void on_conn(sio_socket *s, void *user)
{
    last = s;
    connections++;
}

static void on_disc(sio_socket *s, const char *reason, void *user)
{
    snprintf(last_reason, sizeof(last_reason), "%s", reason);
    if (last == s)
        last = NULL;
}

static bool count_mw(sio_socket *s, const char **message, const char **data, void *user)
{
    mw_calls++;
    return true;
}

static env *start(bool on, void (*tweak)(sio_options *o))
{
    last = NULL;
    connections = mw_calls = 0;
    last_reason[0] = 0;
    env *e = env_new();
    sio_options o;
    sio_options_init(&o);
    o.connection_state_recovery = on;
    if (tweak)
        tweak(&o);
    env_start(e, &o, NULL);
    sio_namespace *nsp = sio_of(e->srv, "/");
    sio_on_connection(nsp, on_conn, NULL);
    sio_on_disconnect(nsp, on_disc, NULL);
    sio_use(nsp, count_mw, NULL);
    return e;
}

/* Reads 40{"sid":"...","pid":"..."} (pid may be absent: *pid is then ""). */
static void read_connect(client *c, char sid[SIO_ID_LEN + 1], char pid[SIO_ID_LEN + 1])
{
    sio_msg *m = eio_conn_next_frame(&c->conn);
    if (!m)
        fail_msg("no CONNECT reply");
    char text[256];
    snprintf(text, sizeof(text), "%.*s", (int)m->len, (const char *)m->data);
    sio_msg_unref(m);
    int n = 0;
    sid[0] = pid[0] = 0;
    if (sscanf(text, "40{\"sid\":\"%20[^\"]\",\"pid\":\"%20[^\"]\"}%n", sid, pid, &n) == 2 && n == (int)strlen(text))
        return;
    n = 0;
    pid[0] = 0;
    if (sscanf(text, "40{\"sid\":\"%20[^\"]\"}%n", sid, &n) == 1 && n == (int)strlen(text))
        return;
    fail_msg("CONNECT reply '%s'", text);
}

/* A new connection whose CONNECT carries `auth`; the reply is left unread. */
static client *send_connect(env *e, const char *auth)
{
    char pkt[256];
    snprintf(pkt, sizeof(pkt), "40%s", auth);
    client *c = client_open(e);
    assert_int_equal(client_send(c, pkt), 0);
    return c;
}

/* A client connected to "/" with `auth` (NULL: none). */
static client *connect_with(env *e, const char *auth, char sid[SIO_ID_LEN + 1], char pid[SIO_ID_LEN + 1])
{
    client *c = send_connect(e, auth ? auth : "");
    read_connect(c, sid, pid);
    return c;
}

static void resume_auth(char *out, size_t n, const char *pid, const char *offset)
{
    snprintf(out, n, "{\"pid\":\"%s\",\"offset\":\"%s\",\"token\":1}", pid, offset);
}

/* A client that connects, receives the packet of offset 1 and loses its
 * connection ("transport close"): its session is kept. */
static void connect_and_drop(env *e, char sid[SIO_ID_LEN + 1], char pid[SIO_ID_LEN + 1])
{
    client *c = connect_with(e, NULL, sid, pid);
    assert_int_equal(sio_emit(last, "a", NULL), SIO_OK);
    expect_text(c, "42[\"a\",\"1\"]");
    conn_gone(&c->conn);
    assert_string_equal(last_reason, "transport close");
}


/* --- off ----------------------------------------------------------------------- */

static void test_off_by_default(void **state)
{
    env *e = start(false, NULL);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1];
    client *c = connect_with(e, NULL, sid, pid);
    assert_string_equal(pid, "");
    assert_int_equal(sio_emit(last, "a", "[1]"), SIO_OK);
    expect_text(c, "42[\"a\",1]");
    assert_int_equal(sio_broadcast(sio_of(e->srv, "/"), NULL, "b", NULL, NULL, 0), 1);
    expect_text(c, "42[\"b\"]");
    assert_false(sio_socket_recovered(last));
    /* A dropped connection leaves nothing: the same auth gets a new socket. */
    conn_gone(&c->conn);
    char auth[128], sid2[SIO_ID_LEN + 1];
    resume_auth(auth, sizeof(auth), "x", "1");
    connect_with(e, auth, sid2, pid);
    assert_string_not_equal(sid, sid2);
    assert_string_equal(pid, "");
    env_free(e);
}

/* --- offsets ------------------------------------------------------------------------ */

static void test_pid_and_offsets(void **state)
{
    env *e = start(true, NULL);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1];
    client *c = connect_with(e, NULL, sid, pid);
    assert_int_equal(strlen(pid), SIO_ID_LEN);
    assert_string_not_equal(sid, pid);
    client *d = connect_with(e, NULL, sid, pid);
    sio_socket *sd = last;
    assert_int_equal(sio_emit(sd, "a", NULL), SIO_OK);
    expect_text(d, "42[\"a\",\"1\"]");
    assert_int_equal(sio_emit(sd, "a", "[ ]"), SIO_OK);
    expect_text(d, "42[\"a\",\"2\"]");
    assert_int_equal(sio_emit(sd, "a", "[1,{\"x\":[2]} ]"), SIO_OK);
    expect_text(d, "42[\"a\",1,{\"x\":[2]},\"3\"]");
    /* A broadcast: encoded once, one offset for all. */
    sio_stats before, after;
    sio_server_stats(e->srv, &before);
    assert_int_equal(sio_broadcast(sio_of(e->srv, "/"), NULL, "b", "[true]", NULL, 0), 2);
    sio_server_stats(e->srv, &after);
    assert_int_equal(after.packets_encoded - before.packets_encoded, 1);
    expect_text(c, "42[\"b\",true,\"4\"]");
    expect_text(d, "42[\"b\",true,\"4\"]");
    /* Binary: the offset after the placeholder, the attachment unchanged. */
    static const unsigned char bytes[] = {9, 8};
    sio_binary bin = {bytes, 2};
    assert_int_equal(sio_emit_binary(sd, "bin", "[{\"_placeholder\":true,\"num\":0}]", &bin, 1), SIO_OK);
    expect_text(d, "451-[\"bin\",{\"_placeholder\":true,\"num\":0},\"5\"]");
    expect_binary(d, bytes, 2);
    /* Not kept, no offset: volatile, and with an ack. */
    assert_int_equal(sio_emit_volatile(sd, "v", "[1]"), SIO_OK);
    expect_text(d, "42[\"v\",1]");
    sio_target vol = {.is_volatile = true};
    assert_int_equal(sio_broadcast(sio_of(e->srv, "/"), &vol, "v", NULL, NULL, 0), 2);
    expect_text(c, "42[\"v\"]");
    expect_text(d, "42[\"v\"]");
    /* Bad arguments stay refused and take no offset. */
    assert_int_equal(sio_emit(sd, "a", "{}"), SIO_EINVAL);
    assert_int_equal(sio_emit(sd, "a", "[1]]"), SIO_EINVAL);
    assert_int_equal(sio_emit(sd, "a", "[1"), SIO_EINVAL);
    assert_int_equal(sio_emit(sd, "a", "[2]"), SIO_OK);
    expect_text(d, "42[\"a\",2,\"6\"]");
    expect_none(c);
    expect_none(d);
    env_free(e);
}

static void on_ack(sio_socket *s, const sio_args *reply, int err, void *user) {}

static void test_ack_emit_has_no_offset(void **state)
{
    env *e = start(true, NULL);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1];
    client *c = connect_with(e, NULL, sid, pid);
    assert_int_equal(sio_emit_with_ack(last, "q", "[1]", NULL, 0, 0, on_ack, NULL), SIO_OK);
    expect_text(c, "420[\"q\",1]");
    env_free(e);
}

/* --- recovery ------------------------------------------------------------------------ */

static void test_recover_rooms_data_and_missed(void **state)
{
    env *e = start(true, NULL);
    sio_namespace *nsp = sio_of(e->srv, "/");
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1];
    client *c = connect_with(e, NULL, sid, pid);
    sio_socket *s = last;
    assert_int_equal(sio_join(s, "r"), SIO_OK);
    assert_int_equal(sio_join(s, "q"), SIO_OK);
    assert_int_equal(sio_socket_set_data_json(s, "{\"n\":7}"), SIO_OK);
    assert_int_equal(sio_emit(s, "a", NULL), SIO_OK);
    expect_text(c, "42[\"a\",\"1\"]");
    conn_gone(&c->conn);
    assert_string_equal(last_reason, "transport close");

    /* Meanwhile: kept for it (numbers) or not (strings). */
    const char *r[] = {"r"}, *own[] = {sid}, *other[] = {"other"};
    sio_broadcast(nsp, &(sio_target){.rooms = r, .n_rooms = 1}, "m", "[1]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.rooms = own, .n_rooms = 1}, "m", "[2]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.rooms = other, .n_rooms = 1}, "m", "[\"other\"]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.except = r, .n_except = 1}, "m", "[\"except\"]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.is_volatile = true}, "m", "[\"volatile\"]", NULL, 0);
    sio_broadcast(nsp, NULL, "m", "[3]", NULL, 0);

    char auth[160], sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    resume_auth(auth, sizeof(auth), pid, "1");
    client *c2 = send_connect(e, auth);
    /* The missed packets, in order, then the reply, as Node sends them. */
    expect_text(c2, "42[\"m\",1,\"2\"]");
    expect_text(c2, "42[\"m\",2,\"3\"]");
    expect_text(c2, "42[\"m\",3,\"6\"]");
    read_connect(c2, sid2, pid2);
    assert_string_equal(sid2, sid);
    assert_string_equal(pid2, pid);
    expect_none(c2);
    s = last;
    assert_true(sio_socket_recovered(s));
    assert_int_equal(mw_calls, 1); /* skipped for the recovered one */
    assert_int_equal(sio_room_count(s), 3);
    assert_string_equal(sio_socket_room(s, 0), sid);
    assert_true(sio_in_room(s, "r"));
    assert_true(sio_in_room(s, "q"));
    assert_string_equal(sio_socket_data_json(s), "{\"n\":7}");
    assert_string_equal(sio_socket_auth(s), auth); /* the auth as sent, as Node's handshake.auth */
    assert_ptr_equal(sio_nsp_socket(nsp, sid), s);
    /* Rooms work again, and new packets go on from the last offset. */
    assert_int_equal(sio_broadcast(nsp, &(sio_target){.rooms = r, .n_rooms = 1}, "n", NULL, NULL, 0), 1);
    expect_text(c2, "42[\"n\",\"7\"]");
    /* The session was taken: the same pid again gets a new socket. */
    client *c3 = send_connect(e, auth);
    char sid3[SIO_ID_LEN + 1], pid3[SIO_ID_LEN + 1];
    read_connect(c3, sid3, pid3);
    assert_string_not_equal(sid3, sid);
    assert_false(sio_socket_recovered(last));
    env_free(e);
}

static void test_clean_disconnect_is_not_kept(void **state)
{
    env *e = start(true, NULL);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1], auth[160];
    client *c = connect_with(e, NULL, sid, pid);
    sio_emit(last, "a", NULL);
    expect_text(c, "42[\"a\",\"1\"]");
    assert_int_equal(client_send(c, "41"), 0);
    assert_string_equal(last_reason, "client namespace disconnect");
    resume_auth(auth, sizeof(auth), pid, "1");
    char sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    assert_int_equal(client_send(c, "40{\"pid\":\"x\"}"), 0); /* (a new socket on the same connection) */
    read_connect(c, sid2, pid2);
    connect_with(e, auth, sid2, pid2);
    assert_string_not_equal(sid2, sid);
    assert_string_not_equal(pid2, pid);
    /* The server's own disconnect neither. */
    sio_disconnect(last, false);
    env_free(e);
}

static void short_window(sio_options *o) { o->recovery_max_disconnection_duration = 1000; }

static void test_past_the_window(void **state)
{
    env *e = start(true, short_window);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1], auth[160];
    connect_and_drop(e, sid, pid);
    resume_auth(auth, sizeof(auth), pid, "1");
    /* Within the window (its last millisecond): recovered. */
    fake_now += 1000;
    sio_core_tick(e->srv, fake_now);
    char sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    client *c2 = connect_with(e, auth, sid2, pid2);
    assert_string_equal(sid2, sid);
    assert_true(sio_socket_recovered(last));
    /* Dropped again; past the window: a new socket. */
    sio_emit(last, "a", NULL);
    expect_text(c2, "42[\"a\",\"2\"]");
    conn_gone(&c2->conn);
    resume_auth(auth, sizeof(auth), pid, "2");
    fake_now += 1001;
    sio_core_tick(e->srv, fake_now); /* the sweep frees the session and packets */
    connect_with(e, auth, sid2, pid2);
    assert_string_not_equal(sid2, sid);
    assert_false(sio_socket_recovered(last));
    env_free(e);
}

static void test_unknown_pid_or_offset(void **state)
{
    env *e = start(true, NULL);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1], auth[160];
    connect_and_drop(e, sid, pid);
    char sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    static const char *const offsets[] = {"0", "2", "01", "-1", "1x", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
        resume_auth(auth, sizeof(auth), pid, offsets[i]);
        connect_with(e, auth, sid2, pid2);
        assert_string_not_equal(sid2, sid);
    }
    /* Not strings (Node checks their type), or no offset: new. */
    snprintf(auth, sizeof(auth), "{\"pid\":\"%s\",\"offset\":1}", pid);
    connect_with(e, auth, sid2, pid2);
    assert_string_not_equal(sid2, sid);
    snprintf(auth, sizeof(auth), "{\"pid\":\"%s\"}", pid);
    connect_with(e, auth, sid2, pid2);
    assert_string_not_equal(sid2, sid);
    resume_auth(auth, sizeof(auth), "nobody", "1");
    connect_with(e, auth, sid2, pid2);
    assert_string_not_equal(sid2, sid);
    /* Still there for the right one. */
    resume_auth(auth, sizeof(auth), pid, "1");
    connect_with(e, auth, sid2, pid2);
    assert_string_equal(sid2, sid);
    env_free(e);
}

static void tiny_store(sio_options *o) { o->recovery_max_bytes = 600; }

/* Past recovery_max_bytes the oldest packets go: a session that missed one
 * of them is not recovered, one that missed none still is. */
static void test_bytes_bound(void **state)
{
    env *e = start(true, tiny_store);
    sio_namespace *nsp = sio_of(e->srv, "/");
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1], auth[160];
    connect_and_drop(e, sid, pid);
    char big[700];
    memset(big, 'x', sizeof(big));
    memcpy(big, "[\"", 2);
    memcpy(big + sizeof(big) - 3, "\"]", 3);
    sio_broadcast(nsp, NULL, "big", big, NULL, 0); /* larger than the store: nothing older stays */
    char sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    resume_auth(auth, sizeof(auth), pid, "1");
    client *c2 = connect_with(e, auth, sid2, pid2);
    assert_string_not_equal(sid2, sid);
    /* Small packets within the budget: recovered, the missed ones first. */
    sio_emit(last, "s", NULL);
    expect_text(c2, "42[\"s\",\"3\"]");
    conn_gone(&c2->conn);
    for (int i = 0; i < 2; i++)
        sio_broadcast(nsp, NULL, "m", NULL, NULL, 0);
    resume_auth(auth, sizeof(auth), pid2, "3");
    char sid3[SIO_ID_LEN + 1], pid3[SIO_ID_LEN + 1];
    client *c3 = send_connect(e, auth);
    expect_text(c3, "42[\"m\",\"4\"]");
    expect_text(c3, "42[\"m\",\"5\"]");
    read_connect(c3, sid3, pid3);
    assert_string_equal(sid3, sid2);
    /* Past the budget, its offset goes with the oldest: a new socket. */
    sio_emit(last, "s", NULL);
    expect_text(c3, "42[\"s\",\"6\"]");
    conn_gone(&c3->conn);
    for (int i = 0; i < 10; i++)
        sio_broadcast(nsp, NULL, "m", NULL, NULL, 0);
    resume_auth(auth, sizeof(auth), pid2, "6");
    connect_with(e, auth, sid3, pid3);
    assert_string_not_equal(sid3, sid2);
    env_free(e);
}

static void run_mw(sio_options *o) { o->recovery_skip_middlewares = false; }

static void test_middlewares_run_when_told(void **state)
{
    env *e = start(true, run_mw);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1], auth[160];
    connect_and_drop(e, sid, pid);
    resume_auth(auth, sizeof(auth), pid, "1");
    char sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    connect_with(e, auth, sid2, pid2);
    assert_string_equal(sid2, sid);
    assert_true(sio_socket_recovered(last));
    assert_int_equal(mw_calls, 2);
    env_free(e);
}

/* An asynchronous middleware keeps a recovering socket waiting: what is
 * broadcast and emitted to it meanwhile comes with the replay, once each. */
static sio_decision *pending;
static void hold_mw(sio_socket *s, sio_decision *d, void *user)
{
    if (sio_socket_recovered(s)) {
        sio_emit(s, "from-mw", NULL);
        pending = d;
        return;
    }
    sio_decide(d, true, NULL, NULL);
}

static void test_async_middleware_while_recovering(void **state)
{
    env *e = start(true, run_mw);
    sio_namespace *nsp = sio_of(e->srv, "/");
    sio_use_async(nsp, hold_mw, NULL);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1], auth[160];
    connect_and_drop(e, sid, pid);
    sio_broadcast(nsp, NULL, "m", "[1]", NULL, 0);
    resume_auth(auth, sizeof(auth), pid, "1");
    pending = NULL;
    client *c2 = send_connect(e, auth);
    assert_non_null(pending);
    expect_none(c2);
    sio_broadcast(nsp, NULL, "m", "[2]", NULL, 0);
    assert_int_equal(sio_decide(pending, true, NULL, NULL), SIO_OK);
    expect_text(c2, "42[\"m\",1,\"2\"]");
    expect_text(c2, "42[\"from-mw\",\"3\"]");
    expect_text(c2, "42[\"m\",2,\"4\"]");
    char sid2[SIO_ID_LEN + 1], pid2[SIO_ID_LEN + 1];
    read_connect(c2, sid2, pid2);
    assert_string_equal(sid2, sid);
    expect_none(c2);
    env_free(e);
}

/* An adapter that keeps no sessions (as the Redis adapter): recovery is off. */
static sio_adapter_ops no_sessions_ops;
static sio_adapter *no_sessions_new(sio_namespace *nsp, void *user)
{
    sio_adapter *a = sio_adapter_memory_new(nsp, NULL);
    if (a) {
        no_sessions_ops = *a->ops;
        no_sessions_ops.keeps_sessions = false;
        a->ops = &no_sessions_ops;
    }
    return a;
}

static void test_adapter_without_sessions(void **state)
{
    env *e = start(true, NULL);
    assert_int_equal(sio_core_set_adapter(e->srv, no_sessions_new, NULL), SIO_OK);
    char sid[SIO_ID_LEN + 1], pid[SIO_ID_LEN + 1];
    client *c = connect_with(e, NULL, sid, pid);
    assert_string_equal(pid, "");
    sio_emit(last, "a", NULL);
    expect_text(c, "42[\"a\"]");
    sio_broadcast(sio_of(e->srv, "/"), NULL, "b", NULL, NULL, 0);
    expect_text(c, "42[\"b\"]");
    env_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_by_default),
        cmocka_unit_test(test_pid_and_offsets),
        cmocka_unit_test(test_ack_emit_has_no_offset),
        cmocka_unit_test(test_recover_rooms_data_and_missed),
        cmocka_unit_test(test_clean_disconnect_is_not_kept),
        cmocka_unit_test(test_past_the_window),
        cmocka_unit_test(test_unknown_pid_or_offset),
        cmocka_unit_test(test_bytes_bound),
        cmocka_unit_test(test_middlewares_run_when_told),
        cmocka_unit_test(test_async_middleware_while_recovering),
        cmocka_unit_test(test_adapter_without_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
