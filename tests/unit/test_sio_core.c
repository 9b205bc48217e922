/* Unit tests for the Socket.IO core (sio/sio_core, sio_socket, sio_args,
 * sio_broadcast, sio_post) driven through the real sans-I/O Engine.IO
 * engine with a fake transport.
 *
 * Each test builds a core (sio_core_new) with a fake clock, and an engine
 * (eio_engine_new) whose handler is the core's and whose transport ops only
 * record what they are asked (want_write, close_conn). Clients are eio_conn
 * structs opened as WebSocket sessions (eio_engine_handshake); they send
 * frames with eio_conn_ws_recv and read what the server queued with
 * eio_conn_next_frame. Time moves only when a test sets the fake clock and
 * calls sio_core_tick. Nothing sleeps.
 *
 * The teardown closes every client connection, reaps and frees the engine,
 * frees the core and checks that every sio_msg was released. */
#include <fnmatch.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eio/eio_engine.h"
#include "sio.h"
#include "sio/sio_core.h"
#include "util/msg.h"

#include "support/sio_harness.h"

/* --- what the application callbacks saw ---------------------------------- */

enum ack_mode { ACK_IGNORE, ACK_NOW, ACK_RETAIN };

typedef struct ev_rec {
    sio_socket *s;
    char name[64];
    char args[512];
    bool has_ack;
    int ack_rc;
} ev_rec;

typedef struct ack_rec {
    sio_socket *s;
    int err;
    bool has_reply;
    char args[256];
    void *user;
    sio_type type0;
    unsigned char bin[16];
    size_t bin_len;
} ack_rec;

typedef struct recorder {
    sio_socket *connected[32];
    size_t n_connected;
    sio_socket *disc[32];
    char disc_reason[32][64];
    size_t n_disc;
    ev_rec ev[64];
    size_t n_ev;
    ack_rec ack[32];
    size_t n_ack;
    int ack_mode;
    const char *ack_reply;
    sio_ack *held_acks[8];
    size_t n_held;
    sio_socket *held;
    int mw_calls;
    char mw_order[16];
    const char *conn_emit; /* event the connection handler emits, or NULL */
    int setup_calls;
    char setup_names[8][64];
    int filter_calls;
    char filter_auth[128];
    char filter_name[64];
} recorder;

static recorder R;

/* What the disconnecting handler saw, and what it does. */
static struct {
    int calls;
    char reason[64];
    char rooms[256]; /* "id,a,b" */
    size_t disc_before; /* disconnect handlers run before it */
    bool connected;
    bool redisconnect;       /* it asks for a disconnect itself */
    const char *broadcast;   /* it tells this room that it leaves */
} D;

static void on_disconnecting_record(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    D.calls++;
    snprintf(D.reason, sizeof(D.reason), "%s", reason);
    D.rooms[0] = 0;
    for (size_t i = 0; i < sio_room_count(s); i++) {
        const char *r = sio_socket_room(s, i);
        assert_non_null(r);
        assert_true(sio_in_room(s, r));
        size_t n = strlen(D.rooms);
        snprintf(D.rooms + n, sizeof(D.rooms) - n, "%s%s", n ? "," : "", r == sio_socket_id(s) ? "id" : r);
    }
    assert_null(sio_socket_room(s, sio_room_count(s)));
    D.disc_before = R.n_disc;
    D.connected = sio_socket_connected(s);
    if (D.redisconnect)
        sio_disconnect(s, true);
    if (D.broadcast) {
        const char *rooms[] = {D.broadcast};
        sio_target to = {.rooms = rooms, .n_rooms = 1};
        assert_true(sio_broadcast(sio_socket_namespace(s), &to, "left", "[1]", NULL, 0) >= 1);
    }
}

static void on_conn_record(sio_socket *s, void *user)
{
    (void)user;
    assert_true(R.n_connected < 32);
    assert_true(sio_socket_connected(s));
    R.connected[R.n_connected++] = s;
    if (R.conn_emit)
        assert_int_equal(sio_emit(s, R.conn_emit, NULL), SIO_OK);
}

static void on_disc_record(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    assert_true(R.n_disc < 32);
    R.disc[R.n_disc] = s;
    snprintf(R.disc_reason[R.n_disc], sizeof(R.disc_reason[0]), "%s", reason);
    R.n_disc++;
}

static void on_ev_record(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    (void)user;
    assert_true(R.n_ev < 64);
    ev_rec *r = &R.ev[R.n_ev++];
    r->s = s;
    snprintf(r->name, sizeof(r->name), "%s", event);
    size_t len;
    const char *j = sio_args_json(args, &len);
    assert_non_null(j);
    snprintf(r->args, sizeof(r->args), "%.*s", (int)len, j);
    r->has_ack = ack != NULL;
    if (!ack)
        return;
    if (R.ack_mode == ACK_NOW)
        r->ack_rc = sio_ack_send(ack, R.ack_reply, NULL, 0);
    else if (R.ack_mode == ACK_RETAIN)
        R.held_acks[R.n_held++] = sio_ack_retain(ack);
}

static void on_ack_record(sio_socket *s, const sio_args *reply, int err, void *user)
{
    assert_true(R.n_ack < 32);
    ack_rec *r = &R.ack[R.n_ack++];
    r->s = s;
    r->err = err;
    r->user = user;
    r->has_reply = reply != NULL;
    if (reply) {
        size_t len;
        const char *j = sio_args_json(reply, &len);
        assert_non_null(j);
        snprintf(r->args, sizeof(r->args), "%.*s", (int)len, j);
        r->type0 = sio_arg_type(reply, 0);
        if (r->type0 == SIO_T_BINARY) {
            const void *b = sio_arg_binary(reply, 0, &r->bin_len);
            assert_non_null(b);
            assert_true(r->bin_len <= sizeof(r->bin));
            memcpy(r->bin, b, r->bin_len);
        }
    }
}

/* --- environment ------------------------------------------------------------- */

static int setup(void **state)
{
    memset(&R, 0, sizeof(R));
    *state = env_new();
    return 0;
}

static int teardown(void **state)
{
    env_free(*state);
    return 0;
}


/* Connects c to nsp ("/" or "/x") and returns the new socket (the
 * namespace's connection handler must be on_conn_record). */
static sio_socket *connect_ok(client *c, const char *nsp)
{
    char pkt[128];
    if (!nsp || strcmp(nsp, "/") == 0)
        snprintf(pkt, sizeof(pkt), "40");
    else
        snprintf(pkt, sizeof(pkt), "40%s,", nsp);
    size_t before = R.n_connected;
    assert_int_equal(client_send(c, pkt), 0);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(c, nsp, sid);
    assert_int_equal(R.n_connected, before + 1);
    sio_socket *s = R.connected[before];
    assert_string_equal(sio_socket_id(s), sid);
    return s;
}

static sio_stats stats(env *e)
{
    sio_stats st;
    sio_server_stats(e->srv, &st);
    return st;
}

static bool session_open(client *c) { return c->conn.session && eio_session_is_open(c->conn.session); }

/* --- connecting ------------------------------------------------------------------ */

static void test_connect_reply(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    assert_non_null(root);
    assert_string_equal(sio_namespace_name(root), "/");
    sio_on_connection(root, on_conn_record, NULL);

    client *a = client_open(e);
    int ww = e->ft.want_writes;
    assert_int_equal(client_send(a, "40"), 0);
    assert_true(e->ft.want_writes > ww); /* the reply woke the writer */
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/", sid);
    expect_none(a);
    /* A Socket.IO id of its own, not the Engine.IO one. */
    assert_string_not_equal(sid, a->eio_sid);
    assert_int_equal(R.n_connected, 1);
    sio_socket *s = R.connected[0];
    assert_string_equal(sio_socket_id(s), sid);
    assert_true(sio_socket_connected(s));
    assert_ptr_equal(sio_socket_namespace(s), root);
    assert_ptr_equal(sio_socket_server(s), e->srv);
    assert_string_equal(sio_socket_auth(s), "{}");
    assert_true(sio_in_room(s, sid));
    assert_int_equal(sio_namespace_socket_count(root), 1);
    assert_int_equal(stats(e).clients, 1);
    sio_socket_set_data(s, &R);
    assert_ptr_equal(sio_socket_data(s), &R);

    /* With an auth object. */
    client *b = client_open(e);
    assert_int_equal(client_send(b, "40{\"token\":\"x\"}"), 0);
    char sid_b[SIO_ID_LEN + 1];
    expect_connect_reply(b, "/", sid_b);
    assert_int_equal(R.n_connected, 2);
    assert_string_equal(sio_socket_auth(R.connected[1]), "{\"token\":\"x\"}");
    assert_string_not_equal(sid_b, sid);
    assert_string_not_equal(sid_b, b->eio_sid);
    assert_int_equal(sio_namespace_socket_count(root), 2);

    /* A custom namespace, with and without the trailing comma. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    assert_non_null(chat);
    assert_ptr_equal(sio_of(e->srv, "/chat"), chat);
    assert_null(sio_of(e->srv, "chat"));
    sio_on_connection(chat, on_conn_record, NULL);
    assert_int_equal(client_send(a, "40/chat,"), 0);
    char sid_chat[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/chat", sid_chat);
    assert_string_not_equal(sid_chat, sid);
    assert_ptr_equal(sio_socket_namespace(R.connected[2]), chat);
    assert_int_equal(client_send(b, "40/chat"), 0);
    expect_connect_reply(b, "/chat", sid_chat);
    assert_int_equal(client_send(b, "40/chat,{\"a\":1}"), 0); /* already there: ignored */
    expect_none(b);
    assert_int_equal(sio_namespace_socket_count(chat), 2);
    assert_int_equal(R.n_connected, 4);
}

static void test_connect_unknown_namespace(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_on_connection(sio_of(e->srv, "/"), on_conn_record, NULL);
    client *a = client_open(e);
    assert_int_equal(client_send(a, "40/nope,"), 0);
    expect_text(a, "44/nope,{\"message\":\"Invalid namespace\"}");
    expect_none(a);
    assert_true(session_open(a));
    assert_int_equal(R.n_connected, 0);
    assert_int_equal(client_send(a, "40/nope,{\"token\":1}"), 0);
    expect_text(a, "44/nope,{\"message\":\"Invalid namespace\"}");
    /* The connection is still good for a namespace that exists. */
    connect_ok(a, "/");
    expect_none(a);
}

/* An event for a namespace the client has not joined breaks the protocol:
 * the session is closed. */
static void test_event_before_connect(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_on(sio_of(e->srv, "/"), "ev", on_ev_record, NULL);
    client *a = client_open(e);
    assert_int_equal(client_send(a, "42[\"ev\"]"), -1);
    assert_null(a->conn.session);
    assert_int_equal(e->ft.closes, 1);
    assert_ptr_equal(e->ft.last_closed, &a->conn);
    assert_int_equal(R.n_ev, 0);
    assert_int_equal(stats(e).clients, 0);

    /* A malformed packet likewise. */
    sio_on_disconnect(sio_of(e->srv, "/"), on_disc_record, NULL);
    sio_on_connection(sio_of(e->srv, "/"), on_conn_record, NULL);
    client *b = client_open(e);
    connect_ok(b, "/");
    assert_int_equal(client_send(b, "42[\"ev\",]"), -1);
    assert_null(b->conn.session);
    assert_int_equal(R.n_disc, 1);
    assert_string_equal(R.disc_reason[0], "parse error");
}

/* --- middlewares ------------------------------------------------------------------ */

static bool mw_refuse(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)user;
    assert_false(sio_socket_connected(s));
    R.mw_calls++;
    *message = "not allowed";
    *data = "{\"code\":42,\"why\":[1,\"x\"]}";
    return false;
}

static bool mw_refuse_default(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)s, (void)message, (void)data, (void)user;
    R.mw_calls++;
    return false;
}

static bool mw_allow_tag(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)s, (void)message, (void)data;
    size_t n = strlen(R.mw_order);
    R.mw_order[n] = *(const char *)user;
    R.mw_calls++;
    return true;
}

static bool mw_need_token(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)data, (void)user;
    R.mw_calls++;
    if (strcmp(sio_socket_auth(s), "{\"token\":\"good\"}") == 0)
        return true;
    *message = "bad token";
    return false;
}

static void test_middleware_refusal(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    assert_int_equal(sio_use(root, mw_refuse, NULL), SIO_OK);

    client *a = client_open(e);
    assert_int_equal(client_send(a, "40"), 0);
    expect_text(a, "44{\"message\":\"not allowed\",\"data\":{\"code\":42,\"why\":[1,\"x\"]}}");
    expect_none(a);
    assert_int_equal(R.mw_calls, 1);
    assert_int_equal(R.n_connected, 0);
    assert_int_equal(R.n_disc, 0); /* never connected: no disconnect either */
    assert_int_equal(sio_namespace_socket_count(root), 0);
    assert_true(session_open(a));

    /* The default message, on a custom namespace. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    assert_int_equal(sio_use(chat, mw_refuse_default, NULL), SIO_OK);
    assert_int_equal(client_send(a, "40/chat,"), 0);
    expect_text(a, "44/chat,{\"message\":\"not authorized\"}");
    expect_none(a);
    assert_int_equal(R.n_connected, 0);

    /* Middlewares see the auth object and run in order; all must agree. */
    sio_namespace *vip = sio_of(e->srv, "/vip");
    sio_on_connection(vip, on_conn_record, NULL);
    static const char t1 = '1', t2 = '2';
    assert_int_equal(sio_use(vip, mw_allow_tag, (void *)&t1), SIO_OK);
    assert_int_equal(sio_use(vip, mw_allow_tag, (void *)&t2), SIO_OK);
    assert_int_equal(sio_use(vip, mw_need_token, NULL), SIO_OK);
    R.mw_calls = 0;
    assert_int_equal(client_send(a, "40/vip,{\"token\":\"bad\"}"), 0);
    expect_text(a, "44/vip,{\"message\":\"bad token\"}");
    assert_string_equal(R.mw_order, "12");
    assert_int_equal(R.mw_calls, 3);
    memset(R.mw_order, 0, sizeof(R.mw_order));
    /* Refused once, the client may try again. */
    assert_int_equal(client_send(a, "40/vip,{\"token\":\"good\"}"), 0);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/vip", sid);
    assert_string_equal(R.mw_order, "12");
    assert_int_equal(R.n_connected, 1);
    assert_string_equal(sio_socket_auth(R.connected[0]), "{\"token\":\"good\"}");
}

