/* Integration tests of the server options that decide who may connect,
 * against build/eio-echo with real sockets: which transports are allowed
 * (--transports), upgrades (--no-upgrades), Engine.IO v3 (--no-eio3) and
 * origin patterns (--cors-origin "https://" "*.example.com"). The answers are
 * Node's (engine.io 6.6): an Engine.IO error body on polling; on a refused
 * upgrade, engine.io's 400 with the message as text/html, or, with
 * WebSocket switched off, the JSON error body (Node's HTTP server then
 * answers the upgrade request as any other request).
 *
 * One group per server:
 *   websocket only   --transports websocket
 *   polling only     --transports polling
 *   no upgrades      --no-upgrades
 *   no v3            --no-eio3
 *   origins          --cors-origin "https://" "*.example.com" --cors-origin http://app.example
 *   defaults         no flag: both transports, upgrades and v3
 *   origin filter    an eio_server with an origin_filter, run in this process */
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
#include <sys/wait.h>

#include "eio.h"
#include "support/harness.h"
#include "support/ws_client.h"

#define WS_PATH "/engine.io/?EIO=4&transport=websocket"
#define TMO 3000
#define TRANSPORT_UNKNOWN "{\"code\":0,\"message\":\"Transport unknown\"}"
#define UNSUPPORTED "{\"code\":5,\"message\":\"Unsupported protocol version\"}"

static test_server srv;

static int start(const char *const args[])
{
    return server_start(&srv, "eio-echo", args) == 0 ? 0 : -1;
}

static int setup_ws_only(void **state)
{
    static const char *const args[] = {"--transports", "websocket", NULL};
    return start(args);
}

static int setup_polling_only(void **state)
{
    static const char *const args[] = {"--transports", "polling", NULL};
    return start(args);
}

static int setup_no_upgrades(void **state)
{
    static const char *const args[] = {"--no-upgrades", NULL};
    return start(args);
}

static int setup_no_eio3(void **state)
{
    static const char *const args[] = {"--no-eio3", NULL};
    return start(args);
}

static int setup_origins(void **state)
{
    static const char *const args[] = {"--cors-origin", "https://*.example.com", "--cors-origin",
                                       "http://app.example", NULL};
    return start(args);
}

static int setup_defaults(void **state)
{
    return start(NULL);
}

static int teardown(void **state)
{
    return server_stop(&srv, 5000) == 0 ? 0 : -1;
}

/* --- helpers ------------------------------------------------------------------ */

/* A GET of the Engine.IO path with `query` and an optional Origin. */
static void get(const char *query, const char *origin, http_response *r)
{
    char *u = eio_url(&srv, query);
    char hdr[256];
    snprintf(hdr, sizeof(hdr), "Origin: %s", origin ? origin : "");
    const char *const headers[] = {hdr, NULL};
    memset(r, 0, sizeof(*r));
    CURL *h = curl_easy_init();
    assert_non_null(h);
    assert_int_equal(http_request_on(h, "GET", u, NULL, 0, origin ? headers : NULL, TMO, r), 0);
    curl_easy_cleanup(h);
    free(u);
}

static void expect_get_error(const char *query, long status, const char *body)
{
    http_response r;
    get(query, NULL, &r);
    if (r.status != status || strcmp(r.body, body) != 0)
        fail_msg("GET ?%s: %ld %s, want %ld %s", query, r.status, r.body, status, body);
    char *ct = http_header_get(r.headers, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, "application/json"));
    free(ct);
    http_response_free(&r);
}

/* An upgrade request refused before its handshake: status, body, and the
 * content type the body is said to be. */
static void expect_ws_refused(const char *path, const char *const headers[], int status, const char *ctype,
                              const char *body)
{
    ws_client c;
    int st = ws_connect(&c, srv.port, path, headers, TMO);
    if (st != status || !c.resp_body || strcmp(c.resp_body, body) != 0)
        fail_msg("upgrade %s: %d %s%s, want %d %s", path, st, c.resp_headers ? c.resp_headers : "",
                 c.resp_body ? c.resp_body : "", status, body);
    char *ct = http_header_get(c.resp_headers, "Content-Type");
    assert_non_null(ct);
    assert_non_null(strstr(ct, ctype));
    free(ct);
    char *conn = http_header_get(c.resp_headers, "Connection");
    assert_non_null(conn);
    assert_string_equal(conn, "close");
    free(conn);
    ws_disconnect(&c);
}

