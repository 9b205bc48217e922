/* Integration tests of Engine.IO v4 over WebSocket against build/eio-echo,
 * with a raw-socket WebSocket client: handshake, echo, fragments, limits,
 * invalid packets, the upgrade from polling, refusals, heartbeat and garbage
 * after the upgrade request.
 *
 * Three groups, each with its own server:
 *   main       --max-payload 1000
 *   sizes      the default max payload (1 MB)
 *   heartbeat  --ping-interval 300 --ping-timeout 200 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/harness.h"
#include "support/ws_client.h"

#define MAX_PAYLOAD 1000
#define WS_PATH "/engine.io/?EIO=4&transport=websocket"
#define TMO 3000

static test_server srv;

static int setup_main(void **state)
{
    static const char *const args[] = {"--path", "/engine.io/", "--max-payload", "1000", NULL};
    return server_start(&srv, "eio-echo", args) == 0 ? 0 : -1;
}

static int setup_sizes(void **state)
{
    static const char *const args[] = {"--path", "/engine.io/", NULL};
    return server_start(&srv, "eio-echo", args) == 0 ? 0 : -1;
}

static int setup_heartbeat(void **state)
{
    static const char *const args[] = {"--ping-interval", "300", "--ping-timeout", "200", NULL};
    return server_start(&srv, "eio-echo", args) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    return server_stop(&srv, 5000) == 0 ? 0 : -1;
}

/* --- helpers ------------------------------------------------------------------ */

/* Connects a WebSocket session and reads its open packet (returned, malloc'd). */
static char *ws_open(ws_client *c)
{
    int st = ws_connect(c, srv.port, WS_PATH, NULL, TMO);
    if (st != 101)
        fprintf(stderr, "websocket handshake: %d\n%s", st, c->resp_headers ? c->resp_headers : "");
    assert_int_equal(st, 101);
    ws_msg m;
    assert_int_equal(ws_recv(c, &m, TMO), 1);
    assert_int_equal(m.opcode, WS_OP_TEXT);
    assert_true(m.len > 2 && m.data[0] == '0' && m.data[1] == '{');
    return (char *)m.data;
}

/* The server still answers a fresh handshake on both transports. */
static void assert_server_answers(void)
{
    assert_true(server_alive(&srv));
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    free(sid);
    ws_client c;
    char *open = ws_open(&c);
    assert_true(ws_send_text(&c, "4ping?") == 0);
    assert_true(ws_expect_text(&c, "4ping?", TMO));
    free(open);
    ws_disconnect(&c);
}

static char *ws_sid_path(const char *sid)
{
    char *p = malloc(strlen(sid) + 64);
    sprintf(p, WS_PATH "&sid=%s", sid);
    return p;
}

static char *poll_url(const char *sid)
{
    char q[160];
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", sid);
    return eio_url(&srv, q);
}

/* --- handshake and echo ------------------------------------------------------- */

static void test_ws_handshake(void **state)
{
    ws_client c;
    char *open = ws_open(&c);
    /* Exactly these keys, in this order; upgrades [] on a WebSocket. */
    assert_non_null(strstr(open, "{\"sid\":\""));
    char *sid = json_str(open, "sid");
    assert_non_null(sid);
    char want[256];
    snprintf(want, sizeof(want),
             "0{\"sid\":\"%s\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,"
             "\"maxPayload\":%d}",
             sid, MAX_PAYLOAD);
    assert_string_equal(open, want);
    /* The sid is a session: polling on it is a transport mismatch. */
    char *u = poll_url(sid);
    long status = 0;
    char *body = NULL;
    assert_int_equal(http_request("GET", u, NULL, 0, NULL, &status, &body, NULL), 0);
    assert_int_equal(status, 400);
    assert_string_equal(body, "{\"code\":3,\"message\":\"Bad request\"}");
    free(body);
    free(u);
    free(sid);
    free(open);
    ws_disconnect(&c);
}