static bool mw_emit(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)message, (void)data;
    R.mw_calls++;
    assert_false(sio_socket_connected(s));
    assert_int_equal(sio_emit(s, "early", "[1]"), SIO_OK);
    assert_int_equal(sio_emit(s, "early2", NULL), SIO_OK);
    /* A volatile emit cannot wait for the reply. */
    assert_int_equal(sio_emit_volatile(s, "vol", NULL), SIO_EAGAIN);
    return user == NULL;
}

static void test_emit_in_middleware(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    assert_int_equal(sio_use(root, mw_emit, NULL), SIO_OK);
    R.conn_emit = "hello";

    client *a = client_open(e);
    assert_int_equal(client_send(a, "40"), 0);
    /* The reply first, then what the middleware emitted, in order, then
     * what the connection handler emitted. */
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/", sid);
    expect_text(a, "42[\"early\",1]");
    expect_text(a, "42[\"early2\"]");
    expect_text(a, "42[\"hello\"]");
    expect_none(a);

    /* On a namespace that refuses after the emits: only the error goes out. */
    static const char refuse = 1;
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    assert_int_equal(sio_use(chat, mw_emit, (void *)&refuse), SIO_OK);
    assert_int_equal(client_send(a, "40/chat,"), 0);
    expect_text(a, "44/chat,{\"message\":\"not authorized\"}");
    expect_none(a);
    assert_int_equal(R.n_connected, 1);
}

static void test_emit_in_connection_handler(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    R.conn_emit = "welcome";
    client *a = client_open(e);
    assert_int_equal(client_send(a, "40/chat,"), 0);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/chat", sid);
    expect_text(a, "42/chat,[\"welcome\"]");
    expect_none(a);
}

/* --- events ------------------------------------------------------------------------ */

static int checked_events;