/* A WebSocket session; returns its open packet (malloc'd). */
static char *ws_open(ws_client *c, const char *path, const char *const headers[])
{
    int st = ws_connect(c, srv.port, path, headers, TMO);
    if (st != 101)
        fail_msg("websocket %s: %d\n%s", path, st, c->resp_headers ? c->resp_headers : "");
    ws_msg m;
    assert_int_equal(ws_recv(c, &m, TMO), 1);
    assert_int_equal(m.opcode, WS_OP_TEXT);
    assert_true(m.len > 2 && m.data[0] == '0' && m.data[1] == '{');
    return (char *)m.data;
}

static char *ws_sid_path(const char *sid)
{
    char *p = malloc(strlen(sid) + 64);
    sprintf(p, WS_PATH "&sid=%s", sid);
    return p;
}

/* A polling session still echoes: POST a message, GET it back. */
static void expect_polling_echo(const char *sid, const char *msg)
{
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, msg, strlen(msg), &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    assert_int_equal(eio_poll_get(&srv, sid, &r, TMO), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, msg);
    http_response_free(&r);
}

/* --- transports ------------------------------------------------------------------ */

/* WebSocket only: a polling handshake (v4 or v3), and a poll, are an
 * unknown transport; a WebSocket connects directly. */
static void test_websocket_only(void **state)
{
    expect_get_error("EIO=4&transport=polling", 400, TRANSPORT_UNKNOWN);
    expect_get_error("EIO=3&transport=polling", 400, TRANSPORT_UNKNOWN);
    expect_get_error("EIO=4&transport=polling&sid=nope", 400, TRANSPORT_UNKNOWN);
    ws_client c;
    char *open = ws_open(&c, WS_PATH, NULL);
    assert_non_null(strstr(open, "\"upgrades\":[]"));
    char *sid = json_str(open, "sid");
    assert_non_null(sid);
    /* Its sid on polling: still the transport first. */
    char q[128];
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", sid);
    expect_get_error(q, 400, TRANSPORT_UNKNOWN);
    assert_int_equal(ws_send_text(&c, "4hi"), 0);
    assert_true(ws_expect_text(&c, "4hi", TMO));
    free(sid);
    free(open);
    ws_disconnect(&c);
}

/* Polling only: the handshake offers no upgrade, and an upgrade request,
 * with or without a sid, gets the JSON "Transport unknown" (Node has no
 * upgrade handler then). The polling session is untouched. */
static void test_polling_only(void **state)
{
    char *open = NULL;
    char *sid = eio_open_polling(&srv, &open);
    assert_non_null(sid);
    assert_non_null(strstr(open, "\"upgrades\":[]"));
    expect_ws_refused(WS_PATH, NULL, 400, "application/json", TRANSPORT_UNKNOWN);
    expect_ws_refused("/engine.io/?EIO=3&transport=websocket", NULL, 400, "application/json", TRANSPORT_UNKNOWN);
    char *path = ws_sid_path(sid);
    expect_ws_refused(path, NULL, 400, "application/json", TRANSPORT_UNKNOWN);
    expect_polling_echo(sid, "4still polling");
    free(path);
    free(open);
    free(sid);
}

/* --- upgrades --------------------------------------------------------------------- */

/* No upgrades: none offered; a WebSocket for a polling session is accepted
 * and closed without answering the probe; the session goes on polling. A
 * WebSocket of its own still connects. */
static void test_no_upgrades(void **state)
{
    char *open = NULL;
    char *sid = eio_open_polling(&srv, &open);
    assert_non_null(sid);
    assert_non_null(strstr(open, "\"upgrades\":[]"));
    char *path = ws_sid_path(sid);
    ws_client c;
    int st = ws_connect(&c, srv.port, path, NULL, TMO);
    assert_int_equal(st, 101);
    ws_send_text(&c, "2probe"); /* may fail: the server closes it */
    ws_msg m;
    int got = ws_recv(&c, &m, TMO);
    if (got == 1) {
        fail_msg("the probe got an answer: %s", (const char *)m.data);
        ws_msg_free(&m);
    }
    assert_int_equal(got, -1);
    ws_disconnect(&c);
    expect_polling_echo(sid, "4no upgrade");
    free(path);
    free(open);
    free(sid);

    char *wopen = ws_open(&c, WS_PATH, NULL);
    assert_non_null(strstr(wopen, "\"upgrades\":[]"));
    free(wopen);
    ws_disconnect(&c);
}

/* --- Engine.IO v3 ------------------------------------------------------------------- */