static void test_ws_text_echo(void **state)
{
    ws_client c;
    free(ws_open(&c));
    assert_int_equal(ws_send_text(&c, "4hello"), 0);
    assert_true(ws_expect_text(&c, "4hello", TMO));
    assert_int_equal(ws_send_text(&c, "4h\xc3\xa9llo \xe2\x9c\x93"), 0);
    assert_true(ws_expect_text(&c, "4h\xc3\xa9llo \xe2\x9c\x93", TMO));
    assert_int_equal(ws_send_text(&c, "4"), 0); /* an empty message */
    assert_true(ws_expect_text(&c, "4", TMO));
    /* Several in a row, in order. */
    for (int i = 0; i < 20; i++) {
        char m[16];
        snprintf(m, sizeof(m), "4m%d", i);
        assert_int_equal(ws_send_text(&c, m), 0);
    }
    for (int i = 0; i < 20; i++) {
        char m[16];
        snprintf(m, sizeof(m), "4m%d", i);
        assert_true(ws_expect_text(&c, m, TMO));
    }
    ws_disconnect(&c);
}

static void test_ws_binary_echo(void **state)
{
    ws_client c;
    free(ws_open(&c));
    static const unsigned char b[] = {1, 2, 3, 4, 0, 255};
    assert_int_equal(ws_send_binary(&c, b, sizeof(b)), 0);
    ws_msg m;
    assert_int_equal(ws_recv(&c, &m, TMO), 1);
    assert_int_equal(m.opcode, WS_OP_BINARY);
    assert_int_equal(m.len, sizeof(b));
    assert_memory_equal(m.data, b, sizeof(b));
    ws_msg_free(&m);
    ws_disconnect(&c);
}

static void test_ws_fragmented(void **state)
{
    ws_client c;
    free(ws_open(&c));
    assert_int_equal(ws_send_frame(&c, WS_OP_TEXT, false, "4hel", 4), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, false, "lo wo", 5), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, true, "rld", 3), 0);
    assert_true(ws_expect_text(&c, "4hello world", TMO));

    /* A binary message in fragments. */
    static const unsigned char b1[] = {1, 2}, b2[] = {3}, b3[] = {4, 5, 6};
    assert_int_equal(ws_send_frame(&c, WS_OP_BINARY, false, b1, sizeof(b1)), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, false, b2, sizeof(b2)), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, true, b3, sizeof(b3)), 0);
    ws_msg m;
    assert_int_equal(ws_recv(&c, &m, TMO), 1);
    assert_int_equal(m.opcode, WS_OP_BINARY);
    static const unsigned char all[] = {1, 2, 3, 4, 5, 6};
    assert_int_equal(m.len, sizeof(all));
    assert_memory_equal(m.data, all, sizeof(all));
    ws_msg_free(&m);

    /* A multi-byte character split across fragments. */
    assert_int_equal(ws_send_frame(&c, WS_OP_TEXT, false, "4\xc3", 2), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, true, "\xa9", 1), 0);
    assert_true(ws_expect_text(&c, "4\xc3\xa9", TMO));

    /* Then an ordinary message still works. */
    assert_int_equal(ws_send_text(&c, "4after"), 0);
    assert_true(ws_expect_text(&c, "4after", TMO));
    ws_disconnect(&c);
}

static void test_ws_too_big(void **state)
{
    char *big = malloc(MAX_PAYLOAD * 2);
    memset(big, 'a', MAX_PAYLOAD * 2);
    big[0] = '4';

    /* At the limit: fine. */
    ws_client c;
    free(ws_open(&c));
    big[MAX_PAYLOAD] = 0;
    assert_int_equal(ws_send_text(&c, big), 0);
    assert_true(ws_expect_text(&c, big, TMO));
    big[MAX_PAYLOAD] = 'a';
    /* One frame over: close 1009. */
    assert_int_equal(ws_send_frame(&c, WS_OP_TEXT, true, big, MAX_PAYLOAD + 500), 0);
    assert_true(ws_wait_closed(&c, TMO));
    fprintf(stderr, "oversize frame: close frame %d, code %d\n", c.close_frame, c.close_code);
    assert_true(c.close_frame);
    assert_int_equal(c.close_code, 1009);
    ws_disconnect(&c);

    /* Over the limit in fragments, each small. */
    free(ws_open(&c));
    assert_int_equal(ws_send_frame(&c, WS_OP_TEXT, false, big, 600), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, false, big + 1, 600), 0);
    assert_int_equal(ws_send_frame(&c, WS_OP_CONT, true, big + 1, 10), 0);
    assert_true(ws_wait_closed(&c, TMO));
    fprintf(stderr, "oversize fragments: close frame %d, code %d\n", c.close_frame, c.close_code);
    assert_true(c.close_frame);
    assert_int_equal(c.close_code, 1009);
    ws_disconnect(&c);
    free(big);
    assert_server_answers();
}