static void on_ev_check_args(sio_socket *s, const char *event, const sio_args *a, sio_ack *ack, void *user)
{
    assert_ptr_equal(user, &checked_events);
    assert_string_equal(event, "ev");
    assert_null(ack);
    assert_true(sio_socket_connected(s));
    assert_int_equal(sio_args_count(a), 8);
    static const sio_type types[] = {SIO_T_STRING, SIO_T_NUMBER, SIO_T_OBJECT, SIO_T_BOOL,
                                     SIO_T_NULL,   SIO_T_NUMBER, SIO_T_ARRAY,  SIO_T_STRING};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(sio_arg_type(a, i), types[i]);
    assert_int_equal(sio_arg_type(a, 8), SIO_T_NULL); /* out of range */

    char *str = sio_arg_string(a, 0);
    assert_non_null(str);
    assert_string_equal(str, "str");
    free(str);
    str = sio_arg_string(a, 7);
    assert_non_null(str);
    assert_string_equal(str, "\xc3\xa9\n\"");
    free(str);
    assert_null(sio_arg_string(a, 1));
    assert_null(sio_arg_string(a, 8));

    int64_t iv = 0;
    assert_true(sio_arg_int(a, 1, &iv));
    assert_int_equal(iv, 42);
    assert_false(sio_arg_int(a, 5, &iv)); /* 1.5 */
    assert_false(sio_arg_int(a, 0, &iv));
    assert_false(sio_arg_int(a, 8, &iv));
    double dv = 0;
    assert_true(sio_arg_double(a, 5, &dv));
    assert_true(dv == 1.5);
    bool bv = false;
    assert_true(sio_arg_bool(a, 3, &bv));
    assert_true(bv);
    assert_false(sio_arg_bool(a, 4, &bv));

    size_t len = 0;
    const char *j = sio_arg_json(a, 2, &len);
    assert_non_null(j);
    assert_int_equal(len, strlen("{\"a\":[1]}"));
    assert_memory_equal(j, "{\"a\":[1]}", len);
    j = sio_arg_json(a, 0, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(j, "\"str\"", 5);
    j = sio_arg_json(a, 6, &len);
    assert_int_equal(len, 5);
    assert_memory_equal(j, "[1,2]", 5);
    assert_null(sio_arg_json(a, 8, &len));

    const char *all = sio_args_json(a, &len);
    const char *want = "[\"str\",42,{\"a\":[1]},true,null,1.5,[1,2],\"\\u00e9\\n\\\"\"]";
    assert_int_equal(len, strlen(want));
    assert_memory_equal(all, want, len);
    assert_ptr_equal(sio_args_json(a, NULL), all); /* built once */
    assert_int_equal(sio_args_binary_count(a), 0);
    checked_events++;
}

static void test_event_dispatch(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    checked_events = 0;
    assert_int_equal(sio_on(root, "ev", on_ev_check_args, &checked_events), SIO_OK);
    assert_int_equal(sio_on(root, "plain", on_ev_record, NULL), SIO_OK);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");

    assert_int_equal(
        client_send(a, "42[\"ev\",\"str\",42,{\"a\":[1]},true,null,1.5,[1,2],\"\\u00e9\\n\\\"\"]"), 0);
    assert_int_equal(checked_events, 1);

    assert_int_equal(client_send(a, "42[\"plain\"]"), 0);
    assert_int_equal(client_send(a, "42[ \"plain\" , 1 , \"two\" ]"), 0);
    assert_int_equal(R.n_ev, 2);
    assert_ptr_equal(R.ev[0].s, s);
    assert_string_equal(R.ev[0].name, "plain");
    assert_string_equal(R.ev[0].args, "[]");
    assert_false(R.ev[0].has_ack);
    assert_string_equal(R.ev[1].args, "[1,\"two\"]");

    /* An escaped event name is matched after unescaping. */
    assert_int_equal(client_send(a, "42[\"pl\\u0061in\",3]"), 0);
    assert_int_equal(R.n_ev, 3);
    assert_string_equal(R.ev[2].name, "plain");

    /* No handler: nothing happens, the connection stays. */
    assert_int_equal(client_send(a, "42[\"nobody\",1]"), 0);
    assert_int_equal(R.n_ev, 3);
    assert_true(sio_socket_connected(s));
    expect_none(a);
}

static void on_ev_other(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    (void)s, (void)args, (void)ack;
    *(int *)user += 1;
    assert_string_equal(event, "named");
}

static void test_on_any(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    int named = 0;
    assert_int_equal(sio_on(root, "named", on_ev_other, &named), SIO_OK);
    sio_on_any(root, on_ev_record, NULL);
    client *a = client_open(e);
    connect_ok(a, "/");

    assert_int_equal(client_send(a, "42[\"named\",1]"), 0);
    assert_int_equal(named, 1);
    assert_int_equal(R.n_ev, 0);
    assert_int_equal(client_send(a, "42[\"other\",2,\"x\"]"), 0);
    assert_int_equal(client_send(a, "42[\"third\"]"), 0);
    assert_int_equal(R.n_ev, 2);
    assert_string_equal(R.ev[0].name, "other");
    assert_string_equal(R.ev[0].args, "[2,\"x\"]");
    assert_string_equal(R.ev[1].name, "third");
    assert_string_equal(R.ev[1].args, "[]");

    /* A later sio_on for the same name replaces the handler. */
    assert_int_equal(sio_on(root, "named", on_ev_record, NULL), SIO_OK);
    assert_int_equal(client_send(a, "42[\"named\",3]"), 0);
    assert_int_equal(named, 1);
    assert_int_equal(R.n_ev, 3);
    assert_string_equal(R.ev[2].name, "named");
    assert_string_equal(R.ev[2].args, "[3]");

    /* Handlers are per namespace. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    connect_ok(a, "/chat");
    assert_int_equal(client_send(a, "42/chat,[\"other\"]"), 0);
    assert_int_equal(R.n_ev, 3);
    expect_none(a);
}

/* --- acks the client asks for ------------------------------------------------- */

static void test_ack_send_now(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    assert_int_equal(sio_on(root, "ev", on_ev_record, NULL), SIO_OK);
    client *a = client_open(e);
    connect_ok(a, "/");

    R.ack_mode = ACK_NOW;
    R.ack_reply = "[\"ok\",1]";
    assert_int_equal(client_send(a, "427[\"ev\",\"q\"]"), 0);
    assert_int_equal(R.n_ev, 1);
    assert_true(R.ev[0].has_ack);
    assert_int_equal(R.ev[0].ack_rc, SIO_OK);
    assert_string_equal(R.ev[0].args, "[\"q\"]");
    expect_text(a, "437[\"ok\",1]");
    expect_none(a);

    /* No ack asked: none given. */
    assert_int_equal(client_send(a, "42[\"ev\"]"), 0);
    assert_false(R.ev[1].has_ack);
    expect_none(a);

    /* NULL args: an empty array. Large ids are echoed exactly. */
    R.ack_reply = NULL;
    assert_int_equal(client_send(a, "429007199254740991[\"ev\"]"), 0);
    expect_text(a, "439007199254740991[]");

    /* Invalid reply arguments: refused, the ack is consumed, nothing sent. */
    R.ack_reply = "[1,";
    assert_int_equal(client_send(a, "420[\"ev\"]"), 0);
    assert_int_equal(R.ev[3].ack_rc, SIO_EINVAL);
    expect_none(a);

    /* In a namespace. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    assert_int_equal(sio_on(chat, "ev", on_ev_record, NULL), SIO_OK);
    connect_ok(a, "/chat");
    R.ack_reply = "[{\"a\":true}]";
    assert_int_equal(client_send(a, "42/chat,5[\"ev\"]"), 0);
    expect_text(a, "43/chat,5[{\"a\":true}]");

    /* An ack asked and ignored by the handler is released silently. */
    R.ack_mode = ACK_IGNORE;
    assert_int_equal(client_send(a, "4211[\"ev\"]"), 0);
    assert_true(R.ev[R.n_ev - 1].has_ack);
    expect_none(a);
}

static void test_ack_retained(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    assert_int_equal(sio_on(root, "ev", on_ev_record, NULL), SIO_OK);
    client *a = client_open(e);
    connect_ok(a, "/");
    R.ack_mode = ACK_RETAIN;

    assert_int_equal(client_send(a, "4212[\"ev\"]"), 0);
    assert_int_equal(client_send(a, "4213[\"ev\"]"), 0);
    assert_int_equal(client_send(a, "4214[\"ev\"]"), 0);
    assert_int_equal(R.n_held, 3);
    expect_none(a); /* nothing until the application answers */

    /* Answered later, out of order. */
    assert_int_equal(sio_ack_send(R.held_acks[1], "[\"later\",13]", NULL, 0), SIO_OK);
    expect_text(a, "4313[\"later\",13]");
    assert_int_equal(sio_ack_send(R.held_acks[0], "[]", NULL, 0), SIO_OK);
    expect_text(a, "4312[]");
    /* Discarded: nothing is sent. */
    sio_ack_discard(R.held_acks[2]);
    expect_none(a);

    /* Retained past a disconnect: the answer is refused and counted. */
    assert_int_equal(client_send(a, "4215[\"ev\"]"), 0);
    assert_int_equal(R.n_held, 4);
    assert_int_equal(client_send(a, "41"), 0);
    uint64_t before = stats(e).emits_after_close;
    assert_int_equal(sio_ack_send(R.held_acks[3], "[1]", NULL, 0), SIO_ECLOSED);
    assert_int_equal(stats(e).emits_after_close, before + 1);
    expect_none(a);
}

/* --- acks the server asks for -------------------------------------------------- */

static void test_emit_with_ack_reply(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");
    int tag;

    assert_int_equal(sio_emit_with_ack(s, "q", "[1]", NULL, 0, 5000, on_ack_record, &tag), SIO_OK);
    expect_text(a, "420[\"q\",1]");
    assert_int_equal(R.n_ack, 0);
    assert_int_equal(client_send(a, "430[\"a\",2]"), 0);
    assert_int_equal(R.n_ack, 1);
    assert_int_equal(R.ack[0].err, 0);
    assert_true(R.ack[0].has_reply);
    assert_string_equal(R.ack[0].args, "[\"a\",2]");
    assert_ptr_equal(R.ack[0].user, &tag);
    assert_ptr_equal(R.ack[0].s, s);
    /* A second reply with the same id is ignored. */
    assert_int_equal(client_send(a, "430[\"again\"]"), 0);
    assert_int_equal(R.n_ack, 1);
    /* Its timer is gone: nothing fires later. */
    fake_now += 10000;
    sio_core_tick(e->srv, fake_now); settle();
    assert_int_equal(R.n_ack, 1);

    /* Ids increase; replies may come in any order; a binary reply. */
    assert_int_equal(sio_emit_with_ack(s, "q2", NULL, NULL, 0, 5000, on_ack_record, NULL), SIO_OK);
    assert_int_equal(sio_emit_with_ack(s, "q3", NULL, NULL, 0, 0, on_ack_record, &tag), SIO_OK);
    expect_text(a, "421[\"q2\"]");
    expect_text(a, "422[\"q3\"]");
    assert_int_equal(client_send(a, "461-2[{\"_placeholder\":true,\"num\":0}]"), 0);
    assert_int_equal(R.n_ack, 1);
    assert_int_equal(client_send_bin(a, "\x01\x02\x03", 3), 0);
    assert_int_equal(R.n_ack, 2);
    assert_int_equal(R.ack[1].err, 0);
    assert_ptr_equal(R.ack[1].user, &tag);
    assert_int_equal(R.ack[1].type0, SIO_T_BINARY);
    assert_int_equal(R.ack[1].bin_len, 3);
    assert_memory_equal(R.ack[1].bin, "\x01\x02\x03", 3);
    assert_int_equal(client_send(a, "431[]"), 0);
    assert_int_equal(R.n_ack, 3);
    assert_null(R.ack[2].user);
    assert_string_equal(R.ack[2].args, "[]");
    /* A reply for an id never used is ignored. */
    assert_int_equal(client_send(a, "4399[1]"), 0);
    assert_int_equal(R.n_ack, 3);
    assert_true(sio_socket_connected(s));

    /* In a namespace: the ack goes to that namespace's socket. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    sio_socket *sc = connect_ok(a, "/chat");
    assert_int_equal(sio_emit_with_ack(sc, "q", NULL, NULL, 0, 0, on_ack_record, NULL), SIO_OK);
    expect_text(a, "42/chat,0[\"q\"]");
    assert_int_equal(client_send(a, "430[\"root\"]"), 0); /* "/" has no pending id 0 */
    assert_int_equal(R.n_ack, 3);
    assert_int_equal(client_send(a, "43/chat,0[\"chat\"]"), 0);
    assert_int_equal(R.n_ack, 4);
    assert_ptr_equal(R.ack[3].s, sc);
    assert_string_equal(R.ack[3].args, "[\"chat\"]");

    /* Bad arguments are refused before anything is sent. */
    assert_int_equal(sio_emit_with_ack(s, "q", "[1", NULL, 0, 0, on_ack_record, NULL), SIO_EINVAL);
    assert_int_equal(sio_emit_with_ack(s, "q", NULL, NULL, 0, 0, NULL, NULL), SIO_EINVAL);
    assert_int_equal(sio_emit_with_ack(s, "disconnect", NULL, NULL, 0, 0, on_ack_record, NULL),
                     SIO_EINVAL);
    expect_none(a);
}

static void test_emit_with_ack_timeout(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");

    fake_now = 2000;
    assert_int_equal(sio_emit_with_ack(s, "q", NULL, NULL, 0, 500, on_ack_record, &R), SIO_OK);
    assert_int_equal(sio_emit_with_ack(s, "forever", NULL, NULL, 0, 0, on_ack_record, NULL), SIO_OK);
    expect_text(a, "420[\"q\"]");
    expect_text(a, "421[\"forever\"]");
    assert_int_equal(sio_core_next_deadline(e->srv), 2500);

    fake_now = 2499;
    sio_core_tick(e->srv, fake_now); settle();
    assert_int_equal(R.n_ack, 0);
    fake_now = 2500;
    sio_core_tick(e->srv, fake_now); settle();
    assert_int_equal(R.n_ack, 1);
    assert_int_equal(R.ack[0].err, SIO_ACK_TIMEOUT);
    assert_false(R.ack[0].has_reply);
    assert_ptr_equal(R.ack[0].user, &R);
    assert_ptr_equal(R.ack[0].s, s);
    /* Exactly once. */
    fake_now = 100000;
    sio_core_tick(e->srv, fake_now); settle();
    assert_int_equal(R.n_ack, 1);
    /* The late reply is ignored. */
    assert_int_equal(client_send(a, "430[\"late\"]"), 0);
    assert_int_equal(R.n_ack, 1);
    assert_true(sio_socket_connected(s));
    /* The ack without a timeout still waits, and is answered. */
    assert_int_equal(client_send(a, "431[\"ok\"]"), 0);
    assert_int_equal(R.n_ack, 2);
    assert_int_equal(R.ack[1].err, 0);
    assert_string_equal(R.ack[1].args, "[\"ok\"]");
    assert_int_equal(sio_core_next_deadline(e->srv), INT64_MAX);
    expect_none(a);
}

static void test_disconnect_fails_acks(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");
    int t1, t2;
    assert_int_equal(sio_emit_with_ack(s, "q", NULL, NULL, 0, 1000, on_ack_record, &t1), SIO_OK);
    assert_int_equal(sio_emit_with_ack(s, "q", NULL, NULL, 0, 0, on_ack_record, &t2), SIO_OK);
    assert_int_equal(drain(a), 2);

    /* The client leaves the namespace: both fail with SIO_ECLOSED, once. */
    assert_int_equal(client_send(a, "41"), 0);
    assert_int_equal(R.n_ack, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(R.ack[i].err, SIO_ECLOSED);
        assert_false(R.ack[i].has_reply);
    }
    assert_true((R.ack[0].user == &t1 && R.ack[1].user == &t2) ||
                (R.ack[0].user == &t2 && R.ack[1].user == &t1));
    fake_now += 5000;
    sio_core_tick(e->srv, fake_now); settle();
    assert_int_equal(R.n_ack, 2);
    assert_int_equal(sio_core_next_deadline(e->srv), INT64_MAX);

    /* The transport goes away: likewise. */
    client *b = client_open(e);
    sio_socket *sb = connect_ok(b, "/");
    assert_int_equal(sio_emit_with_ack(sb, "q", NULL, NULL, 0, 1000, on_ack_record, NULL), SIO_OK);
    conn_gone(&b->conn);
    assert_int_equal(R.n_ack, 3);
    assert_int_equal(R.ack[2].err, SIO_ECLOSED);
    fake_now += 5000;
    sio_core_tick(e->srv, fake_now); settle();
    assert_int_equal(R.n_ack, 3);
    eio_engine_reap(e->eng);
}

/* --- rooms ------------------------------------------------------------------------- */

/* The rooms of a socket, in order; and the disconnecting handler, which
 * sees them all before the socket leaves them, before the disconnect
 * handler, whatever closes the socket; a disconnect asked for from it is the
 * one under way; a broadcast from it reaches the room it leaves. */
static void test_disconnecting_sees_rooms(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    memset(&D, 0, sizeof(D));
    sio_namespace *nsp = sio_of(e->srv, "/");
    sio_on_connection(nsp, on_conn_record, NULL);
    sio_on_disconnect(nsp, on_disc_record, NULL);
    sio_on_disconnecting(nsp, on_disconnecting_record, NULL);
    client *a = client_open(e), *b = client_open(e), *c = client_open(e);
    sio_socket *sa = connect_ok(a, "/"), *sb = connect_ok(b, "/"), *sc = connect_ok(c, "/");

    assert_int_equal(sio_join(sa, "b-room"), SIO_OK);
    assert_int_equal(sio_join(sa, "a-room"), SIO_OK);
    assert_int_equal(sio_room_count(sa), 3);
    assert_ptr_equal(sio_socket_room(sa, 0), sio_socket_id(sa));
    assert_string_equal(sio_socket_room(sa, 1), "b-room");
    assert_string_equal(sio_socket_room(sa, 2), "a-room");
    assert_null(sio_socket_room(sa, 3));
    assert_int_equal(sio_leave(sa, "b-room"), SIO_OK);
    assert_string_equal(sio_socket_room(sa, 1), "a-room");
    assert_int_equal(sio_join(sa, "b-room"), SIO_OK);
    /* Leaving one in the middle keeps the others in the order joined. */
    assert_int_equal(sio_join(sa, "c-room"), SIO_OK);
    assert_int_equal(sio_leave(sa, "a-room"), SIO_OK);
    assert_string_equal(sio_socket_room(sa, 1), "b-room");
    assert_string_equal(sio_socket_room(sa, 2), "c-room");
    assert_int_equal(sio_join(sa, "a-room"), SIO_OK);

    /* The client leaves: the handler sees every room, then the socket
     * leaves them, then the disconnect handler runs. */
    sio_socket_ref(sa); /* to look at it after its disconnection */
    assert_int_equal(client_send(a, "41"), 0);
    assert_int_equal(D.calls, 1);
    assert_string_equal(D.reason, "client namespace disconnect");
    assert_string_equal(D.rooms, "id,b-room,c-room,a-room");
    assert_int_equal(D.disc_before, 0);
    assert_true(D.connected);
    assert_int_equal(R.n_disc, 1);
    assert_ptr_equal(R.disc[0], sa);
    assert_int_equal(sio_room_count(sa), 0);
    assert_null(sio_socket_room(sa, 0));
    sio_socket_unref(sa);

    /* A server disconnect that the handler asks for again, and a broadcast
     * from it to the room it leaves. */
    assert_int_equal(sio_join(sb, "x"), SIO_OK);
    assert_int_equal(sio_join(sc, "x"), SIO_OK);
    D.redisconnect = true;
    D.broadcast = "x";
    sio_disconnect(sb, true);
    assert_int_equal(D.calls, 2);
    assert_string_equal(D.reason, "server namespace disconnect");
    assert_string_equal(D.rooms, "id,x");
    assert_int_equal(R.n_disc, 2);
    assert_ptr_equal(R.disc[1], sb);
    expect_text(c, "42[\"left\",1]");
    expect_none(c);

    /* The transport closes under a socket: its handler runs too. */
    D.redisconnect = false;
    D.broadcast = NULL;
    eio_conn_closed(&c->conn);
    eio_engine_deliver_closes(e->eng);
    assert_int_equal(D.calls, 3);
    assert_string_equal(D.reason, "transport close");
    assert_string_equal(D.rooms, "id,x");
    assert_int_equal(R.n_disc, 3);
    assert_ptr_equal(R.disc[2], sc);
}

/* A packet middleware that lets "ok" through, refuses "secret" with a
 * message and "quiet" without one, and disconnects on "bye". */
static int pmw_calls;
static bool pmw_refuse(sio_socket *s, const char *event, const sio_args *args, const char **error, void *user)
{
    pmw_calls++;
    assert_ptr_equal(user, &pmw_calls);
    if (strcmp(event, "secret") == 0) {
        assert_int_equal(sio_args_count(args), 1);
        *error = "not \"allowed\"";
        return false;
    }
    if (strcmp(event, "bye") == 0) {
        sio_disconnect(s, false);
        return true;
    }
    return strcmp(event, "quiet") != 0;
}

static bool pmw_count(sio_socket *s, const char *event, const sio_args *args, const char **error, void *user)
{
    (*(int *)user)++;
    return true;
}

static void test_socket_use(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *nsp = sio_of(e->srv, "/");
    sio_on_connection(nsp, on_conn_record, NULL);
    sio_on_disconnect(nsp, on_disc_record, NULL);
    sio_on_any(nsp, on_ev_record, NULL);
    R.ack_mode = ACK_NOW;
    R.ack_reply = "[\"done\"]";
    pmw_calls = 0;
    int second = 0;
    client *a = client_open(e), *b = client_open(e);
    sio_socket *sa = connect_ok(a, "/");
    connect_ok(b, "/");
    assert_int_equal(sio_socket_use(sa, pmw_refuse, &pmw_calls), SIO_OK);
    assert_int_equal(sio_socket_use(sa, pmw_count, &second), SIO_OK);

    assert_int_equal(client_send(a, "42[\"ok\",1]"), 0);
    assert_int_equal(R.n_ev, 1);
    assert_int_equal(second, 1);
    assert_int_equal(client_send(a, "421[\"secret\",2]"), 0);
    expect_text(a, "431[{\"error\":\"not \\\"allowed\\\"\"}]");
    assert_int_equal(client_send(a, "422[\"quiet\"]"), 0);
    expect_text(a, "432[{\"error\":\"refused\"}]");
    assert_int_equal(client_send(a, "42[\"quiet\"]"), 0); /* no ack asked: nothing sent */
    expect_none(a);
    assert_int_equal(R.n_ev, 1); /* the refused events reached no handler */
    assert_int_equal(second, 1); /* nor the next middleware */
    assert_int_equal(pmw_calls, 4);

    /* Another socket has no middleware. */
    assert_int_equal(client_send(b, "423[\"secret\",3]"), 0);
    expect_text(b, "433[\"done\"]");
    assert_int_equal(R.n_ev, 2);

    /* A middleware that disconnects: the event goes no further. */
    sio_socket_ref(sa);
    assert_int_equal(client_send(a, "42[\"bye\"]"), 0);
    expect_text(a, "41");
    assert_int_equal(R.n_ev, 2);
    assert_int_equal(second, 1);
    assert_int_equal(R.n_disc, 1);
    assert_int_equal(sio_socket_use(sa, pmw_count, &second), SIO_ECLOSED);
    sio_socket_unref(sa);
}

/* Asynchronous middlewares: what they keep waiting, and how they answer. */
static sio_decision *held_decision;
static bool decide_at_once; /* answer before returning */
static void async_mw(sio_socket *s, sio_decision *d, void *user)
{
    assert_ptr_equal(sio_decision_socket(d), s);
    R.mw_calls++;
    /* Emits made while the answer is awaited wait for the CONNECT reply. */
    assert_int_equal(sio_emit(s, "early", "[1]"), SIO_OK);
    if (decide_at_once)
        assert_int_equal(sio_decide(d, true, NULL, NULL), SIO_OK);
    else
        held_decision = d;
}

static bool sync_mw_after(sio_socket *s, const char **message, const char **data, void *user)
{
    R.mw_order[strlen(R.mw_order)] = 's';
    return true;
}

static void test_async_middleware(void **state)
{
    env *e = *state;
    sio_options o;
    sio_options_init(&o);
    o.connect_timeout = 5000;
    env_start(e, &o, NULL);
    sio_namespace *nsp = sio_of(e->srv, "/");
    sio_on_connection(nsp, on_conn_record, NULL);
    assert_int_equal(sio_use_async(nsp, async_mw, NULL), SIO_OK);
    assert_int_equal(sio_use(nsp, sync_mw_after, NULL), SIO_OK);
    held_decision = NULL;
    decide_at_once = false;

    /* Allowed later: the next middleware runs then, the reply goes out,
     * then what was emitted meanwhile. */
    client *a = client_open(e);
    assert_int_equal(client_send(a, "40"), 0);
    assert_non_null(held_decision);
    expect_none(a);
    assert_int_equal(R.n_connected, 0);
    assert_string_equal(R.mw_order, "");
    assert_int_equal(sio_decide(held_decision, true, NULL, NULL), SIO_OK);
    assert_string_equal(R.mw_order, "s");
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/", sid);
    expect_text(a, "42[\"early\",1]");
    assert_int_equal(R.n_connected, 1);

    /* Refused later, with a message and data. */
    client *b = client_open(e);
    assert_int_equal(client_send(b, "40"), 0);
    assert_int_equal(sio_decide(held_decision, false, "no entry", "{\"code\":7}"), SIO_OK);
    expect_text(b, "44{\"message\":\"no entry\",\"data\":{\"code\":7}}");
    expect_none(b); /* the early emit went with the socket */
    assert_int_equal(R.n_connected, 1);

    /* Answered before the middleware returns. */
    decide_at_once = true;
    client *c = client_open(e);
    assert_int_equal(client_send(c, "40"), 0);
    expect_connect_reply(c, "/", sid);
    expect_text(c, "42[\"early\",1]");
    assert_int_equal(R.n_connected, 2);
    decide_at_once = false;

    /* An answer that comes too late: the connect timeout closed the
     * connection, and the decision says so. */
    held_decision = NULL;
    client *d = client_open(e);
    assert_int_equal(client_send(d, "40"), 0);
    assert_non_null(held_decision);
    fake_now += 5001;
    sio_core_tick(e->srv, fake_now);
    settle();
    assert_false(session_open(d));
    assert_int_equal(sio_decide(held_decision, true, NULL, NULL), SIO_ECLOSED);
    assert_int_equal(R.n_connected, 2);
    assert_int_equal(R.mw_calls, 4);
}

/* A worker thread answers an asynchronous middleware's decision through
 * sio_server_call; the loop thread runs the call. */
static void answer_allow(sio_server *srv, void *arg)
{
    assert_non_null(srv);
    assert_int_equal(sio_decide(arg, true, NULL, NULL), SIO_OK);
}

static void *worker_answers(void *arg)
{
    env *e = arg;
    assert_int_equal(sio_server_call(e->srv, answer_allow, held_decision), SIO_OK);
    return NULL;
}

static void test_async_middleware_from_thread(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *nsp = sio_of(e->srv, "/");
    sio_on_connection(nsp, on_conn_record, NULL);
    assert_int_equal(sio_use_async(nsp, async_mw, NULL), SIO_OK);
    held_decision = NULL;
    decide_at_once = false;
    client *a = client_open(e);
    assert_int_equal(client_send(a, "40"), 0);
    assert_non_null(held_decision);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker_answers, e), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    expect_none(a); /* nothing until the loop thread runs the call */
    sio_core_run_posted(e->srv);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/", sid);
    expect_text(a, "42[\"early\",1]");
    assert_int_equal(R.n_connected, 1);
}

static void test_rooms(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e), *b = client_open(e);
    sio_socket *sa = connect_ok(a, "/");
    sio_socket *sb = connect_ok(b, "/");

    /* Every socket is in the room of its own id. */
    assert_int_equal(sio_room_count(sa), 1);
    assert_true(sio_in_room(sa, sio_socket_id(sa)));
    assert_false(sio_in_room(sa, sio_socket_id(sb)));
    assert_false(sio_in_room(sa, "r1"));
    assert_false(sio_in_room(sa, NULL));

    assert_int_equal(sio_join(sa, "r1"), SIO_OK);
    assert_int_equal(sio_join(sa, "r2"), SIO_OK);
    assert_int_equal(sio_join(sa, "r1"), SIO_OK); /* twice: once */
    assert_int_equal(sio_room_count(sa), 3);
    assert_true(sio_in_room(sa, "r1"));
    assert_true(sio_in_room(sa, "r2"));
    assert_false(sio_in_room(sa, "r3"));
    assert_int_equal(sio_join(sa, NULL), SIO_EINVAL);

    assert_int_equal(sio_join(sb, "r2"), SIO_OK);
    assert_int_equal(sio_leave(sa, "r2"), SIO_OK);
    assert_false(sio_in_room(sa, "r2"));
    assert_true(sio_in_room(sb, "r2"));
    assert_int_equal(sio_room_count(sa), 2);
    assert_int_equal(sio_leave(sa, "r2"), SIO_OK); /* not in it: fine */
    assert_int_equal(sio_leave(sa, "nope"), SIO_OK);
    assert_int_equal(sio_leave(sa, NULL), SIO_OK);
    assert_int_equal(sio_room_count(sa), 2);

    /* Rooms are per namespace. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    sio_socket *sc = connect_ok(a, "/chat");
    assert_false(sio_in_room(sc, "r1"));
    assert_int_equal(sio_room_count(sc), 1);

    /* Many rooms, left in another order. */
    char name[32];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "many-%d", i);
        assert_int_equal(sio_join(sb, name), SIO_OK);
    }
    assert_int_equal(sio_room_count(sb), 42);
    for (int i = 0; i < 40; i += 2) {
        snprintf(name, sizeof(name), "many-%d", i);
        assert_int_equal(sio_leave(sb, name), SIO_OK);
    }
    assert_int_equal(sio_room_count(sb), 22);
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "many-%d", i);
        assert_int_equal(sio_in_room(sb, name), i % 2 == 1);
    }

    /* A disconnected socket is in no room and cannot join one. */
    sio_socket *held = sio_socket_ref(sa);
    assert_int_equal(client_send(a, "41"), 0);
    assert_false(sio_socket_connected(held));
    assert_false(sio_in_room(held, "r1"));
    assert_int_equal(sio_room_count(held), 0);
    assert_int_equal(sio_join(held, "r1"), SIO_ECLOSED);
    assert_int_equal(sio_leave(held, "r1"), SIO_ECLOSED);
    sio_socket_unref(held);
    /* The other sockets keep theirs. */
    assert_true(sio_in_room(sb, "r2"));
    const char *r1[] = {"r1"};
    sio_target to = {.rooms = r1, .n_rooms = 1};
    assert_int_equal(sio_broadcast(root, &to, "x", NULL, NULL, 0), 0);
}

