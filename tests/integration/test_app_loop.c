/* A Socket.IO server on a libuv loop the application owns
 * (sio_options.uv_loop), in this process, with real sockets.
 *
 * The "application" is a thread running its own loop with a timer of its
 * own that broadcasts "tick" n every 500 ms: an emit made from the
 * application's callback, not the server's, must leave at once (before the
 * next tick, not with it when the loop next wakes up), through a WebSocket
 * and by answering a held poll. An event is answered
 * through its ack. Then sio_server_stop() from another thread closes the
 * clients, on_stopped runs on the loop thread, the application stops its
 * loop, frees the server, and closes the loop: uv_loop_close() must find no
 * handle of the server's left. sio_server_run() on such a server is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sio.h"
#include "support/harness.h"
#include "support/ws_client.h"

#define TMO 3000
#define TICK_MS 500

typedef struct app {
    uv_loop_t loop;
    uv_timer_t ticker; /* the application's own timer */
    sio_server *srv;
    pthread_t thread;
    atomic_int ticks;
    atomic_int stopped_calls;
    atomic_bool stopped_on_loop_thread;
    int loop_close_rc; /* uv_loop_close() after the server was freed */
} app;

static void on_tick(uv_timer_t *t)
{
    app *a = t->data;
    char args[32];
    snprintf(args, sizeof(args), "[%d]", atomic_fetch_add(&a->ticks, 1) + 1);
    sio_broadcast(sio_of(a->srv, "/"), NULL, "tick", args, NULL, 0);
}

static void on_echo(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    if (ack) {
        size_t len;
        const char *json = sio_args_json(args, &len);
        char *copy = strndup(json, len);
        sio_ack_send(ack, copy, NULL, 0);
        free(copy);
    }
}

static void on_stopped(sio_server *srv, void *user)
{
    app *a = user;
    atomic_fetch_add(&a->stopped_calls, 1);
    atomic_store(&a->stopped_on_loop_thread, pthread_equal(pthread_self(), a->thread));
    uv_timer_stop(&a->ticker);
    uv_close((uv_handle_t *)&a->ticker, NULL);
    uv_stop(&a->loop);
}

/* The application's thread: runs its loop, then frees the server (the loop
 * is not running then) and closes the loop. */
static void *app_main(void *arg)
{
    app *a = arg;
    uv_run(&a->loop, UV_RUN_DEFAULT);
    sio_server_free(a->srv);
    a->srv = NULL;
    a->loop_close_rc = uv_loop_close(&a->loop);
    return NULL;
}

static void app_start(app *a)
{
    memset(a, 0, sizeof(*a));
    assert_int_equal(uv_loop_init(&a->loop), 0);
    sio_options o;
    sio_options_init(&o);
    o.bind_addr = "127.0.0.1";
    o.port = 0;
    o.path = "/engine.io/"; /* the harness's polling helpers use it */
    o.uv_loop = &a->loop;
    o.on_stopped = on_stopped;
    o.on_stopped_user = a;
    char why[256];
    assert_int_equal(sio_server_create(&o, &a->srv, why, sizeof(why)), SIO_OK);
    assert_int_equal(sio_server_run(a->srv), SIO_ESTATE);
    sio_on(sio_of(a->srv, "/"), "echo", on_echo, NULL);
    assert_int_equal(uv_timer_init(&a->loop, &a->ticker), 0);
    a->ticker.data = a;
    assert_int_equal(uv_timer_start(&a->ticker, on_tick, TICK_MS, TICK_MS), 0);
    assert_int_equal(pthread_create(&a->thread, NULL, app_main, a), 0);
}

/* The next text message that starts with `prefix`, skipping ticks and
 * pings' answers; malloc'd, or NULL at the deadline. */
static char *ws_next(ws_client *c, const char *prefix)
{
    int64_t deadline = now_ms() + TMO;
    while (now_ms() < deadline) {
        ws_msg m;
        int r = ws_recv(c, &m, (int)(deadline - now_ms()));
        if (r != 1)
            return NULL;
        if (m.opcode == WS_OP_TEXT && strncmp((char *)m.data, prefix, strlen(prefix)) == 0) {
            char *s = strdup((char *)m.data);
            ws_msg_free(&m);
            return s;
        }
        ws_msg_free(&m);
    }
    return NULL;
}

static void test_server_on_application_loop(void **state)
{
    app a;
    app_start(&a);
    int port = sio_server_port(a.srv);

    /* WebSocket: connected, the application's ticks arrive, an ack comes back. */
    ws_client ws;
    assert_int_equal(ws_connect(&ws, port, "/engine.io/?EIO=4&transport=websocket", NULL, TMO), 101);
    char *open = ws_next(&ws, "0{");
    assert_non_null(open);
    free(open);
    assert_int_equal(ws_send_text(&ws, "40"), 0);
    char *reply = ws_next(&ws, "40{\"sid\":");
    assert_non_null(reply);
    free(reply);
    for (int i = 0; i < 2; i++) {
        char *tick = ws_next(&ws, "42[\"tick\",");
        assert_non_null(tick);
        assert_int_equal(atoi(tick + strlen("42[\"tick\",")), atomic_load(&a.ticks)); /* not one late */
        free(tick);
    }
    assert_int_equal(ws_send_text(&ws, "427[\"echo\",\"x\",{\"n\":1}]"), 0);
    char *ack = ws_next(&ws, "437");
    assert_non_null(ack);
    assert_string_equal(ack, "437[\"x\",{\"n\":1}]");
    free(ack);

    /* Polling: a held GET is answered by the application's next tick. */
    test_server ts = {.port = port};
    snprintf(ts.base, sizeof(ts.base), "http://127.0.0.1:%d", port);
    char *sid = eio_open_polling(&ts, NULL);
    assert_non_null(sid);
    http_response r = {0};
    assert_int_equal(eio_poll_post(&ts, sid, "40", 2, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    bool ticked = false;
    for (int i = 0; i < 3 && !ticked; i++) {
        assert_int_equal(eio_poll_get(&ts, sid, &r, TMO), 0);
        assert_int_equal(r.status, 200);
        const char *tick = strstr(r.body, "42[\"tick\",");
        if (tick) {
            ticked = true;
            assert_int_equal(atoi(tick + strlen("42[\"tick\",")), atomic_load(&a.ticks));
        }
        http_response_free(&r);
    }
    assert_true(ticked);

    /* Stopped from this thread: the clients are told, on_stopped runs once
     * on the loop thread, and the application's thread frees everything. */
    sio_server_stop(a.srv);
    assert_true(ws_wait_closed(&ws, TMO));
    assert_int_equal(pthread_join(a.thread, NULL), 0);
    assert_int_equal(atomic_load(&a.stopped_calls), 1);
    assert_true(atomic_load(&a.stopped_on_loop_thread));
    assert_int_equal(a.loop_close_rc, 0); /* no handle of the server's left */
    ws_disconnect(&ws);
    free(sid);
}

int main(void)
{
    http_global_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_server_on_application_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
