/* Leak and robustness test against build/eio-echo: open and close 1,000
 * Engine.IO sessions, mixing polling and WebSocket and the ways each can end,
 * and check that the server's resident memory does not grow between the
 * first 200 sessions and the last 800, and that it still answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"
#include "support/ws_client.h"

#define SESSIONS 1000
#define WARMUP 200
/* Allowed VmRSS growth over the last 800 sessions. A leak of even 100 bytes
 * per session would be about 80 kB; allocator noise stays well below this. */
#define RSS_BOUND_KB 256
#define TMO 3000

static test_server srv;

static int setup(void **state)
{
    static const char *const args[] = {"--max-payload", "100000", NULL};
    return server_start(&srv, "eio-echo", args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    return server_stop(&srv, 5000) == 0 ? 0 : -1;
}

static char *poll_url(const char *sid)
{
    char q[160];
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", sid);
    return eio_url(&srv, q);
}

/* Kinds of session, in turn. */
enum kind {
    POLL_CLOSE,     /* polling, echo, client close "1" */
    WS_CLOSE_FRAME, /* websocket, echo, WebSocket close frame */
    POLL_ABORT,     /* polling, held GET aborted */
    WS_DROP,        /* websocket, echo, TCP connection dropped */
    POLL_ERROR,     /* polling, invalid packet */
    WS_UPGRADE,     /* polling upgraded to websocket, then "1" */
    KINDS
};

static void one_polling(int i, enum kind k, CURL *h)
{
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    char *u = poll_url(sid);
    char msg[64];
    int n = snprintf(msg, sizeof(msg), "4session %d \xe2\x9c\x93", i);
    static const char *const ct[] = {"Content-Type: text/plain;charset=UTF-8", NULL};
    http_response r;
    assert_int_equal(http_request_on(h, "POST", u, msg, (size_t)n, ct, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    assert_int_equal(http_request_on(h, "GET", u, NULL, 0, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, msg);
    http_response_free(&r);
    switch (k) {
    case POLL_CLOSE:
        assert_int_equal(http_request_on(h, "POST", u, "1", 1, ct, 0, &r), 0);
        assert_int_equal(r.status, 200);
        http_response_free(&r);
        break;
    case POLL_ABORT: {
        async_req a;
        assert_int_equal(held_get_start(&a, u, 10000), 0);
        async_free(&a);
        /* The session may linger until the server notices; close it for
         * sure so this test measures memory, not abort detection. */
        assert_int_equal(http_request_on(h, "POST", u, "1", 1, ct, 0, &r), 0);
        assert_true(r.status == 200 || r.status == 400);
        http_response_free(&r);
        break;
    }
    case POLL_ERROR:
        assert_int_equal(http_request_on(h, "POST", u, "abc", 3, ct, 0, &r), 0);
        assert_int_equal(r.status, 400);
        http_response_free(&r);
        break;
    default:
        break;
    }
    free(u);
    free(sid);
}

static void one_ws(int i, enum kind k)
{
    ws_client c;
    assert_int_equal(ws_connect(&c, srv.port, "/engine.io/?EIO=4&transport=websocket", NULL, TMO), 101);
    ws_msg m;
    assert_int_equal(ws_recv(&c, &m, TMO), 1);
    assert_true(m.data[0] == '0');
    ws_msg_free(&m);
    char msg[64];
    snprintf(msg, sizeof(msg), "4ws %d", i);
    assert_int_equal(ws_send_text(&c, msg), 0);
    assert_true(ws_expect_text(&c, msg, TMO));
    unsigned char b[64];
    memset(b, i & 0xff, sizeof(b));
    assert_int_equal(ws_send_binary(&c, b, sizeof(b)), 0);
    assert_int_equal(ws_recv(&c, &m, TMO), 1);
    assert_int_equal(m.len, sizeof(b));
    ws_msg_free(&m);
    if (k == WS_CLOSE_FRAME) {
        assert_int_equal(ws_send_close(&c, 1000), 0);
        assert_true(ws_wait_closed(&c, TMO));
    }
    ws_disconnect(&c);
}

static void one_upgrade(int i)
{
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    char path[160];
    snprintf(path, sizeof(path), "/engine.io/?EIO=4&transport=websocket&sid=%s", sid);
    ws_client c;
    assert_int_equal(ws_connect(&c, srv.port, path, NULL, TMO), 101);
    assert_int_equal(ws_send_text(&c, "2probe"), 0);
    assert_true(ws_expect_text(&c, "3probe", TMO));
    assert_int_equal(ws_send_text(&c, "5"), 0);
    char msg[64];
    snprintf(msg, sizeof(msg), "4up %d", i);
    assert_int_equal(ws_send_text(&c, msg), 0);
    assert_true(ws_expect_text(&c, msg, TMO));
    assert_int_equal(ws_send_text(&c, "1"), 0);
    assert_true(ws_wait_closed(&c, TMO));
    ws_disconnect(&c);
    free(sid);
}

static void run_sessions(int from, int to, CURL *h)
{
    for (int i = from; i < to; i++) {
        enum kind k = (enum kind)(i % KINDS);
        switch (k) {
        case POLL_CLOSE:
        case POLL_ABORT:
        case POLL_ERROR:
            one_polling(i, k, h);
            break;
        case WS_CLOSE_FRAME:
        case WS_DROP:
            one_ws(i, k);
            break;
        case WS_UPGRADE:
            one_upgrade(i);
            break;
        default:
            break;
        }
    }
}

/* A round trip on a fresh session: every earlier event has been handled by
 * the time it is answered (one event loop, connections served in order). */
static void sync_server(void)
{
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, "1", 1, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    free(sid);
}

static void test_churn(void **state)
{
    CURL *h = curl_easy_init();
    long rss0 = server_rss_kb(&srv);
    int64_t t0 = now_ms();
    run_sessions(0, WARMUP, h);
    sync_server();
    long rss1 = server_rss_kb(&srv);
    run_sessions(WARMUP, SESSIONS, h);
    sync_server();
    long rss2 = server_rss_kb(&srv);
    int64_t took = now_ms() - t0;
    fprintf(stderr,
            "churn: %d sessions in %lld ms; VmRSS at start %ld kB, after %d sessions %ld kB, "
            "after %d sessions %ld kB; growth over the last %d: %ld kB (bound %d kB)\n",
            SESSIONS, (long long)took, rss0, WARMUP, rss1, SESSIONS, rss2, SESSIONS - WARMUP,
            rss2 - rss1, RSS_BOUND_KB);
    assert_true(rss0 > 0 && rss1 > 0 && rss2 > 0);
    assert_true(rss2 - rss1 <= RSS_BOUND_KB);
    curl_easy_cleanup(h);

    /* Still answers on both transports. */
    assert_true(server_alive(&srv));
    sync_server();
    ws_client c;
    assert_int_equal(ws_connect(&c, srv.port, "/engine.io/?EIO=4&transport=websocket", NULL, TMO), 101);
    ws_msg m;
    assert_int_equal(ws_recv(&c, &m, TMO), 1);
    ws_msg_free(&m);
    assert_int_equal(ws_send_text(&c, "4end"), 0);
    assert_true(ws_expect_text(&c, "4end", TMO));
    ws_disconnect(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_churn),
    };
    return cmocka_run_group_tests_name("eio churn", tests, setup, teardown);
}