/* --- broadcast --------------------------------------------------------------------- */

/* Takes one frame from each of n clients and checks they are all the same
 * message (encoded once) with the expected text. */
static void expect_same_frame(client **cs, size_t n, const char *want)
{
    sio_msg *first = NULL;
    for (size_t i = 0; i < n; i++) {
        sio_msg *m = eio_conn_next_frame(&cs[i]->conn);
        if (!m)
            fail_msg("client %zu got no frame, want '%s'", i, want);
        assert_false(m->binary);
        if (m->len != strlen(want) || memcmp(m->data, want, m->len) != 0)
            fail_msg("client %zu got '%.*s', want '%s'", i, (int)m->len, (const char *)m->data, want);
        if (!first)
            first = sio_msg_ref(m);
        else
            assert_ptr_equal(m, first);
        sio_msg_unref(m);
    }
    sio_msg_unref(first);
}

/* A socket's own room (its id): reached by a broadcast, skipped as an
 * except-room, left and joined again, shared with a socket that joins a room
 * of that name, and gone with the socket. */
static void test_own_room(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e), *b = client_open(e);
    sio_socket *sa = connect_ok(a, "/"), *sb = connect_ok(b, "/");
    const char *ida[] = {sio_socket_id(sa)};
    assert_ptr_equal(sio_nsp_socket(root, sio_socket_id(sa)), sa);

    sio_target to = {.rooms = ida, .n_rooms = 1};
    assert_int_equal(sio_broadcast(root, &to, "to-a", NULL, NULL, 0), 1);
    expect_text(a, "42[\"to-a\"]");
    expect_none(b);

    to = (sio_target){.except = ida, .n_except = 1};
    assert_int_equal(sio_broadcast(root, &to, "not-a", NULL, NULL, 0), 1);
    expect_text(b, "42[\"not-a\"]");
    expect_none(a);

    /* b joins the room named by a's id: both are in it, each once. */
    assert_int_equal(sio_join(sb, sio_socket_id(sa)), SIO_OK);
    assert_true(sio_in_room(sb, sio_socket_id(sa)));
    to = (sio_target){.rooms = ida, .n_rooms = 1};
    assert_int_equal(sio_broadcast(root, &to, "both", NULL, NULL, 0), 2);
    client *ab[] = {a, b};
    expect_same_frame(ab, 2, "42[\"both\"]");

    /* a leaves its own room: only b is left in it; then a comes back. */
    assert_int_equal(sio_leave(sa, sio_socket_id(sa)), SIO_OK);
    assert_false(sio_in_room(sa, sio_socket_id(sa)));
    assert_int_equal(sio_room_count(sa), 0);
    assert_int_equal(sio_broadcast(root, &to, "b-only", NULL, NULL, 0), 1);
    expect_text(b, "42[\"b-only\"]");
    expect_none(a);
    assert_int_equal(sio_join(sa, sio_socket_id(sa)), SIO_OK);
    assert_int_equal(sio_room_count(sa), 1);
    assert_int_equal(sio_broadcast(root, &to, "both2", NULL, NULL, 0), 2);
    expect_same_frame(ab, 2, "42[\"both2\"]");

    /* Disconnected: out of its room and of the namespace's map. */
    char id[64];
    snprintf(id, sizeof(id), "%s", sio_socket_id(sa));
    assert_int_equal(client_send(a, "41"), 0);
    assert_null(sio_nsp_socket(root, id));
    const char *gone[] = {id};
    to = (sio_target){.rooms = gone, .n_rooms = 1};
    assert_int_equal(sio_broadcast(root, &to, "after", NULL, NULL, 0), 1); /* b, who joined it */
    expect_text(b, "42[\"after\"]");
}

static void test_broadcast(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e), *b = client_open(e), *c = client_open(e), *d = client_open(e);
    sio_socket *sa = connect_ok(a, "/"), *sb = connect_ok(b, "/");
    sio_socket *sc = connect_ok(c, "/"), *sd = connect_ok(d, "/");
    assert_int_equal(sio_join(sa, "r1"), SIO_OK);
    assert_int_equal(sio_join(sb, "r1"), SIO_OK);
    assert_int_equal(sio_join(sb, "r2"), SIO_OK);
    assert_int_equal(sio_join(sc, "r2"), SIO_OK);
    assert_int_equal(sio_join(sd, "r3"), SIO_OK);

    const char *r12[] = {"r1", "r2"};
    const char *r21[] = {"r2", "r1", "r2"};
    const char *only_r2[] = {"r2"};
    const char *only_r1[] = {"r1"};
    sio_stats st0 = stats(e);

    /* Two rooms: b is in both and gets one copy; d gets nothing. */
    sio_target to = {.rooms = r12, .n_rooms = 2};
    assert_int_equal(sio_broadcast(root, &to, "b", "[1]", NULL, 0), 3);
    sio_stats st = stats(e);
    assert_int_equal(st.packets_encoded, st0.packets_encoded + 1);
    assert_int_equal(st.broadcast_recipients, st0.broadcast_recipients + 3);
    client *abc[] = {a, b, c};
    expect_same_frame(abc, 3, "42[\"b\",1]");
    expect_none(a);
    expect_none(b);
    expect_none(c);
    expect_none(d);

    /* The same room named twice, in another order. */
    to = (sio_target){.rooms = r21, .n_rooms = 3};
    assert_int_equal(sio_broadcast(root, &to, "b2", NULL, NULL, 0), 3);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded + 2);
    expect_same_frame(abc, 3, "42[\"b2\"]");
    expect_none(b);

    /* Except a room. */
    to = (sio_target){.rooms = r12, .n_rooms = 2, .except = only_r2, .n_except = 1};
    assert_int_equal(sio_broadcast(root, &to, "ex", NULL, NULL, 0), 1);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded + 3);
    expect_text(a, "42[\"ex\"]");
    expect_none(a);
    expect_none(b);
    expect_none(c);
    expect_none(d);

    /* Exclude a socket (socket.broadcast). */
    to = (sio_target){.rooms = r12, .n_rooms = 2, .exclude = sb};
    assert_int_equal(sio_broadcast(root, &to, "exc", NULL, NULL, 0), 2);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded + 4);
    client *ac[] = {a, c};
    expect_same_frame(ac, 2, "42[\"exc\"]");
    expect_none(b);
    expect_none(d);

    /* The whole namespace. */
    assert_int_equal(sio_broadcast(root, NULL, "all", "[\"x\"]", NULL, 0), 4);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded + 5);
    client *abcd[] = {a, b, c, d};
    expect_same_frame(abcd, 4, "42[\"all\",\"x\"]");

    /* The whole namespace except r1, and excluding d. */
    to = (sio_target){.except = only_r1, .n_except = 1, .exclude = sd};
    assert_int_equal(sio_broadcast(root, &to, "rest", NULL, NULL, 0), 1);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded + 6);
    expect_text(c, "42[\"rest\"]");
    for (size_t i = 0; i < 4; i++)
        expect_none(abcd[i]);

    /* A room by a socket's id. */
    const char *by_id[] = {sio_socket_id(sd)};
    to = (sio_target){.rooms = by_id, .n_rooms = 1};
    assert_int_equal(sio_broadcast(root, &to, "you", NULL, NULL, 0), 1);
    expect_text(d, "42[\"you\"]");

    /* Nobody there: still one encoding, no recipient. */
    const char *nope[] = {"nope"};
    to = (sio_target){.rooms = nope, .n_rooms = 1};
    uint64_t enc = stats(e).packets_encoded;
    assert_int_equal(sio_broadcast(root, &to, "void", NULL, NULL, 0), 0);
    assert_int_equal(stats(e).packets_encoded, enc + 1);
    to = (sio_target){.rooms = r12, .n_rooms = 2, .except = r12, .n_except = 2};
    assert_int_equal(sio_broadcast(root, &to, "void", NULL, NULL, 0), 0);
    assert_int_equal(stats(e).packets_encoded, enc + 2);
    for (size_t i = 0; i < 4; i++)
        expect_none(abcd[i]);

    /* Invalid arguments: refused, nothing encoded. */
    assert_int_equal(sio_broadcast(root, NULL, "bad", "{", NULL, 0), SIO_EINVAL);
    assert_int_equal(sio_broadcast(root, NULL, "bad", "{}", NULL, 0), SIO_EINVAL);
    assert_int_equal(sio_broadcast(root, NULL, "connect", NULL, NULL, 0), SIO_EINVAL);
    assert_int_equal(stats(e).packets_encoded, enc + 2);

    /* Binary: the text and every attachment are shared too. */
    sio_binary bins[2] = {{"\x00\x01", 2}, {"\xff", 1}};
    assert_int_equal(sio_broadcast(root, NULL, "bin",
                                   "[{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]",
                                   bins, 2),
                     4);
    assert_int_equal(stats(e).packets_encoded, enc + 3);
    expect_same_frame(abcd, 4,
                      "452-[\"bin\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]");
    sio_msg *att[2] = {NULL, NULL};
    for (size_t i = 0; i < 4; i++) {
        for (size_t k = 0; k < 2; k++) {
            sio_msg *m = eio_conn_next_frame(&abcd[i]->conn);
            assert_non_null(m);
            assert_true(m->binary);
            assert_int_equal(m->len, bins[k].len);
            assert_memory_equal(m->data, bins[k].data, bins[k].len);
            if (!att[k])
                att[k] = sio_msg_ref(m);
            else
                assert_ptr_equal(m, att[k]);
            sio_msg_unref(m);
        }
        expect_none(abcd[i]);
    }
    sio_msg_unref(att[0]);
    sio_msg_unref(att[1]);

    /* Another namespace's broadcast reaches only its sockets. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    connect_ok(b, "/chat");
    assert_int_equal(sio_broadcast(chat, NULL, "c", NULL, NULL, 0), 1);
    expect_text(b, "42/chat,[\"c\"]");
    for (size_t i = 0; i < 4; i++)
        expect_none(abcd[i]);
}

/* Many recipients: one encoding, one shared message. */
static void test_broadcast_encodes_once(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *cs[MAX_CLIENTS];
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        cs[i] = client_open(e);
        sio_socket *s = connect_ok(cs[i], "/");
        assert_int_equal(sio_join(s, i % 2 ? "odd" : "even"), SIO_OK);
        assert_int_equal(sio_join(s, "all"), SIO_OK);
    }
    sio_stats st0 = stats(e);
    long live0 = sio_msg_live_count();
    const char *rooms[] = {"odd", "even", "all"};
    sio_target to = {.rooms = rooms, .n_rooms = 3};
    assert_int_equal(sio_broadcast(root, &to, "m", "[1,2,3]", NULL, 0), MAX_CLIENTS);
    /* One message alive, however many queues hold it. */
    assert_int_equal(sio_msg_live_count(), live0 + 1);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded + 1);
    assert_int_equal(stats(e).broadcast_recipients, st0.broadcast_recipients + MAX_CLIENTS);
    expect_same_frame(cs, MAX_CLIENTS, "42[\"m\",1,2,3]");
    assert_int_equal(sio_msg_live_count(), live0);
}