static void test_no_eio3(void **state)
{
    expect_get_error("EIO=3&transport=polling", 400, UNSUPPORTED);
    expect_get_error("EIO=3&transport=polling&b64=1", 400, UNSUPPORTED);
    expect_ws_refused("/engine.io/?EIO=3&transport=websocket", NULL, 400, "text/html",
                      "Unsupported protocol version");
    /* v4 as usual. */
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    free(sid);
}

/* With the defaults a v3 client is served (the project's choice, for
 * socket.io-client 2.x frontends), and refused upgrades get engine.io's
 * text answer. */
static void test_defaults(void **state)
{
    http_response r;
    get("EIO=3&transport=polling", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"upgrades\":[\"websocket\"]"));
    http_response_free(&r);
    expect_ws_refused("/engine.io/?EIO=4&transport=websocket&sid=nope", NULL, 400, "text/html",
                      "Session ID unknown");
    expect_ws_refused("/engine.io/?EIO=4&transport=abc", NULL, 400, "text/html", "Transport unknown");
    expect_ws_refused("/engine.io/?EIO=5&transport=websocket", NULL, 400, "text/html",
                      "Unsupported protocol version");
}

/* --- origins -------------------------------------------------------------------------- */

static void expect_origin(const char *origin, bool allowed)
{
    http_response r;
    get("EIO=4&transport=polling", origin, &r);
    char *acao = http_header_get(r.headers, "Access-Control-Allow-Origin");
    if (allowed) {
        if (r.status != 200 || !acao || strcmp(acao, origin) != 0)
            fail_msg("Origin %s: %ld, Access-Control-Allow-Origin %s; want 200 and the origin", origin, r.status,
                     acao ? acao : "(none)");
    } else {
        if (r.status != 403 || strcmp(r.body, "{\"code\":4,\"message\":\"Forbidden\"}") != 0 || acao)
            fail_msg("Origin %s: %ld %s; want 403 Forbidden", origin, r.status, r.body);
    }
    free(acao);
    http_response_free(&r);

    char hdr[256];
    snprintf(hdr, sizeof(hdr), "Origin: %s", origin);
    const char *const headers[] = {hdr, NULL};
    if (allowed) {
        ws_client c;
        free(ws_open(&c, WS_PATH, headers));
        ws_disconnect(&c);
    } else {
        expect_ws_refused(WS_PATH, headers, 400, "text/html", "Forbidden");
    }
}

static void test_origin_patterns(void **state)
{
    expect_origin("https://a.example.com", true);
    expect_origin("https://chat-2.example.com", true);
    expect_origin("http://app.example", true);
    expect_origin("https://a.b.example.com", false);
    expect_origin("https://example.com", false);
    expect_origin("https://example.com.evil.net", false);
    expect_origin("https://a.example.com.evil.net", false);
    expect_origin("http://a.example.com", false);
    expect_origin("https://a.example.com:8443", false);
    expect_origin("https://evil.example", false);
    /* A preflight for an allowed origin, and for another. */
    char *u = eio_url(&srv, "EIO=4&transport=polling");
    const char *const ok[] = {"Origin: https://a.example.com", "Access-Control-Request-Method: POST", NULL};
    long status = 0;
    char *hdrs = NULL;
    assert_int_equal(http_request("OPTIONS", u, NULL, 0, ok, &status, NULL, &hdrs), 0);
    assert_int_equal(status, 204);
    char *acao = http_header_get(hdrs, "Access-Control-Allow-Origin");
    assert_non_null(acao);
    assert_string_equal(acao, "https://a.example.com");
    free(acao);
    free(hdrs);
    const char *const bad[] = {"Origin: https://example.com.evil.net", "Access-Control-Request-Method: POST",
                               NULL};
    assert_int_equal(http_request("OPTIONS", u, NULL, 0, bad, &status, NULL, NULL), 0);
    assert_int_equal(status, 403);
    free(u);
}

/* --- the origin filter, in process --------------------------------------------------- */

/* The application's filter (eio_server_options.origin_filter) on a server
 * run in this process: asked, on the loop thread, about the origins the
 * list does not allow; what it allows is answered with that origin. */
static atomic_int filter_calls;

static bool tenant_filter(const char *origin, void *user)
{
    atomic_fetch_add(&filter_calls, 1);
    return user == &filter_calls && strcmp(origin, "https://tenant.example") == 0;
}

static void *run_loop(void *server)
{
    eio_server_run(server);
    return NULL;
}