static void test_ws_invalid_packet_closes(void **state)
{
    static const char *const bad[] = {"abc", "", "9", "x4hello"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ws_client c;
        free(ws_open(&c));
        assert_int_equal(ws_send_text(&c, bad[i]), 0);
        bool closed = ws_wait_closed(&c, TMO);
        if (!closed)
            fprintf(stderr, "still open after invalid packet \"%s\"\n", bad[i]);
        assert_true(closed);
        ws_disconnect(&c);
    }
    assert_server_answers();
}

/* --- upgrade from polling ------------------------------------------------------ */

static void test_ws_upgrade(void **state)
{
    char *open = NULL;
    char *sid = eio_open_polling(&srv, &open);
    assert_non_null(sid);
    assert_non_null(strstr(open, "\"upgrades\":[\"websocket\"]"));
    char *purl = poll_url(sid);

    /* A poll is held when the client starts the probe. */
    async_req held;
    assert_int_equal(held_get_start(&held, purl, 10000), 0);
    assert_false(async_wait(&held, 100));

    ws_client c;
    char *path = ws_sid_path(sid);
    assert_int_equal(ws_connect(&c, srv.port, path, NULL, TMO), 101);
    /* No open packet on a probe: the first thing is the probe answer. */
    assert_int_equal(ws_send_text(&c, "2probe"), 0);
    assert_true(ws_expect_text(&c, "3probe", TMO));
    /* The held poll is let go with a noop. */
    assert_true(async_wait(&held, TMO));
    assert_int_equal(held.result, CURLE_OK);
    assert_int_equal(held.status, 200);
    assert_string_equal(async_body(&held), "6");
    async_free(&held);

    /* A message still posted over polling before the upgrade completes: its
     * echo waits for the new transport. */
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, "4during", 7, &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    http_response_free(&r);

    assert_int_equal(ws_send_text(&c, "5"), 0);
    assert_true(ws_expect_text(&c, "4during", TMO));
    assert_int_equal(ws_send_text(&c, "4after"), 0);
    assert_true(ws_expect_text(&c, "4after", TMO));
    static const unsigned char b[] = {9, 8, 7};
    assert_int_equal(ws_send_binary(&c, b, sizeof(b)), 0);
    ws_msg m;
    assert_int_equal(ws_recv(&c, &m, TMO), 1);
    assert_int_equal(m.opcode, WS_OP_BINARY);
    assert_int_equal(m.len, 3);
    assert_memory_equal(m.data, b, 3);
    ws_msg_free(&m);

    /* Polling on that sid is over: 400 (transport mismatch). */
    long status = 0;
    char *body = NULL;
    assert_int_equal(http_request("GET", purl, NULL, 0, NULL, &status, &body, NULL), 0);
    if (status != 400)
        fprintf(stderr, "GET after upgrade: %ld %s\n", status, body);
    assert_int_equal(status, 400);
    assert_string_equal(body, "{\"code\":3,\"message\":\"Bad request\"}");
    free(body);
    /* A second WebSocket on the same sid: as Node does, its handshake
     * completes and the server closes it at once. */
    ws_client c2;
    int st = ws_connect(&c2, srv.port, path, NULL, TMO);
    if (st != 101)
        fprintf(stderr, "second websocket on an upgraded sid: %d\n%s", st,
                c2.resp_headers ? c2.resp_headers : "");
    assert_int_equal(st, 101);
    assert_true(ws_wait_closed(&c2, TMO));
    ws_disconnect(&c2);

    /* The upgraded session is unharmed by both. */
    assert_int_equal(ws_send_text(&c, "4still"), 0);
    assert_true(ws_expect_text(&c, "4still", TMO));
    /* Close from the client: the session ends. */
    assert_int_equal(ws_send_text(&c, "1"), 0);
    assert_true(ws_wait_closed(&c, TMO));
    ws_disconnect(&c);
    free(path);
    free(purl);
    free(open);
    free(sid);
}

/* A probe that is abandoned (the WebSocket goes away before "5") leaves the
 * polling session working. */