/* --- binary -------------------------------------------------------------------------- */

static int bin_events;

static void on_bin(sio_socket *s, const char *event, const sio_args *a, sio_ack *ack, void *user)
{
    (void)s, (void)user;
    bin_events++;
    if (strcmp(event, "one") == 0) {
        assert_int_equal(sio_args_count(a), 2);
        assert_int_equal(sio_arg_type(a, 0), SIO_T_BINARY);
        assert_int_equal(sio_arg_type(a, 1), SIO_T_STRING);
        size_t len = 0;
        const unsigned char *p = sio_arg_binary(a, 0, &len);
        assert_non_null(p);
        assert_int_equal(len, 4);
        assert_memory_equal(p, "\x00\x01\xfe\xff", 4);
        assert_null(sio_arg_binary(a, 1, &len));
        assert_int_equal(sio_args_binary_count(a), 1);
        p = sio_args_binary(a, 0, &len);
        assert_int_equal(len, 4);
        assert_memory_equal(p, "\x00\x01\xfe\xff", 4);
        assert_null(sio_args_binary(a, 1, &len));
        size_t jl;
        const char *j = sio_args_json(a, &jl);
        const char *want = "[{\"_placeholder\":true,\"num\":0},\"s\"]";
        assert_int_equal(jl, strlen(want));
        assert_memory_equal(j, want, jl);
        assert_null(ack);
    } else if (strcmp(event, "two") == 0) {
        /* Placeholders in any order, nested ones not at the top level. */
        assert_int_equal(sio_args_count(a), 2);
        assert_int_equal(sio_arg_type(a, 0), SIO_T_BINARY);
        assert_int_equal(sio_arg_type(a, 1), SIO_T_OBJECT);
        assert_int_equal(sio_args_binary_count(a), 2);
        size_t len = 0;
        const unsigned char *p = sio_arg_binary(a, 0, &len);
        assert_int_equal(len, 2);
        assert_memory_equal(p, "B1", 2);
        p = sio_args_binary(a, 0, &len);
        assert_int_equal(len, 0);
        assert_non_null(p);
        assert_non_null(ack);
        assert_int_equal(sio_ack_send(ack, "[\"got\"]", NULL, 0), SIO_OK);
    } else {
        fail_msg("unexpected event %s", event);
    }
}

static void test_binary_event_in(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_any(root, on_bin, NULL);
    bin_events = 0;
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");

    assert_int_equal(client_send(a, "451-[\"one\",{\"_placeholder\":true,\"num\":0},\"s\"]"), 0);
    assert_int_equal(bin_events, 0); /* waits for its attachment */
    assert_int_equal(client_send_bin(a, "\x00\x01\xfe\xff", 4), 0);
    assert_int_equal(bin_events, 1);

    /* Two attachments, one empty, with an ack answered in the handler. */
    assert_int_equal(client_send(a, "452-9[\"two\",{\"_placeholder\":true,\"num\":1},"
                                    "{\"x\":{\"_placeholder\":true,\"num\":0}}]"),
                     0);
    assert_int_equal(client_send_bin(a, "", 0), 0);
    assert_int_equal(bin_events, 1);
    assert_int_equal(client_send_bin(a, "B1", 2), 0);
    assert_int_equal(bin_events, 2);
    expect_text(a, "439[\"got\"]");

    /* And again: the binary state was reset. */
    assert_int_equal(client_send(a, "451-[\"one\",{\"_placeholder\":true,\"num\":0},\"s\"]"), 0);
    assert_int_equal(client_send_bin(a, "\x00\x01\xfe\xff", 4), 0);
    assert_int_equal(bin_events, 3);
    assert_true(sio_socket_connected(s));
    expect_none(a);
}

/* Attachments out of place break the protocol: the session is closed. */
static void test_binary_protocol_errors(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    sio_on_any(root, on_ev_record, NULL);

    /* A binary message nobody announced. */
    client *a = client_open(e);
    connect_ok(a, "/");
    assert_int_equal(client_send_bin(a, "x", 1), -1);
    assert_null(a->conn.session);
    assert_int_equal(R.n_disc, 1);
    assert_string_equal(R.disc_reason[0], "parse error");

    /* Text while attachments are awaited. */
    client *b = client_open(e);
    connect_ok(b, "/");
    assert_int_equal(client_send(b, "452-[\"ev\",{\"_placeholder\":true,\"num\":1}]"), 0);
    assert_int_equal(client_send_bin(b, "1", 1), 0);
    assert_int_equal(client_send(b, "42[\"ev\"]"), -1);
    assert_null(b->conn.session);
    assert_int_equal(R.n_disc, 2);
    assert_string_equal(R.disc_reason[1], "parse error");
    assert_int_equal(R.n_ev, 0);
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 0);
}

/* A binary packet for a namespace the client is not in, completed by its
 * attachment: a protocol error like its text counterpart. The session is
 * closed; the server survives. */
static void test_binary_event_unjoined_namespace(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_any(root, on_ev_record, NULL);
    client *a = client_open(e);
    connect_ok(a, "/");
    assert_int_equal(client_send(a, "451-/other,[\"ev\",{\"_placeholder\":true,\"num\":0}]"), 0);
    assert_int_equal(client_send_bin(a, "\x01", 1), -1);
    assert_null(a->conn.session);
    assert_int_equal(R.n_ev, 0);
    assert_int_equal(stats(e).clients, 0);
}

/* The same before any CONNECT at all. */
static void test_binary_event_before_connect(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_on_any(sio_of(e->srv, "/"), on_ev_record, NULL);
    client *a = client_open(e);
    assert_int_equal(client_send(a, "451-[\"ev\",{\"_placeholder\":true,\"num\":0}]"), 0);
    assert_int_equal(client_send_bin(a, "\x01", 1), -1);
    assert_null(a->conn.session);
    assert_int_equal(R.n_ev, 0);
    assert_int_equal(stats(e).clients, 0);
}

static void test_emit_binary(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");

    sio_binary one[1] = {{"\x01\x02\x03", 3}};
    assert_int_equal(sio_emit_binary(s, "bin", "[{\"_placeholder\":true,\"num\":0},\"x\"]", one, 1), SIO_OK);
    expect_text(a, "451-[\"bin\",{\"_placeholder\":true,\"num\":0},\"x\"]");
    expect_binary(a, "\x01\x02\x03", 3);
    expect_none(a);

    sio_binary two[2] = {{"A", 1}, {"", 0}};
    assert_int_equal(sio_emit_binary(s, "b2",
                                     "[{\"_placeholder\":true,\"num\":1},{\"k\":{\"_placeholder\":true,\"num\":0}}]",
                                     two, 2),
                     SIO_OK);
    expect_text(a, "452-[\"b2\",{\"_placeholder\":true,\"num\":1},{\"k\":{\"_placeholder\":true,\"num\":0}}]");
    expect_binary(a, "A", 1);
    expect_binary(a, "", 0);
    expect_none(a);

    /* With an ack: binary event with an id. */
    assert_int_equal(sio_emit_with_ack(s, "bq", "[{\"_placeholder\":true,\"num\":0}]", one, 1, 0,
                                       on_ack_record, NULL),
                     SIO_OK);
    expect_text(a, "451-0[\"bq\",{\"_placeholder\":true,\"num\":0}]");
    expect_binary(a, "\x01\x02\x03", 3);

    /* In a namespace. */
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(chat, on_conn_record, NULL);
    sio_socket *sc = connect_ok(a, "/chat");
    assert_int_equal(sio_emit_binary(sc, "bin", "[{\"_placeholder\":true,\"num\":0}]", one, 1), SIO_OK);
    expect_text(a, "451-/chat,[\"bin\",{\"_placeholder\":true,\"num\":0}]");
    expect_binary(a, "\x01\x02\x03", 3);

    /* Refused: placeholder out of range, negative or not an integer;
     * attachments without arguments; too many attachments. */
    uint64_t enc = stats(e).packets_encoded;
    assert_int_equal(sio_emit_binary(s, "bin", "[{\"_placeholder\":true,\"num\":1}]", one, 1), SIO_EINVAL);
    assert_int_equal(sio_emit_binary(s, "bin", "[{\"_placeholder\":true,\"num\":-1}]", one, 1), SIO_EINVAL);
    assert_int_equal(sio_emit_binary(s, "bin", "[{\"_placeholder\":true,\"num\":0.5}]", one, 1), SIO_EINVAL);
    assert_int_equal(sio_emit_binary(s, "bin", "[{\"_placeholder\":true,\"num\":0}]", NULL, 0), SIO_EINVAL);
    assert_int_equal(sio_emit_binary(s, "bin", NULL, one, 1), SIO_EINVAL);
    sio_binary many[11];
    for (size_t i = 0; i < 11; i++)
        many[i] = (sio_binary){"z", 1};
    assert_int_equal(sio_emit_binary(s, "bin", "[]", many, 11), SIO_EINVAL);
    assert_int_equal(stats(e).packets_encoded, enc);
    expect_none(a);
}

static void test_emit_validation(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");

    assert_int_equal(sio_emit(s, "ev", NULL), SIO_OK);
    expect_text(a, "42[\"ev\"]");
    assert_int_equal(sio_emit(s, "ev", "[]"), SIO_OK);
    expect_text(a, "42[\"ev\"]");
    assert_int_equal(sio_emit(s, "ev", "[ 1, {\"a\": \"b\"} ]"), SIO_OK);
    expect_text(a, "42[\"ev\", 1, {\"a\": \"b\"} ]");
    assert_int_equal(sio_emit(s, "q\"uote", "[\"\\n\"]"), SIO_OK);
    expect_text(a, "42[\"q\\\"uote\",\"\\n\"]");

    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(sio_emit(s, reserved[i], NULL), SIO_EINVAL);
    assert_int_equal(sio_emit(s, NULL, NULL), SIO_EINVAL);
    assert_int_equal(sio_emit(s, "ev", "[1,]"), SIO_EINVAL);
    assert_int_equal(sio_emit(s, "ev", "{\"a\":1}"), SIO_EINVAL);
    assert_int_equal(sio_emit(s, "ev", "1"), SIO_EINVAL);
    assert_int_equal(sio_emit(s, "ev", "[1][2]"), SIO_EINVAL);
    assert_int_equal(sio_emit(s, "ev", ""), SIO_EINVAL);
    expect_none(a);

    /* Volatile: taken when the transport can write now, else dropped. */
    assert_int_equal(sio_emit_volatile(s, "v", "[1]"), SIO_OK);
    assert_int_equal(sio_emit_volatile(s, "v", "[2]"), SIO_EAGAIN);
    expect_text(a, "42[\"v\",1]");
    expect_none(a);
}

/* --- disconnection ----------------------------------------------------------------- */