static void test_origin_filter(void **state)
{
    static const char *const list[] = {"https://*.example.com"};
    eio_server_options o;
    eio_server_options_init(&o);
    o.bind_addr = "127.0.0.1";
    o.port = 0;
    o.cors_origins = list;
    o.n_cors_origins = 1;
    o.origin_filter = tenant_filter;
    o.origin_user = &filter_calls;
    eio_server_callbacks cb = {0};
    eio_server *es = eio_server_new(&o, &cb, NULL);
    assert_non_null(es);
    pthread_t loop;
    assert_int_equal(pthread_create(&loop, NULL, run_loop, es), 0);
    char url[128];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d/engine.io/?EIO=4&transport=polling", eio_server_port(es));
    static const struct {
        const char *origin;
        long status;
        int calls; /* the filter's calls so far */
    } cases[] = {
        {"https://tenant.example", 200, 1},
        {"https://other.example", 403, 2},
        {"https://a.example.com", 200, 2}, /* the list decides: the filter is not asked */
        {NULL, 200, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char hdr[128];
        snprintf(hdr, sizeof(hdr), "Origin: %s", cases[i].origin ? cases[i].origin : "");
        const char *const headers[] = {hdr, NULL};
        long status = 0;
        char *hdrs = NULL;
        assert_int_equal(http_request("GET", url, NULL, 0, cases[i].origin ? headers : NULL, &status, NULL, &hdrs),
                         0);
        if (status != cases[i].status || atomic_load(&filter_calls) != cases[i].calls)
            fail_msg("Origin %s: %ld after %d filter calls; want %ld after %d",
                     cases[i].origin ? cases[i].origin : "(none)", status, atomic_load(&filter_calls),
                     cases[i].status, cases[i].calls);
        char *acao = http_header_get(hdrs, "Access-Control-Allow-Origin");
        if (status == 200 && cases[i].origin) {
            assert_non_null(acao);
            assert_string_equal(acao, cases[i].origin);
        } else {
            assert_null(acao);
        }
        free(acao);
        free(hdrs);
    }
    eio_server_stop(es);
    assert_int_equal(pthread_join(loop, NULL), 0);
    eio_server_free(es);
}

/* --- flags ---------------------------------------------------------------------------- */

/* Bad values end the program with status 2 before it listens. */
static void test_bad_flags(void **state)
{
    static const char *const bad[][3] = {
        {"--transports", "", NULL},
        {"--transports", "polling,", NULL},
        {"--transports", "xhr", NULL},
        {"--transports", "websocket,webtransport", NULL},
        {"--cors-origin", "https://a.*.example.com", NULL},
        {"--cors-origin", "*.example.com", NULL},
        {"--cors-origin", "https://*example.com", NULL},
        {"--cors-origin", "https://*.example.com/", NULL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        test_server t;
        if (server_start(&t, "eio-echo", bad[i]) == 0) {
            server_stop(&t, 5000);
            fail_msg("eio-echo %s '%s' started", bad[i][0], bad[i][1]);
        }
        /* server_start reaped it (and printed what it said). */
        if (!t.exited || !WIFEXITED(t.status) || WEXITSTATUS(t.status) != 2)
            fail_msg("eio-echo %s '%s': not exit status 2", bad[i][0], bad[i][1]);
    }
}

int main(void)
{
    const struct CMUnitTest ws_only[] = {cmocka_unit_test(test_websocket_only)};
    const struct CMUnitTest polling_only[] = {cmocka_unit_test(test_polling_only)};
    const struct CMUnitTest no_upgrades[] = {cmocka_unit_test(test_no_upgrades)};
    const struct CMUnitTest no_eio3[] = {cmocka_unit_test(test_no_eio3)};
    const struct CMUnitTest origins[] = {cmocka_unit_test(test_origin_patterns)};
    const struct CMUnitTest defaults[] = {cmocka_unit_test(test_defaults), cmocka_unit_test(test_bad_flags)};
    const struct CMUnitTest in_process[] = {cmocka_unit_test(test_origin_filter)};
    int failed = 0;
    failed += cmocka_run_group_tests_name("options: websocket only", ws_only, setup_ws_only, teardown);
    failed += cmocka_run_group_tests_name("options: polling only", polling_only, setup_polling_only, teardown);
    failed += cmocka_run_group_tests_name("options: no upgrades", no_upgrades, setup_no_upgrades, teardown);
    failed += cmocka_run_group_tests_name("options: no v3", no_eio3, setup_no_eio3, teardown);
    failed += cmocka_run_group_tests_name("options: origins", origins, setup_origins, teardown);
    failed += cmocka_run_group_tests_name("options: defaults", defaults, setup_defaults, teardown);
    failed += cmocka_run_group_tests_name("options: origin filter", in_process, NULL, NULL);
    return failed ? 1 : 0;
}