static void test_ws_upgrade_abandoned(void **state)
{
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    char *path = ws_sid_path(sid);
    ws_client c;
    assert_int_equal(ws_connect(&c, srv.port, path, NULL, TMO), 101);
    assert_int_equal(ws_send_text(&c, "2probe"), 0);
    assert_true(ws_expect_text(&c, "3probe", TMO));
    ws_disconnect(&c); /* reset during the upgrade */

    /* Polling still works: an echo comes back on a GET. Allow for noops. */
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, "4poll", 5, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    int64_t deadline = now_ms() + TMO;
    bool got = false;
    while (!got && now_ms() < deadline) {
        assert_int_equal(eio_poll_get(&srv, sid, &r, TMO), 0);
        assert_int_equal(r.status, 200);
        got = strstr(r.body, "4poll") != NULL;
        if (!got)
            assert_string_equal(r.body, "6");
        http_response_free(&r);
    }
    assert_true(got);
    assert_int_equal(eio_poll_post(&srv, sid, "1", 1, &r), 0);
    http_response_free(&r);
    free(path);
    free(sid);
}

/* --- refusals -------------------------------------------------------------------- */

static void expect_ws_refused(const char *path)
{
    ws_client c;
    int st = ws_connect(&c, srv.port, path, NULL, TMO);
    if (st != 400)
        fprintf(stderr, "websocket %s: %d\n%s", path, st, c.resp_headers ? c.resp_headers : "");
    assert_int_equal(st, 400);
    ws_disconnect(&c);
}

static void test_ws_refused(void **state)
{
    expect_ws_refused("/engine.io/?EIO=abc&transport=websocket");
    expect_ws_refused("/engine.io/?transport=websocket");
    expect_ws_refused("/engine.io/?EIO=4&transport=abc");
    expect_ws_refused("/engine.io/?EIO=4&transport=__proto__");
    expect_ws_refused("/engine.io/?EIO=4");
    /* transport=polling in an upgrade request */
    expect_ws_refused("/engine.io/?EIO=4&transport=polling");
    expect_ws_refused("/engine.io/?EIO=4&transport=websocket&sid=nope");
    expect_ws_refused("/elsewhere/?EIO=4&transport=websocket");
    assert_server_answers();
}

/* --- garbage ---------------------------------------------------------------------- */

static void test_ws_garbage_after_upgrade(void **state)
{
    static const unsigned char garbage[] = {0xff, 0xff, 0xff, 0xff, 'G', 'A', 'R', 'B', 0x00, 0x01,
                                            0x02, 0x7f, 0x80, 0x81, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a};
    /* 1: unmasked junk right after the upgrade request, in the same write. */
    ws_client c;
    int st = ws_connect_extra(&c, srv.port, WS_PATH, NULL, garbage, sizeof(garbage), TMO);
    bool closed = st == 101 ? ws_wait_closed(&c, TMO) : true;
    if (!closed)
        fail_msg("upgrade + garbage: status %d, and the connection is still open", st);
    ws_disconnect(&c);
    assert_server_answers();

    /* 2: garbage after an upgrade on a polling session's sid (a failed
     * upgrade), then the polling session still answers or is cleanly gone. */
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    char *path = ws_sid_path(sid);
    st = ws_connect_extra(&c, srv.port, path, NULL, garbage, sizeof(garbage), TMO);
    if (st == 101)
        ws_wait_closed(&c, TMO);
    ws_disconnect(&c);
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, "4x", 2, &r), 0);
    assert_true(r.status == 200 || r.status == 400);
    http_response_free(&r);
    free(path);
    free(sid);
    assert_server_answers();

    /* 3: not HTTP at all, and a truncated upgrade request. */
    int fd = tcp_connect(srv.port, TMO);
    assert_true(fd >= 0);
    assert_int_equal(tcp_write_all(fd, garbage, sizeof(garbage)), 0);
    close(fd);
    fd = tcp_connect(srv.port, TMO);
    assert_true(fd >= 0);
    static const char part[] = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: webs";
    assert_int_equal(tcp_write_all(fd, part, sizeof(part) - 1), 0);
    close(fd);
    assert_server_answers();
}

/* A frame whose header announces more than --max-payload is refused at
 * once with 1009, as Node's ws does, without waiting for the payload to
 * arrive (a client could announce a huge frame and trickle it). */