static void test_client_namespace_disconnect(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_connection(chat, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    sio_on_disconnect(chat, on_disc_record, NULL);
    sio_on_any(root, on_ev_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");
    sio_socket *sc = connect_ok(a, "/chat");
    char old_id[SIO_ID_LEN + 1];
    snprintf(old_id, sizeof(old_id), "%s", sio_socket_id(s));

    assert_int_equal(client_send(a, "41/chat,"), 0);
    assert_int_equal(R.n_disc, 1);
    assert_ptr_equal(R.disc[0], sc);
    assert_string_equal(R.disc_reason[0], "client namespace disconnect");
    assert_int_equal(sio_namespace_socket_count(chat), 0);
    assert_true(sio_socket_connected(s));

    assert_int_equal(client_send(a, "41"), 0);
    assert_int_equal(R.n_disc, 2);
    assert_ptr_equal(R.disc[1], s);
    assert_string_equal(R.disc_reason[1], "client namespace disconnect");
    assert_int_equal(sio_namespace_socket_count(root), 0);
    /* The Engine.IO session stays. */
    assert_true(session_open(a));
    assert_int_equal(stats(e).clients, 1);
    assert_int_equal(e->ft.closes, 0);
    expect_none(a);

    /* The client may connect again, and gets a new id. */
    sio_socket *s2 = connect_ok(a, "/");
    assert_string_not_equal(sio_socket_id(s2), old_id);
    assert_int_equal(client_send(a, "42[\"ev\"]"), 0);
    assert_int_equal(R.n_ev, 1);
    assert_ptr_equal(R.ev[0].s, s2);
}

static void test_transport_close(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_connection(chat, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    sio_on_disconnect(chat, on_disc_record, NULL);

    /* The transport goes away: every namespace of the client is told. */
    client *a = client_open(e);
    connect_ok(a, "/");
    connect_ok(a, "/chat");
    conn_gone(&a->conn);
    assert_int_equal(R.n_disc, 2);
    assert_string_equal(R.disc_reason[0], "transport close");
    assert_string_equal(R.disc_reason[1], "transport close");
    assert_int_equal(sio_namespace_socket_count(root), 0);
    assert_int_equal(sio_namespace_socket_count(chat), 0);
    assert_int_equal(stats(e).clients, 0);

    /* The client sends the Engine.IO close packet. */
    client *b = client_open(e);
    sio_socket *sb = connect_ok(b, "/");
    assert_int_equal(client_send(b, "1"), -1);
    assert_int_equal(R.n_disc, 3);
    assert_ptr_equal(R.disc[2], sb);
    assert_string_equal(R.disc_reason[2], "transport close");
    eio_engine_reap(e->eng);
}

static void test_server_disconnect(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_namespace *chat = sio_of(e->srv, "/chat");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_connection(chat, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    sio_on_disconnect(chat, on_disc_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");
    sio_socket *sc = connect_ok(a, "/chat");

    /* One namespace: the client is told, the session stays. */
    sio_disconnect(sc, false);
    expect_text(a, "41/chat,");
    assert_int_equal(R.n_disc, 1);
    assert_string_equal(R.disc_reason[0], "server namespace disconnect");
    assert_true(session_open(a));
    expect_none(a);

    /* The whole connection: DISCONNECT, then the session closes once the
     * queue is written. */
    sio_disconnect(s, true);
    assert_int_equal(R.n_disc, 2);
    assert_string_equal(R.disc_reason[1], "server namespace disconnect");
    expect_text(a, "41");
    assert_null(eio_conn_next_frame(&a->conn));
    assert_null(a->conn.session);
    assert_int_equal(e->ft.closes, 1);
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 0);
}

static void test_emit_after_close(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);

    /* Namespace disconnect. */
    client *a = client_open(e);
    sio_socket *held = sio_socket_ref(connect_ok(a, "/"));
    char id[SIO_ID_LEN + 1];
    snprintf(id, sizeof(id), "%s", sio_socket_id(held));
    assert_int_equal(client_send(a, "41"), 0);
    assert_false(sio_socket_connected(held));
    sio_stats st0 = stats(e);
    assert_int_equal(sio_emit(held, "late", NULL), SIO_ECLOSED);
    assert_int_equal(stats(e).emits_after_close, st0.emits_after_close + 1);
    assert_int_equal(sio_emit(held, "late", "[1]"), SIO_ECLOSED);
    sio_binary one = {"x", 1};
    assert_int_equal(sio_emit_binary(held, "late", "[{\"_placeholder\":true,\"num\":0}]", &one, 1),
                     SIO_ECLOSED);
    assert_int_equal(sio_emit_volatile(held, "late", NULL), SIO_ECLOSED);
    assert_int_equal(sio_emit_with_ack(held, "late", NULL, NULL, 0, 100, on_ack_record, NULL), SIO_ECLOSED);
    assert_int_equal(stats(e).emits_after_close, st0.emits_after_close + 5);
    assert_int_equal(stats(e).packets_encoded, st0.packets_encoded);
    assert_int_equal(R.n_ack, 0); /* refused: the callback never runs */
    assert_string_equal(sio_socket_id(held), id);
    sio_disconnect(held, false); /* harmless */
    sio_disconnect(held, true);
    assert_int_equal(R.n_disc, 1);
    expect_none(a);
    assert_true(session_open(a));
    sio_socket_unref(held);

    /* Transport gone and its session freed: the handle is still safe. */
    client *b = client_open(e);
    held = sio_socket_ref(connect_ok(b, "/"));
    conn_gone(&b->conn);
    eio_engine_reap(e->eng);
    st0 = stats(e);
    assert_int_equal(sio_emit(held, "late", NULL), SIO_ECLOSED);
    assert_int_equal(sio_emit_with_ack(held, "late", NULL, NULL, 0, 0, on_ack_record, NULL), SIO_ECLOSED);
    assert_int_equal(stats(e).emits_after_close, st0.emits_after_close + 2);
    assert_int_equal(sio_join(held, "r"), SIO_ECLOSED);
    assert_false(sio_socket_connected(held));
    sio_socket_unref(held);

    /* Held from inside the disconnect callback's namespace, the session
     * closing on the server's side. */
    client *c = client_open(e);
    held = sio_socket_ref(connect_ok(c, "/"));
    sio_disconnect(held, true);
    assert_int_equal(sio_emit(held, "late", NULL), SIO_ECLOSED);
    drain(c);
    eio_engine_reap(e->eng);
    assert_int_equal(sio_emit(held, "late", NULL), SIO_ECLOSED);
    sio_socket_unref(held);
}

/* --- connect timeout ----------------------------------------------------------------- */

static void test_connect_timeout(void **state)
{
    env *e = *state;
    sio_options o;
    sio_options_init(&o);
    o.connect_timeout = 5000;
    env_start(e, &o, NULL);
    sio_on_connection(sio_of(e->srv, "/"), on_conn_record, NULL);

    fake_now = 1000;
    client *a = client_open(e); /* never connects */
    client *b = client_open(e); /* connects in time */
    client *c = client_open_raw(e); /* never connects nor reads */
    assert_int_equal(sio_core_next_deadline(e->srv), 6000);
    fake_now = 3000;
    connect_ok(b, "/");

    fake_now = 5999;
    sio_core_tick(e->srv, fake_now); settle();
    assert_true(session_open(a));
    assert_true(session_open(c));
    assert_int_equal(e->ft.closes, 0);

    fake_now = 6000;
    sio_core_tick(e->srv, fake_now); settle();
    /* a had nothing queued: closed at once. */
    assert_null(a->conn.session);
    assert_true(e->ft.closes >= 1);
    /* c still has its open packet queued: closed once that is written. */
    assert_false(c->conn.session && eio_session_is_open(c->conn.session));
    sio_msg *m = eio_conn_next_frame(&c->conn);
    assert_non_null(m);
    assert_int_equal(m->data[0], '0');
    sio_msg_unref(m);
    assert_null(eio_conn_next_frame(&c->conn));
    assert_null(c->conn.session);
    assert_int_equal(e->ft.closes, 2);
    /* b stays. */
    assert_true(session_open(b));
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 1);
    assert_int_equal(sio_core_next_deadline(e->srv), INT64_MAX);

    /* A refused CONNECT does not count as connected. */
    fake_now = 10000;
    client *d = client_open(e);
    assert_int_equal(client_send(d, "40/nope,"), 0);
    expect_text(d, "44/nope,{\"message\":\"Invalid namespace\"}");
    fake_now = 15000;
    sio_core_tick(e->srv, fake_now); settle();
    assert_null(d->conn.session);
    assert_true(session_open(b));
}

/* --- other threads ------------------------------------------------------------------- */

#define POSTS 300

typedef struct poster {
    sio_server *srv;
    char sid[SIO_ID_LEN + 1];
    int first, count;
    atomic_int errors;
    atomic_bool done;
} poster;

static void *post_thread(void *arg)
{
    poster *p = arg;
    const char *rooms[] = {"r"};
    for (int i = p->first; i < p->first + p->count; i++) {
        char args[32];
        snprintf(args, sizeof(args), "[%d]", i);
        if (sio_post_emit(p->srv, "/", p->sid, NULL, 0, "n", args) != SIO_OK)
            atomic_fetch_add(&p->errors, 1);
        if (i % 10 == 0 && sio_post_emit(p->srv, NULL, NULL, rooms, 1, "r", args) != SIO_OK)
            atomic_fetch_add(&p->errors, 1);
    }
    /* Refused in the caller's thread. */
    if (sio_post_emit(p->srv, "/", p->sid, NULL, 0, "disconnect", NULL) != SIO_EINVAL ||
        sio_post_emit(p->srv, "/", p->sid, NULL, 0, "n", "[1,") != SIO_EINVAL ||
        sio_post_emit(p->srv, "/", p->sid, NULL, 0, "n", "{}") != SIO_EINVAL ||
        sio_post_emit(p->srv, "/", p->sid, NULL, 0, NULL, NULL) != SIO_EINVAL)
        atomic_fetch_add(&p->errors, 1);
    atomic_store(&p->done, true);
    return NULL;
}

/* Reads `42["<event>",<n>]` and returns n, or -1 when nothing is queued. */
static int next_numbered(client *c, const char *event)
{
    sio_msg *m = eio_conn_next_frame(&c->conn);
    if (!m)
        return -1;
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "42[\"%s\",", event);
    size_t pl = strlen(prefix);
    if (m->binary || m->len <= pl + 1 || memcmp(m->data, prefix, pl) != 0 || m->data[m->len - 1] != ']') {
        char got[128];
        snprintf(got, sizeof(got), "%.*s", (int)m->len, (const char *)m->data);
        sio_msg_unref(m);
        fail_msg("unexpected frame '%s'", got);
    }
    int n = atoi((const char *)m->data + pl);
    sio_msg_unref(m);
    return n;
}

static void test_post_emit_from_thread(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    client *a = client_open(e), *b = client_open(e);
    sio_socket *sa = connect_ok(a, "/");
    sio_socket *sb = connect_ok(b, "/");
    assert_int_equal(sio_join(sb, "r"), SIO_OK);

    /* Posted from a thread that has finished: nothing runs until the loop
     * thread runs the posts, then everything in order. */
    poster p = {.srv = e->srv, .first = 0, .count = POSTS};
    snprintf(p.sid, sizeof(p.sid), "%s", sio_socket_id(sa));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, post_thread, &p), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    assert_int_equal(atomic_load(&p.errors), 0);
    expect_none(a);
    expect_none(b);
    sio_core_run_posted(e->srv);
    for (int i = 0; i < POSTS; i++)
        assert_int_equal(next_numbered(a, "n"), i);
    expect_none(a);
    for (int i = 0; i < POSTS; i += 10)
        assert_int_equal(next_numbered(b, "r"), i);
    expect_none(b);
    sio_core_run_posted(e->srv); /* nothing left */
    expect_none(a);

    /* Posted while the loop thread runs: still in order, none lost, none
     * duplicated. The loop spins on the posts; it never sleeps. */
    poster q = {.srv = e->srv, .first = POSTS, .count = POSTS};
    snprintf(q.sid, sizeof(q.sid), "%s", sio_socket_id(sa));
    assert_int_equal(pthread_create(&t, NULL, post_thread, &q), 0);
    int next = POSTS;
    for (;;) {
        bool finished = atomic_load(&q.done);
        sio_core_run_posted(e->srv);
        int n;
        while ((n = next_numbered(a, "n")) >= 0)
            assert_int_equal(n, next++);
        if (finished)
            break;
    }
    assert_int_equal(pthread_join(t, NULL), 0);
    sio_core_run_posted(e->srv);
    assert_int_equal(next_numbered(a, "n"), -1);
    assert_int_equal(next, 2 * POSTS);
    assert_int_equal(atomic_load(&q.errors), 0);
    for (int i = POSTS; i < 2 * POSTS; i += 10)
        assert_int_equal(next_numbered(b, "r"), i);
    expect_none(b);

    /* Unknown socket or namespace: nothing happens. */
    assert_int_equal(sio_post_emit(e->srv, "/", "no-such-socket", NULL, 0, "n", NULL), SIO_OK);
    assert_int_equal(sio_post_emit(e->srv, "/nsp", p.sid, NULL, 0, "n", NULL), SIO_OK);
    sio_core_run_posted(e->srv);
    expect_none(a);

    /* A posted disconnect. */
    assert_int_equal(sio_post_disconnect(e->srv, "/", p.sid, NULL), SIO_OK);
    assert_true(sio_socket_connected(sa));
    sio_core_run_posted(e->srv);
    expect_text(a, "41");
    assert_int_equal(R.n_disc, 1);
    assert_string_equal(R.disc_reason[0], "server namespace disconnect");
    assert_true(session_open(a));

    /* Posts after the queue is closed are refused. */
    sio_core_close_posts(e->srv);
    assert_int_equal(sio_post_emit(e->srv, "/", NULL, NULL, 0, "n", NULL), SIO_ESTATE);
}

/* sio_server_call's function: records how it ran. */
static struct {
    int calls;
    sio_server *srv;
    void *arg;
} CALL;
static void record_call(sio_server *srv, void *arg)
{
    CALL.calls++;
    CALL.srv = srv;
    CALL.arg = arg;
}

/* Work posted and never run is dropped with the server: none of it runs (no
 * emit reaches the client, the socket stays connected), the queue is left
 * empty and later posts are refused. Its memory is returned: the leak check
 * of the sanitizer builds fails this test otherwise. */
