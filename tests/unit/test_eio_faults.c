/* The engine's faults and packet tap (eio/eio_faults.h), for test servers:
 * no heartbeat (v4 and v3), stalled polls, refused upgrades, delayed
 * messages in order (the heartbeat not delayed), an aborted session, and
 * the tap seeing messages both ways. The transport is a fake that records
 * what the engine asks of it; the clock is the test's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eio/eio_engine.h"
#include "eio/eio_faults.h"

static struct {
    eio_engine *e;
    eio_conn *aborted[4];
    size_t naborted, nclosed, ntap;
    char tap[8][32]; /* "<" received or ">" sent, then the data */
    int64_t now;
    eio_conn c[4]; /* the connections, alive until the engine is freed */
} F;

static void want_write(void *ctx, eio_conn *c) {}
static void close_conn(void *ctx, eio_conn *c) { F.nclosed++; }
static void abort_conn(void *ctx, eio_conn *c)
{
    if (F.naborted < 4)
        F.aborted[F.naborted++] = c;
}
static void on_close(void *ctx, eio_session *s, eio_close_reason r) {}
static int64_t clock_ms(void) { return F.now; }
static void tap(void *ctx, eio_session *s, bool out, const unsigned char *p, size_t n, bool binary)
{
    if (F.ntap < 8)
        snprintf(F.tap[F.ntap++], sizeof(F.tap[0]), "%c%.*s", out ? '>' : '<', (int)n, (const char *)p);
}

static int setup(void **state)
{
    memset(&F, 0, sizeof(F));
    eio_options o;
    eio_options_defaults(&o);
    o.ping_interval = 300;
    o.ping_timeout = 200;
    eio_transport_ops ops = {&F, want_write, close_conn, abort_conn};
    eio_handler h = {.ctx = &F, .on_close = on_close};
    F.e = eio_engine_new(&o, &ops, &h);
    eio_engine_set_tap(F.e, tap, &F, clock_ms);
    return F.e ? 0 : -1;
}

static int teardown(void **state)
{
    eio_engine_reap(F.e);
    eio_engine_free(F.e);
    return 0;
}

/* A v4 session on a WebSocket, its open packet taken. */
static eio_session *ws_session(eio_conn *c, int protocol)
{
    eio_session *s = eio_engine_handshake_version(F.e, EIO_WEBSOCKET, protocol, false, NULL, NULL, c, F.now);
    assert_non_null(s);
    sio_msg *open = eio_conn_next_frame(c);
    assert_non_null(open);
    sio_msg_unref(open);
    return s;
}

/* The type characters of the frames waiting on c ("" when none). */
static const char *frames(eio_conn *c)
{
    static char out[16];
    size_t n = 0;
    for (sio_msg *m; n < sizeof(out) - 1 && (m = eio_conn_next_frame(c)); sio_msg_unref(m))
        out[n++] = (char)m->data[0];
    out[n] = 0;
    return out;
}

static void send_text(eio_session *s, const char *text)
{
    sio_msg *m = sio_msg_new('4', text, strlen(text), false);
    assert_int_equal(eio_session_send(s, m), EIO_SEND_OK);
    sio_msg_unref(m);
}

static void test_no_heartbeat_v4(void **state)
{
    eio_conn *c = &F.c[0];
    eio_session *s = ws_session(c, 4);
    assert_int_equal(eio_session_set_faults(s, EIO_FAULT_NO_HEARTBEAT, 0), 0);
    for (F.now = 300; F.now <= 3000; F.now += 100)
        eio_engine_tick(F.e, F.now);
    assert_string_equal(frames(c), ""); /* no ping, and no ping timeout either */
    assert_true(eio_session_is_open(s));
    assert_int_equal(eio_session_set_faults(s, 0, 0), 0);
    F.now += 300;
    eio_engine_tick(F.e, F.now);
    assert_string_equal(frames(c), "2");
}

static void test_no_heartbeat_v3(void **state)
{
    eio_conn *c = &F.c[0];
    eio_session *s = ws_session(c, 3);
    eio_engine_set_faults(F.e, EIO_FAULT_NO_HEARTBEAT, 0); /* every session */
    assert_int_equal(eio_session_faults(s), EIO_FAULT_NO_HEARTBEAT);
    assert_int_equal(eio_conn_ws_recv(c, (const unsigned char *)"2", 1, false, F.now), 0);
    assert_string_equal(frames(c), ""); /* the ping is not answered */
    eio_engine_set_faults(F.e, 0, 0);
    assert_int_equal(eio_conn_ws_recv(c, (const unsigned char *)"2", 1, false, F.now), 0);
    assert_string_equal(frames(c), "3");
}