static void test_ws_huge_frame_header(void **state)
{
    /* binary, 64-bit length 2^63-1, mask 1 2 3 4, two payload bytes */
    static const unsigned char huge[] = {0x82, 0xff, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                         1, 2, 3, 4, 'x', 'y'};
    /* text, 16-bit length 5000 (> 1000), mask, ten payload bytes */
    static const unsigned char over[] = {0x81, 0xfe, 0x13, 0x88, 1, 2, 3, 4,
                                         '4', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'};
    const struct {
        const unsigned char *p;
        size_t n;
        const char *what;
    } cases[] = {{huge, sizeof(huge), "2^63-1"}, {over, sizeof(over), "5000"}};
    int bad = 0;
    for (size_t i = 0; i < 2; i++) {
        ws_client c;
        free(ws_open(&c));
        assert_int_equal(ws_send_raw(&c, cases[i].p, cases[i].n), 0);
        bool closed = ws_wait_closed(&c, TMO);
        fprintf(stderr, "frame announcing %s bytes: %s (close frame %d, code %d)\n", cases[i].what,
                closed ? "closed" : "still open after 3 s", c.close_frame, c.close_code);
        if (!closed || c.close_code != 1009)
            bad++;
        ws_disconnect(&c);
    }
    assert_server_answers();
    assert_int_equal(bad, 0);
}

/* --- heartbeat (300 ms + 200 ms) -------------------------------------------------- */

static void test_ws_heartbeat_answered(void **state)
{
    ws_client c;
    free(ws_open(&c));
    int64_t t0 = now_ms(), prev = t0;
    for (int i = 0; i < 3; i++) {
        assert_true(ws_expect_text(&c, "2", 1000));
        int64_t t = now_ms();
        fprintf(stderr, "ping %d after %lld ms\n", i + 1, (long long)(t - prev));
        assert_true(t - prev >= 200 && t - prev <= 600);
        prev = t;
        assert_int_equal(ws_send_text(&c, "3"), 0);
    }
    /* Alive after three intervals. */
    assert_int_equal(ws_send_text(&c, "4alive"), 0);
    assert_true(ws_expect_text(&c, "4alive", TMO));
    assert_false(c.closed);
    ws_disconnect(&c);
}

static void test_ws_heartbeat_unanswered(void **state)
{
    ws_client c;
    free(ws_open(&c));
    int64_t t0 = now_ms();
    assert_true(ws_expect_text(&c, "2", 1000 * timing_slack()));
    int64_t t_ping = now_ms() - t0;
    assert_true(ws_wait_closed(&c, 2000 * timing_slack()));
    int64_t t_closed = now_ms() - t0;
    fprintf(stderr, "ping at %lld ms, closed at %lld ms (close frame %d, code %d)\n",
            (long long)t_ping, (long long)t_closed, c.close_frame, c.close_code);
    assert_true(t_ping >= 250 && t_ping < 300 + 200 * timing_slack());
    assert_true(t_closed >= 450 && t_closed <= 500 + 500 * timing_slack());
    ws_disconnect(&c);
}

/* --- frame sizes ---------------------------------------------------------------- */

/* Messages at every boundary of the frame header's length encoding and of
 * the server's write path (frames under 64 KiB are gathered into one send,
 * larger ones go alone), text and binary interleaved, all sent before any is
 * read: every echo comes back whole, in order, with its opcode. */
static void test_ws_sizes_in_one_burst(void **state)
{
    static const size_t sizes[] = {0,     1,     124,   125,   126,   127,    1000,  65534,
                                   65535, 65536, 65537, 70000, 1,     200000, 300000, 3};
    enum { N = sizeof(sizes) / sizeof(sizes[0]) };
    ws_client c;
    free(ws_open(&c));
    unsigned char *buf = malloc(300002); /* "4", the largest size, a NUL */
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < N; i++) {
            bool text = (i + round) % 2 == 0;
            size_t n = sizes[i];
            if (text) { /* "4" and n bytes */
                buf[0] = '4';
                memset(buf + 1, 'a' + (int)(i % 26), n);
                buf[n + 1] = 0;
                assert_int_equal(ws_send_frame(&c, WS_OP_TEXT, true, buf, n + 1), 0);
            } else {
                memset(buf, (int)i, n);
                assert_int_equal(ws_send_binary(&c, buf, n), 0);
            }
        }
        for (size_t i = 0; i < N; i++) {
            bool text = (i + round) % 2 == 0;
            size_t n = sizes[i];
            ws_msg m;
            assert_int_equal(ws_recv(&c, &m, TMO), 1);
            if (text) {
                assert_int_equal(m.opcode, WS_OP_TEXT);
                assert_int_equal(m.len, n + 1);
                assert_int_equal(m.data[0], '4');
                for (size_t k = 1; k <= n; k++)
                    if (m.data[k] != 'a' + (int)(i % 26))
                        fail_msg("message %zu (text, %zu B): byte %zu differs", i, n, k);
            } else {
                assert_int_equal(m.opcode, WS_OP_BINARY);
                assert_int_equal(m.len, n);
                for (size_t k = 0; k < n; k++)
                    if (m.data[k] != (unsigned char)i)
                        fail_msg("message %zu (binary, %zu B): byte %zu differs", i, n, k);
            }
            ws_msg_free(&m);
        }
    }
    free(buf);
    /* The session still works. */
    assert_int_equal(ws_send_text(&c, "4done"), 0);
    assert_true(ws_expect_text(&c, "4done", TMO));
    ws_disconnect(&c);
}