static void test_post_pending_at_free(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_on_connection(sio_of(e->srv, "/"), on_conn_record, NULL);
    sio_on_disconnect(sio_of(e->srv, "/"), on_disc_record, NULL);
    client *a = client_open(e);
    sio_socket *s = connect_ok(a, "/");
    assert_int_equal(sio_join(s, "a"), SIO_OK);
    const char *rooms[] = {"a", "b"};
    assert_int_equal(sio_post_emit(e->srv, "/", NULL, rooms, 2, "n", "[1]"), SIO_OK);
    assert_int_equal(sio_post_emit(e->srv, "/", sio_socket_id(s), NULL, 0, "n", "[2]"), SIO_OK);
    assert_int_equal(sio_post_disconnect(e->srv, "/", NULL, "a"), SIO_OK);
    memset(&CALL, 0, sizeof(CALL));
    int tag;
    assert_int_equal(sio_server_call(e->srv, record_call, &tag), SIO_OK);
    assert_non_null(e->srv->post_head);

    sio_core_close_posts(e->srv); /* what freeing the server does first */
    /* A call is made all the same, without the server, to release its arg. */
    assert_int_equal(CALL.calls, 1);
    assert_null(CALL.srv);
    assert_ptr_equal(CALL.arg, &tag);
    assert_int_equal(sio_server_call(e->srv, record_call, &tag), SIO_ESTATE);
    assert_null(e->srv->post_head);
    assert_null(e->srv->post_tail);
    assert_int_equal(sio_post_emit(e->srv, "/", NULL, NULL, 0, "n", NULL), SIO_ESTATE);
    assert_int_equal(sio_post_disconnect(e->srv, "/", NULL, NULL), SIO_ESTATE);
    sio_core_run_posted(e->srv); /* nothing is left to run */
    assert_int_equal(CALL.calls, 1);
    expect_none(a);
    assert_true(sio_socket_connected(s));
    assert_int_equal(R.n_disc, 0);
}

/* --- dynamic namespaces ---------------------------------------------------------------- */

static void dyn_setup(sio_namespace *nsp, void *user)
{
    assert_ptr_equal(user, &R);
    assert_true(R.setup_calls < 8);
    snprintf(R.setup_names[R.setup_calls++], sizeof(R.setup_names[0]), "%s", sio_namespace_name(nsp));
    sio_on_connection(nsp, on_conn_record, NULL);
    sio_on_any(nsp, on_ev_record, NULL);
}

/* cleanup_empty_child_namespaces: a dynamic namespace goes with its last
 * socket and is made anew by the next connection; a handle to a socket of
 * the old one stays safe; namespaces made by sio_of stay. */
static void test_cleanup_empty_child_namespaces(void **state)
{
    env *e = *state;
    sio_options o;
    sio_options_init(&o);
    o.cleanup_empty_child_namespaces = true;
    env_start(e, &o, NULL);
    assert_int_equal(sio_dynamic_namespaces(e->srv, "/dyn-*", NULL, dyn_setup, &R), SIO_OK);
    sio_namespace *fixed = sio_of(e->srv, "/fixed");
    sio_on_connection(fixed, on_conn_record, NULL);
    client *a = client_open(e), *b = client_open(e);

    sio_socket *s1 = connect_ok(a, "/dyn-1");
    sio_socket *s2 = connect_ok(b, "/dyn-1");
    assert_int_equal(R.setup_calls, 1);
    sio_socket_ref(s1); /* held past its disconnection */
    assert_int_equal(client_send(a, "41/dyn-1,"), 0);
    assert_non_null(sio_find_namespace(e->srv, "/dyn-1")); /* s2 is still there */
    assert_int_equal(client_send(b, "41/dyn-1,"), 0);
    (void)s2;
    assert_null(sio_find_namespace(e->srv, "/dyn-1")); /* gone with its last socket */
    /* The held socket and its namespace are still readable. */
    assert_false(sio_socket_connected(s1));
    assert_string_equal(sio_namespace_name(sio_socket_namespace(s1)), "/dyn-1");
    assert_int_equal(sio_emit(s1, "late", NULL), SIO_ECLOSED);

    /* The next connection makes it anew. */
    connect_ok(a, "/dyn-1");
    assert_int_equal(R.setup_calls, 2);
    assert_non_null(sio_find_namespace(e->srv, "/dyn-1"));
    assert_ptr_not_equal(sio_find_namespace(e->srv, "/dyn-1"), sio_socket_namespace(s1));
    sio_socket_unref(s1); /* the old namespace goes with it */

    /* A namespace made by sio_of stays without sockets. */
    connect_ok(b, "/fixed");
    assert_int_equal(client_send(b, "41/fixed,"), 0);
    assert_ptr_equal(sio_find_namespace(e->srv, "/fixed"), fixed);
}

static void test_dynamic_namespace_pattern(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    assert_int_equal(sio_dynamic_namespaces(e->srv, "/dyn-*", NULL, dyn_setup, &R), SIO_OK);
    assert_int_equal(sio_dynamic_namespaces(e->srv, NULL, NULL, dyn_setup, &R), SIO_EINVAL);
    client *a = client_open(e), *b = client_open(e);

    sio_socket *s1 = connect_ok(a, "/dyn-1");
    assert_int_equal(R.setup_calls, 1);
    assert_string_equal(R.setup_names[0], "/dyn-1");
    assert_string_equal(sio_namespace_name(sio_socket_namespace(s1)), "/dyn-1");
    /* Created once: the second client joins the same namespace. */
    sio_socket *s2 = connect_ok(b, "/dyn-1");
    assert_int_equal(R.setup_calls, 1);
    assert_ptr_equal(sio_socket_namespace(s2), sio_socket_namespace(s1));
    assert_ptr_equal(sio_of(e->srv, "/dyn-1"), sio_socket_namespace(s1));
    assert_int_equal(sio_namespace_socket_count(sio_socket_namespace(s1)), 2);

    assert_int_equal(client_send(a, "40/dyn-2,{\"x\":1}"), 0);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/dyn-2", sid);
    assert_int_equal(R.setup_calls, 2);
    assert_string_equal(R.setup_names[1], "/dyn-2");

    /* Handlers set up by the callback work. */
    assert_int_equal(client_send(a, "42/dyn-2,[\"hi\",1]"), 0);
    assert_int_equal(R.n_ev, 1);
    assert_string_equal(R.ev[0].name, "hi");

    /* No match. */
    assert_int_equal(client_send(a, "40/other,"), 0);
    expect_text(a, "44/other,{\"message\":\"Invalid namespace\"}");
    assert_int_equal(client_send(a, "40/dyn,"), 0);
    expect_text(a, "44/dyn,{\"message\":\"Invalid namespace\"}");
    assert_int_equal(R.setup_calls, 2);
    expect_none(a);
    expect_none(b);
}

static bool dyn_filter(sio_server *srv, const char *name, const char *auth, void *user)
{
    assert_non_null(srv);
    assert_ptr_equal(user, &R);
    R.filter_calls++;
    snprintf(R.filter_name, sizeof(R.filter_name), "%s", name);
    snprintf(R.filter_auth, sizeof(R.filter_auth), "%s", auth);
    return strstr(auth, "\"ok\":true") != NULL;
}

static void test_dynamic_namespace_filter(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    assert_int_equal(sio_dynamic_namespaces(e->srv, NULL, dyn_filter, dyn_setup, &R), SIO_OK);
    sio_on_connection(sio_of(e->srv, "/"), on_conn_record, NULL);
    client *a = client_open(e);

    assert_int_equal(client_send(a, "40/f1,{\"ok\":true}"), 0);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/f1", sid);
    assert_int_equal(R.filter_calls, 1);
    assert_string_equal(R.filter_name, "/f1");
    assert_string_equal(R.filter_auth, "{\"ok\":true}");
    assert_int_equal(R.setup_calls, 1);
    assert_int_equal(R.n_connected, 1);

    assert_int_equal(client_send(a, "40/f2,{\"ok\":false}"), 0);
    expect_text(a, "44/f2,{\"message\":\"Invalid namespace\"}");
    assert_int_equal(client_send(a, "40/f3"), 0);
    expect_text(a, "44/f3,{\"message\":\"Invalid namespace\"}");
    assert_string_equal(R.filter_auth, "{}");
    assert_int_equal(R.setup_calls, 1);
    int calls = R.filter_calls;

    /* Existing namespaces do not ask the filter. */
    connect_ok(a, "/");
    client *b = client_open(e);
    assert_int_equal(client_send(b, "40/f1,{\"ok\":false}"), 0);
    expect_connect_reply(b, "/f1", sid);
    assert_int_equal(R.filter_calls, calls);
    expect_none(a);
}

static void test_dynamic_namespace_pattern_and_filter(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    assert_int_equal(sio_dynamic_namespaces(e->srv, "/both-*", dyn_filter, dyn_setup, &R), SIO_OK);
    client *a = client_open(e);
    assert_int_equal(client_send(a, "40/other,{\"ok\":true}"), 0);
    expect_text(a, "44/other,{\"message\":\"Invalid namespace\"}");
    assert_int_equal(R.filter_calls, 0); /* the pattern decides first */
    assert_int_equal(client_send(a, "40/both-1,{\"ok\":false}"), 0);
    expect_text(a, "44/both-1,{\"message\":\"Invalid namespace\"}");
    assert_int_equal(R.filter_calls, 1);
    assert_int_equal(client_send(a, "40/both-1,{\"ok\":true}"), 0);
    char sid[SIO_ID_LEN + 1];
    expect_connect_reply(a, "/both-1", sid);
    assert_int_equal(R.setup_calls, 1);
}

/* An asynchronous filter: it keeps its decisions for the test to answer,
 * or answers at once when the auth says "now". */
static struct {
    sio_decision *held[4];
    char names[4][32];
    int n, calls;
} AF;

static void async_filter(sio_server *srv, const char *name, const char *auth, sio_decision *d, void *user)
{
    assert_ptr_equal(user, &R);
    assert_null(sio_decision_socket(d)); /* no socket yet */
    AF.calls++;
    if (strstr(auth, "\"now\":true")) {
        assert_int_equal(sio_decide(d, true, NULL, NULL), SIO_OK);
        return;
    }
    assert_true(AF.n < 4);
    snprintf(AF.names[AF.n], sizeof(AF.names[0]), "%s", name);
    AF.held[AF.n++] = d;
}

static void test_dynamic_namespace_async_filter(void **state)
{
    env *e = *state;
    sio_options o;
    sio_options_init(&o);
    o.connect_timeout = 5000;
    env_start(e, &o, NULL);
    memset(&AF, 0, sizeof(AF));
    assert_int_equal(sio_dynamic_namespaces_async(e->srv, "/a-*", NULL, dyn_setup, &R), SIO_EINVAL);
    assert_int_equal(sio_dynamic_namespaces_async(e->srv, "/a-*", async_filter, dyn_setup, &R), SIO_OK);
    /* Tried after the asynchronous rule: takes what it refuses under /a-b*. */
    assert_int_equal(sio_dynamic_namespaces(e->srv, "/a-b*", NULL, dyn_setup, &R), SIO_OK);
    char sid[SIO_ID_LEN + 1];

    /* Two clients ask for the same namespace; nothing answers until the
     * filter does, and a repeated CONNECT is not asked twice. */
    client *a = client_open(e), *b = client_open(e);
    assert_int_equal(client_send(a, "40/a-1,{\"u\":1}"), 0);
    assert_int_equal(client_send(a, "40/a-1,{\"u\":1}"), 0);
    assert_int_equal(client_send(b, "40/a-1,"), 0);
    assert_int_equal(AF.calls, 2);
    assert_string_equal(AF.names[0], "/a-1");
    expect_none(a);
    expect_none(b);
    assert_null(sio_find_namespace(e->srv, "/a-1"));
    assert_int_equal(R.setup_calls, 0);

    /* Allowed: made once, and the second answer finds it made. */
    assert_int_equal(sio_decide(AF.held[0], true, NULL, NULL), SIO_OK);
    expect_connect_reply(a, "/a-1", sid);
    assert_int_equal(R.setup_calls, 1);
    assert_int_equal(R.n_connected, 1);
    assert_string_equal(sio_socket_auth(R.connected[0]), "{\"u\":1}");
    assert_int_equal(sio_decide(AF.held[1], true, NULL, NULL), SIO_OK);
    expect_connect_reply(b, "/a-1", sid);
    assert_int_equal(R.setup_calls, 1);
    assert_int_equal(sio_namespace_socket_count(sio_find_namespace(e->srv, "/a-1")), 2);

    /* Refused: the next rule is tried, then "Invalid namespace" (a
     * refusal's message is not sent, as in Node). */
    AF.n = 0;
    assert_int_equal(client_send(a, "40/a-2,"), 0);
    assert_int_equal(client_send(a, "40/a-bc,"), 0);
    assert_int_equal(sio_decide(AF.held[0], false, "not you", NULL), SIO_OK);
    expect_text(a, "44/a-2,{\"message\":\"Invalid namespace\"}");
    assert_int_equal(sio_decide(AF.held[1], false, NULL, NULL), SIO_OK);
    expect_connect_reply(a, "/a-bc", sid);
    assert_int_equal(R.setup_calls, 2);

    /* Answered before the filter returns. */
    AF.n = 0;
    assert_int_equal(client_send(b, "40/a-3,{\"now\":true}"), 0);
    expect_connect_reply(b, "/a-3", sid);
    assert_int_equal(AF.n, 0);

    /* The client goes while the filter decides: the answer says so, and
     * nothing is made. */
    client *c = client_open(e);
    assert_int_equal(client_send(c, "40/a-4,"), 0);
    assert_int_equal(AF.n, 1);
    conn_gone(&c->conn);
    assert_int_equal(sio_decide(AF.held[0], true, NULL, NULL), SIO_ECLOSED);
    assert_null(sio_find_namespace(e->srv, "/a-4"));

    /* A filter slower than connect_timeout: the connection is closed. */
    AF.n = 0;
    client *d = client_open(e);
    assert_int_equal(client_send(d, "40/a-5,"), 0);
    fake_now += 5001;
    sio_core_tick(e->srv, fake_now);
    settle();
    assert_false(session_open(d));
    assert_int_equal(sio_decide(AF.held[0], true, NULL, NULL), SIO_ECLOSED);
    assert_null(sio_find_namespace(e->srv, "/a-5"));
    assert_true(session_open(a));
    assert_true(session_open(b));
}