static void test_delay_keeps_order_not_the_heartbeat(void **state)
{
    eio_conn *c = &F.c[0];
    eio_session *s = ws_session(c, 4);
    assert_int_equal(eio_session_set_faults(s, EIO_FAULT_DELAY, 100), 0);
    send_text(s, "a");
    F.now = 50;
    assert_int_equal(eio_session_set_faults(s, 0, 0), 0);
    send_text(s, "b"); /* no delay any more, but it waits behind "a" */
    assert_string_equal(frames(c), "");
    F.now = 99;
    eio_engine_tick(F.e, F.now);
    assert_string_equal(frames(c), "");
    F.now = 100;
    eio_engine_tick(F.e, F.now);
    assert_int_equal(F.ntap, 2);
    assert_string_equal(F.tap[0], ">a");
    assert_string_equal(F.tap[1], ">b");
    assert_string_equal(frames(c), "44");
    /* The heartbeat keeps its time under a delay. */
    assert_int_equal(eio_session_set_faults(s, EIO_FAULT_DELAY, 10000), 0);
    F.now = 300;
    eio_engine_tick(F.e, F.now);
    assert_string_equal(frames(c), "2");
}

static void test_stall_and_close_polls(void **state)
{
    eio_conn *g = &F.c[0], *g2 = &F.c[1];
    eio_session *s = eio_engine_handshake_version(F.e, EIO_POLLING, 4, false, NULL, NULL, g, F.now);
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(eio_conn_take_payload(g, &b), 0); /* the open packet */
    assert_int_equal(eio_session_poll_get(s, g2, F.now), EIO_ERR_NONE);
    assert_int_equal(eio_session_set_faults(s, EIO_FAULT_STALL_POLLS, 0), 0);
    send_text(s, "x");
    sio_buf_reset(&b);
    assert_int_equal(eio_conn_take_payload(g2, &b), -1); /* held */
    assert_int_equal(eio_session_set_faults(s, 0, 0), 0);
    assert_int_equal(eio_conn_take_payload(g2, &b), 0);
    assert_memory_equal(b.data, "4x", 2);
    /* A poll that arrives under close-polls is cut and the session ends. */
    assert_int_equal(eio_session_set_faults(s, EIO_FAULT_CLOSE_POLLS, 0), 0);
    eio_conn *g3 = &F.c[2];
    assert_int_equal(eio_session_poll_get(s, g3, F.now), EIO_ERR_NONE);
    assert_int_equal(F.naborted, 1);
    assert_ptr_equal(F.aborted[0], g3);
    assert_null(g3->session);
    assert_false(eio_session_is_open(s));
    assert_int_equal(eio_engine_session_count(F.e), 0);
    sio_buf_free(&b);
}

static void test_refuse_upgrade(void **state)
{
    eio_conn *g = &F.c[0], *ws = &F.c[1];
    eio_session *s = eio_engine_handshake_version(F.e, EIO_POLLING, 4, false, NULL, NULL, g, F.now);
    assert_int_equal(eio_session_set_faults(s, EIO_FAULT_REFUSE_UPGRADE, 0), 0);
    assert_int_equal(eio_session_ws_probe(s, ws, F.now), EIO_ERR_BAD_REQUEST);
    eio_engine_set_faults(F.e, EIO_FAULT_REFUSE_UPGRADE, 0);
    eio_session *none;
    eio_request r = {.method = EIO_METHOD_GET, .ws_upgrade = true, .eio = "4", .transport = "websocket"};
    assert_int_equal(eio_engine_verify(F.e, &r, &none), EIO_ERR_BAD_REQUEST);
    eio_engine_set_faults(F.e, 0, 0);
    assert_int_equal(eio_engine_verify(F.e, &r, &none), EIO_ERR_NONE);
    assert_int_equal(eio_session_set_faults(s, 0, 0), 0);
    assert_int_equal(eio_session_ws_probe(s, ws, F.now), EIO_ERR_NONE);
}

static void test_abort_and_tap(void **state)
{
    eio_conn *c = &F.c[0];
    eio_session *s = ws_session(c, 4);
    assert_int_equal(eio_conn_ws_recv(c, (const unsigned char *)"40", 2, false, F.now), 0);
    send_text(s, "0{}");
    assert_int_equal(F.ntap, 2);
    assert_string_equal(F.tap[0], "<0");
    assert_string_equal(F.tap[1], ">0{}");
    assert_ptr_equal(eio_engine_find_session(F.e, eio_session_sid(s)), s);
    assert_ptr_equal(eio_engine_any_session(F.e), s);
    eio_session_abort(s);
    assert_int_equal(F.naborted, 1);
    assert_ptr_equal(F.aborted[0], c);
    assert_int_equal(F.nclosed, 0); /* no close, no goodbye */
    assert_null(eio_engine_any_session(F.e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_heartbeat_v4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_heartbeat_v3, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delay_keeps_order_not_the_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stall_and_close_polls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refuse_upgrade, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_and_tap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