/* A client that does not read while its echoes pile up: the server's socket
 * fills, lws keeps what it could not send, and later frames wait for
 * writable callbacks (and the server stops reading that client when it
 * cannot write, so the client sends from a thread). Another client is
 * answered meanwhile, and once the first one reads, every echo arrives
 * whole and in order. */
/* 24 MB of echoes: more than the kernel buffers of both sockets hold. */
enum { BACKLOG_N = 48, BACKLOG_SIZE = 500000 };

static void *send_backlog(void *arg)
{
    ws_client *c = arg;
    unsigned char *buf = malloc(BACKLOG_SIZE);
    intptr_t failed = 0;
    for (int i = 0; i < BACKLOG_N && !failed; i++) {
        memset(buf, i, BACKLOG_SIZE);
        failed = ws_send_binary(c, buf, BACKLOG_SIZE) != 0;
    }
    free(buf);
    return (void *)failed;
}

static void test_ws_backlog_of_a_client_that_does_not_read(void **state)
{
    ws_client slow, other;
    free(ws_open(&slow));
    pthread_t sender;
    assert_int_equal(pthread_create(&sender, NULL, send_backlog, &slow), 0);
    free(ws_open(&other));
    assert_int_equal(ws_send_text(&other, "4still answering"), 0);
    assert_true(ws_expect_text(&other, "4still answering", TMO));
    ws_disconnect(&other);
    for (int i = 0; i < BACKLOG_N; i++) {
        ws_msg m;
        assert_int_equal(ws_recv(&slow, &m, TMO), 1);
        assert_int_equal(m.opcode, WS_OP_BINARY);
        assert_int_equal(m.len, BACKLOG_SIZE);
        for (size_t k = 0; k < BACKLOG_SIZE; k++)
            if (m.data[k] != (unsigned char)i)
                fail_msg("echo %d: byte %zu is %d", i, k, m.data[k]);
        ws_msg_free(&m);
    }
    void *failed;
    assert_int_equal(pthread_join(sender, &failed), 0);
    assert_null(failed);
    assert_int_equal(ws_send_text(&slow, "4done"), 0);
    assert_true(ws_expect_text(&slow, "4done", TMO));
    ws_disconnect(&slow);
}

int main(void)
{
    const struct CMUnitTest main_tests[] = {
        cmocka_unit_test(test_ws_handshake),
        cmocka_unit_test(test_ws_text_echo),
        cmocka_unit_test(test_ws_binary_echo),
        cmocka_unit_test(test_ws_fragmented),
        cmocka_unit_test(test_ws_too_big),
        cmocka_unit_test(test_ws_invalid_packet_closes),
        cmocka_unit_test(test_ws_upgrade),
        cmocka_unit_test(test_ws_upgrade_abandoned),
        cmocka_unit_test(test_ws_refused),
        cmocka_unit_test(test_ws_garbage_after_upgrade),
        cmocka_unit_test(test_ws_huge_frame_header),
    };
    const struct CMUnitTest size_tests[] = {
        cmocka_unit_test(test_ws_sizes_in_one_burst),
        cmocka_unit_test(test_ws_backlog_of_a_client_that_does_not_read),
    };
    const struct CMUnitTest heartbeat_tests[] = {
        cmocka_unit_test(test_ws_heartbeat_answered),
        cmocka_unit_test(test_ws_heartbeat_unanswered),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("eio websocket", main_tests, setup_main, teardown);
    failed += cmocka_run_group_tests_name("eio websocket sizes", size_tests, setup_sizes, teardown);
    failed += cmocka_run_group_tests_name("eio websocket heartbeat", heartbeat_tests, setup_heartbeat,
                                          teardown);
    return failed ? 1 : 0;
}