/* --- the core under pressure: callbacks that close things ---------------------------- */

static bool mw_disconnects(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)message, (void)data;
    R.mw_calls++;
    sio_disconnect(s, user != NULL);
    return true;
}

/* A middleware that disconnects the socket it is vetting. The connection
 * must not go through, and nothing may touch the freed socket. */
static void test_middleware_disconnects_socket(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    assert_int_equal(sio_use(root, mw_disconnects, NULL), SIO_OK);
    client *a = client_open(e);
    assert_int_equal(client_send(a, "40"), 0);
    assert_int_equal(R.mw_calls, 1);
    assert_int_equal(R.n_connected, 0);
    assert_int_equal(sio_namespace_socket_count(root), 0);
    sio_msg *m;
    while ((m = eio_conn_next_frame(&a->conn))) {
        bool connect_ok_reply = m->len >= 3 && memcmp(m->data, "40{", 3) == 0;
        sio_msg_unref(m);
        assert_false(connect_ok_reply);
    }
    assert_true(session_open(a));
}

/* The send queue overflows on the CONNECT reply itself: the session is
 * closed ("send queue full") and the server survives. */
static size_t open_packet_len(const eio_options *eo)
{
    fake_transport ft = {0};
    eio_transport_ops ops = {&ft, ft_want_write, ft_close_conn, NULL};
    eio_engine *eng = eio_engine_new(eo, &ops, NULL);
    assert_non_null(eng);
    eio_conn c = {0};
    assert_non_null(eio_engine_handshake(eng, EIO_WEBSOCKET, &c, fake_now));
    sio_msg *m = eio_conn_next_frame(&c);
    assert_non_null(m);
    size_t n = m->len + EIO_MSG_OVERHEAD; /* what it costs in the send queue */
    sio_msg_unref(m);
    conn_gone(&c);
    eio_engine_reap(eng);
    eio_engine_free(eng);
    return n;
}

static void test_connect_reply_queue_full(void **state)
{
    env *e = *state;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.max_queue_bytes = open_packet_len(&eo) + 8; /* the open packet fits, the reply does not */
    env_start(e, NULL, &eo);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    client *a = client_open_raw(e); /* the open packet stays queued */
    client_send(a, "40");
    assert_null(a->conn.session);
    assert_int_equal(R.n_connected, 0);
    assert_int_equal(sio_namespace_socket_count(root), 0);
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 0);
}

/* Likewise on a middleware's CONNECT_ERROR. */
static void test_connect_error_queue_full(void **state)
{
    env *e = *state;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.max_queue_bytes = open_packet_len(&eo) + 8;
    env_start(e, NULL, &eo);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    assert_int_equal(sio_use(root, mw_refuse, NULL), SIO_OK);
    client *a = client_open_raw(e);
    client_send(a, "40");
    assert_null(a->conn.session);
    assert_int_equal(R.n_connected, 0);
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 0);
}

static bool mw_emit_long(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)message, (void)data, (void)user;
    R.mw_calls++;
    assert_int_equal(sio_emit(s, "early", "[\"0123456789012345678901234567890123456789\"]"), SIO_OK);
    assert_int_equal(sio_emit(s, "early2", NULL), SIO_OK);
    return true;
}

/* The CONNECT reply fits in the send queue but an emit the middleware made
 * before it does not: flushing it closes the session ("send queue full")
 * in the middle of the flush. The socket is told once and the server
 * survives. */
static void test_early_emit_queue_full(void **state)
{
    env *e = *state;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.max_queue_bytes = open_packet_len(&eo) + 32 + EIO_MSG_OVERHEAD + 8; /* open + reply fit */
    env_start(e, NULL, &eo);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    assert_int_equal(sio_use(root, mw_emit_long, NULL), SIO_OK);
    client *a = client_open_raw(e);
    client_send(a, "40");
    assert_int_equal(R.mw_calls, 1);
    assert_null(a->conn.session);
    assert_int_equal(sio_namespace_socket_count(root), 0);
    /* The CONNECT reply went out before the overflow: the application saw
     * the connection, then its one disconnection. */
    assert_int_equal(R.n_connected, 1);
    assert_int_equal(R.n_disc, 1);
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 0);
}

/* The DISCONNECT packet of a server-side disconnect overflows the send
 * queue: the session closes while the socket is being closed. The
 * disconnect callback runs once; nothing touches freed memory. */
static void test_disconnect_notify_queue_full(void **state)
{
    env *e = *state;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.max_queue_bytes = open_packet_len(&eo) + 32 + EIO_MSG_OVERHEAD + 1; /* open + reply fit, "41" does not */
    env_start(e, NULL, &eo);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    client *a = client_open_raw(e);
    assert_int_equal(client_send(a, "40"), 0);
    assert_int_equal(R.n_connected, 1);
    sio_disconnect(R.connected[0], false);
    assert_int_equal(R.n_disc, 1);
    assert_null(a->conn.session);
    assert_int_equal(sio_namespace_socket_count(root), 0);
    eio_engine_reap(e->eng);
    assert_int_equal(stats(e).clients, 0);
}

/* An event handler that closes its own client, while other packets follow. */
static void on_ev_close_client(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                               void *user)
{
    (void)event, (void)args, (void)user;
    R.n_ev++;
    sio_disconnect(s, true);
    if (ack)
        assert_int_equal(sio_ack_send(ack, "[1]", NULL, 0), SIO_ECLOSED);
    assert_int_equal(sio_emit(s, "x", NULL), SIO_ECLOSED);
}

static void test_handler_closes_client(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_disconnect(root, on_disc_record, NULL);
    sio_on_any(root, on_ev_close_client, NULL);
    client *a = client_open(e);
    connect_ok(a, "/");
    assert_int_equal(client_send(a, "425[\"bye\"]"), 0);
    assert_int_equal(R.n_ev, 1);
    assert_int_equal(R.n_disc, 1);
    assert_string_equal(R.disc_reason[0], "server namespace disconnect");
    /* What the client still sends while the session closes is moot. */
    assert_int_equal(client_send(a, "42[\"more\"]"), 0);
    assert_int_equal(R.n_ev, 1);
    expect_text(a, "41");
    assert_null(eio_conn_next_frame(&a->conn));
    assert_null(a->conn.session);

    /* The same from a binary event. */
    client *b = client_open(e);
    connect_ok(b, "/");
    assert_int_equal(client_send(b, "451-[\"bye\",{\"_placeholder\":true,\"num\":0}]"), 0);
    assert_int_equal(client_send_bin(b, "z", 1), 0);
    assert_int_equal(R.n_ev, 2);
    assert_int_equal(drain(b), 1);
    assert_null(b->conn.session);
}

/* The handshake's query reaches the socket as a JSON object of strings,
 * Engine.IO's own parameters left out. */
static void test_handshake_query(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_on_connection(sio_of(e->srv, "/"), on_conn_record, NULL);
    client *c = &e->cl[e->n_cl++];
    memset(c, 0, sizeof(*c));
    c->es = eio_engine_handshake_version(e->eng, EIO_WEBSOCKET, 4, false,
                                         "EIO=4&transport=websocket&token=a%20b&t=x&n=1", NULL, &c->conn,
                                         fake_now);
    assert_non_null(c->es);
    sio_msg_unref(eio_conn_next_frame(&c->conn)); /* the open packet */
    sio_socket *s = connect_ok(c, "/");
    assert_string_equal(sio_socket_query(s), "{\"token\":\"a b\",\"n\":\"1\"}");
    assert_string_equal(sio_socket_auth(s), "{}");
    /* Only Engine.IO's parameters: an empty object (kept as no copy). */
    client *c2 = &e->cl[e->n_cl++];
    memset(c2, 0, sizeof(*c2));
    c2->es = eio_engine_handshake_version(e->eng, EIO_WEBSOCKET, 4, false, "EIO=4&transport=websocket",
                                          NULL, &c2->conn, fake_now);
    assert_non_null(c2->es);
    sio_msg_unref(eio_conn_next_frame(&c2->conn));
    sio_socket *s2 = connect_ok(c2, "/");
    assert_string_equal(sio_socket_query(s2), "{}");
    assert_string_equal(sio_socket_auth(s2), "{}");
}

/* A socket.io 2.x client (Engine.IO v3, Socket.IO protocol v4), as the
 * core sees one: "/" is connected by the server itself, with the
 * handshake's query as its auth; socket ids are the Engine.IO sid on "/" and
 * "/nsp#sid" elsewhere; a CONNECT to "/nsp?x=y" carries its query as the
 * auth; CONNECT_ERROR payloads are a string (or the middleware's data). */
static void test_v2_client_paths(void **state)
{
    env *e = *state;
    env_start(e, NULL, NULL);
    sio_namespace *root = sio_of(e->srv, "/"), *custom = sio_of(e->srv, "/custom");
    sio_on_connection(root, on_conn_record, NULL);
    sio_on_connection(custom, on_conn_record, NULL);
    client *c = &e->cl[e->n_cl++];
    memset(c, 0, sizeof(*c));
    c->es = eio_engine_handshake_version(e->eng, EIO_WEBSOCKET, 3, false, "EIO=3&transport=websocket&token=abc",
                                         NULL, &c->conn, fake_now);
    assert_non_null(c->es);
    snprintf(c->eio_sid, sizeof(c->eio_sid), "%s", eio_session_sid(c->es));
    sio_msg_unref(eio_conn_next_frame(&c->conn)); /* the open packet */
    /* "/" without a CONNECT from the client. */
    expect_text(c, "40");
    assert_int_equal(R.n_connected, 1);
    sio_socket *s = R.connected[0];
    assert_string_equal(sio_socket_id(s), c->eio_sid);
    assert_string_equal(sio_socket_auth(s), "{\"token\":\"abc\"}");
    /* A namespace with a query: no sid in the reply, "/nsp#sid" as the id. */
    assert_int_equal(client_send(c, "40/custom?x=y,"), 0);
    expect_text(c, "40/custom,"); /* as socket.io-parser 3.x writes it */
    assert_int_equal(R.n_connected, 2);
    char want_id[128];
    snprintf(want_id, sizeof(want_id), "/custom#%s", c->eio_sid);
    assert_string_equal(sio_socket_id(R.connected[1]), want_id);
    assert_string_equal(sio_socket_auth(R.connected[1]), "{\"x\":\"y\"}");
    /* An unknown namespace: the error is a string. */
    assert_int_equal(client_send(c, "40/nope,"), 0);
    expect_text(c, "44/nope,\"Invalid namespace\"");
    /* A middleware's refusal: its data, else its message, as the payload. */
    sio_namespace *guarded = sio_of(e->srv, "/guarded"), *plain = sio_of(e->srv, "/plain");
    assert_int_equal(sio_use(guarded, mw_refuse, NULL), SIO_OK);
    assert_int_equal(sio_use(plain, mw_refuse_default, NULL), SIO_OK);
    assert_int_equal(client_send(c, "40/guarded,"), 0);
    expect_text(c, "44/guarded,{\"code\":42,\"why\":[1,\"x\"]}");
    assert_int_equal(client_send(c, "40/plain,"), 0);
    expect_text(c, "44/plain,\"not authorized\"");
    assert_int_equal(R.n_connected, 2);
    /* Events on both namespaces still go to the right sockets. */
    assert_int_equal(sio_emit(R.connected[1], "hi", "[1]"), SIO_OK);
    expect_text(c, "42/custom,[\"hi\",1]");
}

int main(void)
{
    /* SIO_TEST_FILTER / SIO_TEST_SKIP: glob patterns of test names to run
     * or to skip (one test per process under ASan, for instance). */
    const char *filter = getenv("SIO_TEST_FILTER");
    if (filter && *filter)
        cmocka_set_test_filter(filter);
    const char *skip = getenv("SIO_TEST_SKIP");
    if (skip && *skip)
        cmocka_set_skip_filter(skip);
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handshake_query, setup, teardown),
        cmocka_unit_test_setup_teardown(test_v2_client_paths, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_unknown_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_before_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_middleware_refusal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_in_middleware, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_in_connection_handler, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_dispatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_on_any, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_send_now, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_retained, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_with_ack_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_with_ack_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_fails_acks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rooms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_own_room, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broadcast_encodes_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_event_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_protocol_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_namespace_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_server_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_emit_after_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_emit_from_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_post_pending_at_free, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnecting_sees_rooms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_middleware, setup, teardown),
        cmocka_unit_test_setup_teardown(test_async_middleware_from_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cleanup_empty_child_namespaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_namespace_pattern, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_namespace_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_namespace_pattern_and_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dynamic_namespace_async_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_closes_client, setup, teardown),
        /* Callbacks and overflows that free a socket or client while the
         * core still uses it. Under ASan the first failure aborts the run:
         * SIO_TEST_FILTER=<glob> runs a subset. */
        cmocka_unit_test_setup_teardown(test_middleware_disconnects_socket, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_reply_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_error_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_event_before_connect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_event_unjoined_namespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_early_emit_queue_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disconnect_notify_queue_full, setup, teardown),
    };
    /* cmocka runs a filtered set without a word about the rest: say how many
     * were left out, in cmocka's words, so that the total shows it. */
    size_t n = sizeof(tests) / sizeof(tests[0]), left_out = 0;
    for (size_t i = 0; i < n; i++)
        if ((filter && *filter && fnmatch(filter, tests[i].name, 0) != 0) ||
            (skip && *skip && fnmatch(skip, tests[i].name, 0) == 0))
            left_out++;
    if (left_out)
        printf("[  SKIPPED ] %zu test(s) (SIO_TEST_FILTER / SIO_TEST_SKIP).\n", left_out);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
