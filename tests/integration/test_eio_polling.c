/* Integration tests of Engine.IO v4 HTTP long-polling against build/eio-echo
 * over real sockets: handshake, echo, held polls, every error answer, CORS,
 * close, keep-alive and heartbeat.
 *
 * Three groups, each with its own server:
 *   main       --cors-origin http://allowed.example --max-payload 10000
 *   long hold  --ping-interval 12000 --ping-timeout 5000
 *   heartbeat  --ping-interval 300 --ping-timeout 200 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/harness.h"

#define MAX_PAYLOAD 10000
#define ALLOWED_ORIGIN "http://allowed.example"

static test_server srv;

static int start_with(const char *const args[])
{
    return server_start(&srv, "eio-echo", args) == 0 ? 0 : -1;
}

static int setup_main(void **state)
{
    static const char *const args[] = {"--path", "/engine.io/", "--cors-origin", ALLOWED_ORIGIN,
                                       "--max-payload", "10000", NULL};
    return start_with(args);
}

static int setup_long_hold(void **state)
{
    static const char *const args[] = {"--ping-interval", "12000", "--ping-timeout", "5000", NULL};
    return start_with(args);
}

static int setup_heartbeat(void **state)
{
    static const char *const args[] = {"--ping-interval", "300", "--ping-timeout", "200", NULL};
    return start_with(args);
}

static int teardown(void **state)
{
    return server_stop(&srv, 5000) == 0 ? 0 : -1;
}

/* --- helpers ------------------------------------------------------------------ */

static char *url_of(const char *query) { return eio_url(&srv, query); }

static char *sid_query(const char *sid)
{
    char *q = malloc(strlen(sid) + 64);
    sprintf(q, "EIO=4&transport=polling&sid=%s", sid);
    return q;
}

static char *sid_url(const char *sid)
{
    char *q = sid_query(sid);
    char *u = url_of(q);
    free(q);
    return u;
}

/* A request on a fresh connection. */
static void req(const char *method, const char *url, const void *body, size_t len,
                const char *const headers[], http_response *r)
{
    CURL *h = curl_easy_init();
    assert_non_null(h);
    int rc = http_request_on(h, method, url, body, len, headers, 0, r);
    curl_easy_cleanup(h);
    if (rc != 0)
        fprintf(stderr, "%s %s: curl error %d (%s)\n", method, url, rc, curl_easy_strerror(rc));
    assert_int_equal(rc, 0);
}

/* Status 400/403 with exactly Node's JSON body. */
static void assert_error(const http_response *r, long status, int code, const char *message)
{
    char want[160];
    snprintf(want, sizeof(want), "{\"code\":%d,\"message\":\"%s\"}", code, message);
    if (r->status != status || strcmp(r->body, want) != 0)
        fprintf(stderr, "wanted %ld %s, got %ld %s\n", status, want, r->status, r->body);
    assert_int_equal(r->status, status);
    assert_string_equal(r->body, want);
    char *ct = http_header_get(r->headers, "Content-Type");
    assert_non_null(ct);
    assert_true(strncmp(ct, "application/json", 16) == 0);
    free(ct);
}

static void get_expect_error(const char *query, const char *const headers[], long status, int code,
                             const char *message)
{
    char *u = url_of(query);
    http_response r;
    req("GET", u, NULL, 0, headers, &r);
    assert_error(&r, status, code, message);
    http_response_free(&r);
    free(u);
}

static char *open_session(void)
{
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    return sid;
}

static void post_ok(const char *sid, const void *body, size_t len)
{
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, body, len, &r), 0);
    if (r.status != 200)
        fprintf(stderr, "POST %.*s: %ld %s\n", (int)len, (const char *)body, r.status, r.body);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    http_response_free(&r);
}

static void get_expect(const char *sid, const char *want, size_t want_len)
{
    http_response r;
    assert_int_equal(eio_poll_get(&srv, sid, &r, 5000), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.len, want_len);
    assert_memory_equal(r.body, want, want_len);
    http_response_free(&r);
}

/* The session is gone: a GET is answered 400 "Session ID unknown" (at once,
 * not held). */
static void assert_session_gone(const char *sid)
{
    http_response r;
    int rc = eio_poll_get(&srv, sid, &r, 2000);
    if (rc != 0)
        fprintf(stderr, "GET on a closed session: curl error %d (%s; a held GET means the session "
                        "is still open)\n", rc, curl_easy_strerror(rc));
    assert_int_equal(rc, 0);
    assert_error(&r, 400, 1, "Session ID unknown");
    http_response_free(&r);
}

/* Lists the top-level keys of a flat JSON object whose values are strings,
 * numbers or arrays of strings, in order, separated by ','. */
static void object_keys(const char *j, char *out, size_t cap)
{
    out[0] = 0;
    assert_true(*j == '{');
    j++;
    while (*j && *j != '}') {
        assert_true(*j == '"');
        const char *k = ++j;
        while (*j && *j != '"')
            j++;
        if (out[0])
            strncat(out, ",", cap - strlen(out) - 1);
        strncat(out, k, (size_t)(j - k) < cap - strlen(out) - 1 ? (size_t)(j - k) : cap - strlen(out) - 1);
        j++;
        assert_true(*j == ':');
        j++;
        if (*j == '"') {
            j = strchr(j + 1, '"');
            assert_non_null(j);
            j++;
        } else if (*j == '[') {
            j = strchr(j, ']');
            assert_non_null(j);
            j++;
        } else {
            while (*j && *j != ',' && *j != '}')
                j++;
        }
        if (*j == ',')
            j++;
    }
    assert_true(*j == '}');
    assert_true(j[1] == 0);
}

/* --- handshake and echo ------------------------------------------------------- */

static void test_handshake(void **state)
{
    char *u = url_of("EIO=4&transport=polling");
    http_response r;
    req("GET", u, NULL, 0, NULL, &r);
    free(u);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "0{", 2) == 0);
    char keys[256];
    object_keys(r.body + 1, keys, sizeof(keys));
    assert_string_equal(keys, "sid,upgrades,pingInterval,pingTimeout,maxPayload");
    char *sid = json_str(r.body, "sid");
    assert_non_null(sid);
    assert_true(strlen(sid) >= 10);
    assert_non_null(strstr(r.body, "\"upgrades\":[\"websocket\"]"));
    assert_int_equal(json_long(r.body, "pingInterval", -1), 25000);
    assert_int_equal(json_long(r.body, "pingTimeout", -1), 20000);
    assert_int_equal(json_long(r.body, "maxPayload", -1), MAX_PAYLOAD);
    char *ct = http_header_get(r.headers, "Content-Type");
    assert_non_null(ct);
    assert_true(strncmp(ct, "text/plain", 10) == 0);
    free(ct);
    /* Two handshakes, two sessions. */
    char *sid2 = open_session();
    assert_string_not_equal(sid, sid2);
    free(sid);
    free(sid2);
    http_response_free(&r);
}

static void test_post_then_get(void **state)
{
    char *sid = open_session();
    post_ok(sid, "4hello", 6);
    get_expect(sid, "4hello", 6);
    free(sid);
}

static void test_several_packets_and_binary(void **state)
{
    char *sid = open_session();
    static const char many[] = "4a\x1e" "4bc\x1e" "4\xc3\xa9t\xc3\xa9";
    post_ok(sid, many, sizeof(many) - 1);
    get_expect(sid, many, sizeof(many) - 1);

    static const char bin[] = "4hello\x1e" "bAQIDBA==";
    post_ok(sid, bin, sizeof(bin) - 1);
    get_expect(sid, bin, sizeof(bin) - 1);

    /* Two POSTs before one GET: both echoes come in one payload. */
    post_ok(sid, "4one", 4);
    post_ok(sid, "bAA==", 5);
    get_expect(sid, "4one\x1e" "bAA==", 10);
    free(sid);
}

/* An empty binary message: "b" and nothing to decode (v4), "2:b4" (v3).
 * Its empty base64 once reached pointer arithmetic on NULL (clang's UBSan
 * aborted the server). */
static void test_empty_binary_message(void **state)
{
    char *sid = open_session();
    post_ok(sid, "b", 1);
    get_expect(sid, "b", 1);
    free(sid);

    char *body = NULL;
    char *u = url_of("EIO=3&transport=polling&b64=1");
    long status = 0;
    assert_int_equal(http_request("GET", u, NULL, 0, NULL, &status, &body, NULL), 0);
    assert_int_equal(status, 200);
    char *v3 = json_str(strchr(body, '{'), "sid");
    assert_non_null(v3);
    free(body);
    free(u);
    char q[128];
    snprintf(q, sizeof(q), "EIO=3&transport=polling&b64=1&sid=%s", v3);
    u = url_of(q);
    http_response r;
    req("POST", u, "2:b4", 4, NULL, &r);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    req("GET", u, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "2:b4"); /* the echo, base64 as asked */
    http_response_free(&r);
    free(u);
    free(v3);
}

static void test_held_get_answered_by_post(void **state)
{
    char *sid = open_session();
    char *u = sid_url(sid);
    async_req a;
    assert_int_equal(held_get_start(&a, u, 10000), 0);
    assert_false(async_wait(&a, 200)); /* nothing to send: held */
    post_ok(sid, "4late", 5);
    assert_true(async_wait(&a, 3000));
    assert_int_equal(a.result, CURLE_OK);
    assert_int_equal(a.status, 200);
    assert_string_equal(async_body(&a), "4late");
    async_free(&a);
    free(u);
    free(sid);
}

/* --- errors ------------------------------------------------------------------- */

static void test_error_protocol_version(void **state)
{
    get_expect_error("transport=polling", NULL, 400, 5, "Unsupported protocol version");
    get_expect_error("EIO=abc&transport=polling", NULL, 400, 5, "Unsupported protocol version");
    get_expect_error("EIO=&transport=polling", NULL, 400, 5, "Unsupported protocol version");
    get_expect_error("EIO=5&transport=polling", NULL, 400, 5, "Unsupported protocol version");
}

static void test_error_transport(void **state)
{
    get_expect_error("EIO=4", NULL, 400, 0, "Transport unknown");
    get_expect_error("EIO=4&transport=abc", NULL, 400, 0, "Transport unknown");
    get_expect_error("EIO=4&transport=__proto__", NULL, 400, 0, "Transport unknown");
    get_expect_error("EIO=4&transport=constructor", NULL, 400, 0, "Transport unknown");
    get_expect_error("", NULL, 400, 0, "Transport unknown");
}

static void test_error_handshake_method(void **state)
{
    char *u = url_of("EIO=4&transport=polling");
    http_response r;
    req("POST", u, "4hello", 6, NULL, &r);
    assert_error(&r, 400, 2, "Bad handshake method");
    http_response_free(&r);
    req("POST", u, NULL, 0, NULL, &r);
    assert_error(&r, 400, 2, "Bad handshake method");
    http_response_free(&r);
    req("PUT", u, "4hello", 6, NULL, &r);
    assert_error(&r, 400, 2, "Bad handshake method");
    http_response_free(&r);
    free(u);
}

static void test_error_unknown_sid(void **state)
{
    get_expect_error("EIO=4&transport=polling&sid=nope", NULL, 400, 1, "Session ID unknown");
    get_expect_error("EIO=4&transport=polling&sid=", NULL, 400, 1, "Session ID unknown");
    char *u = url_of("EIO=4&transport=polling&sid=nope");
    http_response r;
    req("POST", u, "4hello", 6, NULL, &r);
    assert_error(&r, 400, 1, "Session ID unknown");
    http_response_free(&r);
    free(u);
}

static void test_invalid_packet_closes_session(void **state)
{
    char *sid = open_session();
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, "abc", 3, &r), 0);
    if (r.status != 400)
        fprintf(stderr, "POST \"abc\": %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.body, "\"code\":"));
    http_response_free(&r);
    assert_session_gone(sid);
    free(sid);

    /* A packet type out of range, and an empty packet inside a payload. */
    sid = open_session();
    assert_int_equal(eio_poll_post(&srv, sid, "4a\x1e\x1e" "4b", 6, &r), 0);
    assert_int_equal(r.status, 400);
    http_response_free(&r);
    assert_session_gone(sid);
    free(sid);
}

static void test_duplicate_get(void **state)
{
    char *sid = open_session();
    char *u = sid_url(sid);
    async_req first;
    assert_int_equal(held_get_start(&first, u, 10000), 0);
    assert_false(async_wait(&first, 200));
    http_response r;
    assert_int_equal(eio_poll_get(&srv, sid, &r, 3000), 0);
    if (r.status != 400)
        fprintf(stderr, "second GET: %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 400);
    http_response_free(&r);
    assert_true(async_wait(&first, 3000));
    assert_int_equal(first.result, CURLE_OK);
    assert_int_equal(first.status, 200);
    assert_string_equal(async_body(&first), "1");
    async_free(&first);
    assert_session_gone(sid);
    free(u);
    free(sid);
}

/* Bytes that arrive on a connection while its poll is held (junk, a
 * pipelined request) end the poll and the session: the server does not keep
 * waking up for bytes it cannot read in the middle of a request. */
static void test_bytes_behind_held_poll_end_session(void **state)
{
    char *sid = open_session();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    char req[256];
    int n = snprintf(req, sizeof(req),
                     "GET /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", sid);
    assert_int_equal(write(fd, req, (size_t)n), n);
    /* The poll is held: nothing comes back (a bounded check of a non-event). */
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    assert_int_equal(poll(&pfd, 1, 300), 0);
    assert_int_equal(write(fd, "X", 1), 1);
    /* The server closes the connection: read until EOF, with a deadline. */
    int64_t t0 = now_ms();
    bool closed = false;
    while (!closed && now_ms() - t0 < 3000) {
        if (poll(&pfd, 1, 100) > 0) {
            char buf[512];
            closed = read(fd, buf, sizeof(buf)) <= 0;
        }
    }
    close(fd);
    assert_true(closed);
    assert_session_gone(sid);
    free(sid);
}

static void test_aborted_get_ends_session(void **state)
{
    char *sid = open_session();
    char *u = sid_url(sid);
    async_req a;
    assert_int_equal(held_get_start(&a, u, 10000), 0);
    assert_false(async_wait(&a, 200));
    async_free(&a); /* the client goes away with the poll held */
    /* The server notices the closed connection and ends the session. Probe
     * with a noop POST, which leaves a live session as it is (a GET would be
     * a second GET and end the session by itself), until a deadline. */
    int64_t t0 = now_ms(), gone_at = -1;
    long last_status = 0;
    char last_body[128] = "";
    while (now_ms() - t0 < 2000) {
        http_response r;
        assert_int_equal(eio_poll_post(&srv, sid, "6", 1, &r), 0);
        last_status = r.status;
        snprintf(last_body, sizeof(last_body), "%s", r.body);
        if (r.status == 400) {
            assert_error(&r, 400, 1, "Session ID unknown");
            gone_at = now_ms() - t0;
            http_response_free(&r);
            break;
        }
        http_response_free(&r);
        poll(NULL, 0, 20); /* inside a deadline loop: check again shortly */
    }
    if (gone_at < 0)
        fprintf(stderr, "session still open 2 s after its held GET was aborted (noop POST: %ld %s)\n",
                last_status, last_body);
    assert_true(gone_at >= 0);
    assert_session_gone(sid);
    free(u);
    free(sid);
}

static void test_octet_stream_post(void **state)
{
    char *sid = open_session();
    char *u = sid_url(sid);
    static const char *const ct[] = {"Content-Type: application/octet-stream", NULL};
    http_response r;
    req("POST", u, "4hello", 6, ct, &r);
    if (r.status != 400)
        fprintf(stderr, "octet-stream POST: %ld %s\n", r.status, r.body);
    assert_int_equal(r.status, 400);
    http_response_free(&r);
    /* Node closes the session ("invalid content"). */
    assert_session_gone(sid);
    free(u);
    free(sid);
}

static void test_post_too_large(void **state)
{
    char *sid = open_session();
    char *u = sid_url(sid);
    size_t n = MAX_PAYLOAD * 2;
    char *big = malloc(n);
    memset(big, 'a', n);
    big[0] = '4';
    http_response r;
    req("POST", u, big, n, NULL, &r);
    if (r.status != 413)
        fprintf(stderr, "POST of %zu bytes: %ld %s\n", n, r.status, r.body);
    assert_int_equal(r.status, 413);
    http_response_free(&r);

    /* Exactly at the limit is fine. */
    char *sid3 = open_session();
    post_ok(sid3, big, MAX_PAYLOAD);
    http_response g;
    assert_int_equal(eio_poll_get(&srv, sid3, &g, 5000), 0);
    assert_int_equal(g.status, 200);
    assert_int_equal(g.len, MAX_PAYLOAD);
    http_response_free(&g);

    /* The server is fine afterwards. */
    char *sid4 = open_session();
    free(sid4);
    free(sid3);
    free(big);
    free(u);
    free(sid);
}

/* A chunked body (Node's http.request without a length sends one) is
 * decoded; lws would take what follows for more of it, so the answer says
 * Connection: close. */
static void test_chunked_post(void **state)
{
    static const char *const chunked[] = {"Transfer-Encoding: chunked",
                                          "Content-Type: text/plain;charset=UTF-8", NULL};
    char *sid = open_session();
    char *u = sid_url(sid);
    http_response r;
    req("POST", u, "4hello", 6, chunked, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    http_response_free(&r);
    get_expect(sid, "4hello", 6);
    /* And with a length, on the same session. */
    req("POST", u, "4again", 6, NULL, &r);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    get_expect(sid, "4again", 6);
    free(u);
    free(sid);
}

/* A chunked body over maxPayload: 413 once the decoded size passes it. */
static void test_chunked_post_too_large(void **state)
{
    static const char *const chunked[] = {"Transfer-Encoding: chunked", NULL};
    char *sid = open_session();
    char *u = sid_url(sid);
    size_t n = MAX_PAYLOAD * 2;
    char *big = malloc(n);
    memset(big, 'a', n);
    big[0] = '4';
    http_response r;
    req("POST", u, big, n, chunked, &r);
    assert_int_equal(r.status, 413);
    http_response_free(&r);
    free(big);
    free(u);
    free(sid);
}

/* JSONP polling (the j parameter, Engine.IO v3): the poll is a script calling
 * ___eio[j], the POST is form-encoded with the payload in d. */
static void test_jsonp_round_trip(void **state)
{
    char *u = url_of("EIO=3&transport=polling&j=5");
    http_response r;
    req("GET", u, NULL, 0, NULL, &r);
    free(u);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.headers, "text/javascript"));
    assert_true(strncmp(r.body, "___eio[5](\"", 11) == 0);
    /* The open packet's JSON sits inside a JavaScript string: quotes are escaped. */
    const char *k = strstr(r.body, "sid\\\":\\\"");
    assert_non_null(k);
    k += 8; /* past sid\":\" */
    char *sid = strndup(k, (size_t)(strchr(k, '\\') - k));
    http_response_free(&r);
    char q[160];
    snprintf(q, sizeof(q), "EIO=3&transport=polling&j=5&sid=%s", sid);
    u = url_of(q);
    static const char *const form[] = {"Content-Type: application/x-www-form-urlencoded", NULL};
    const char *body = "d=9%3A4hi%5Cnthere";
    req("POST", u, body, strlen(body), form, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok");
    http_response_free(&r);
    req("GET", u, NULL, 0, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "___eio[5](\"9:4hi\\nthere\");");
    http_response_free(&r);
    free(u);
    free(sid);
}

/* --- CORS ---------------------------------------------------------------------- */

static void test_cors_refused_origin(void **state)
{
    static const char *const evil[] = {"Origin: http://evil.example", NULL};
    get_expect_error("EIO=4&transport=polling", evil, 403, 4, "Forbidden");
    /* A session request from a refused origin too. */
    char *sid = open_session();
    char *q = sid_query(sid);
    get_expect_error(q, evil, 403, 4, "Forbidden");
    free(q);
    free(sid);
}

/* Same-origin requests: the server itself, not a name that resolves to it. */
static void test_cors_same_origin(void **state)
{
    char self_origin[64], self_host[64], evil_origin[64], evil_host[64];
    snprintf(self_origin, sizeof(self_origin), "Origin: http://127.0.0.1:%d", srv.port);
    snprintf(self_host, sizeof(self_host), "Host: 127.0.0.1:%d", srv.port);
    snprintf(evil_origin, sizeof(evil_origin), "Origin: http://rebound.example:%d", srv.port);
    snprintf(evil_host, sizeof(evil_host), "Host: rebound.example:%d", srv.port);
    const char *const self[] = {self_origin, self_host, NULL};
    char *u = url_of("EIO=4&transport=polling");
    http_response r;
    req("GET", u, NULL, 0, self, &r);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    free(u);
    /* A DNS-rebinding page: Host matches Origin, but the name is not ours. */
    const char *const evil[] = {evil_origin, evil_host, NULL};
    get_expect_error("EIO=4&transport=polling", evil, 403, 4, "Forbidden");
}

static void test_cors_allowed_origin(void **state)
{
    static const char *const ok[] = {"Origin: " ALLOWED_ORIGIN, NULL};
    char *u = url_of("EIO=4&transport=polling");
    http_response r;
    req("GET", u, NULL, 0, ok, &r);
    assert_int_equal(r.status, 200);
    assert_true(strncmp(r.body, "0{", 2) == 0);
    char *acao = http_header_get(r.headers, "Access-Control-Allow-Origin");
    assert_non_null(acao);
    assert_string_equal(acao, ALLOWED_ORIGIN);
    free(acao);
    http_response_free(&r);
    free(u);

    /* An Engine.IO v3 client gets the same answer: no credentials unless the
     * server allows them. */
    u = url_of("EIO=3&transport=polling");
    req("GET", u, NULL, 0, ok, &r);
    assert_int_equal(r.status, 200);
    acao = http_header_get(r.headers, "Access-Control-Allow-Origin");
    assert_non_null(acao);
    assert_string_equal(acao, ALLOWED_ORIGIN);
    free(acao);
    char *acac = http_header_get(r.headers, "Access-Control-Allow-Credentials");
    if (acac)
        fail_msg("v3 answer with Access-Control-Allow-Credentials: %s", acac);
    http_response_free(&r);
    free(u);
}

static void test_cors_preflight(void **state)
{
    static const char *const pre[] = {"Origin: " ALLOWED_ORIGIN, "Access-Control-Request-Method: POST",
                                      "Access-Control-Request-Headers: content-type", NULL};
    char *u = url_of("EIO=4&transport=polling");
    http_response r;
    req("OPTIONS", u, NULL, 0, pre, &r);
    assert_int_equal(r.status, 204);
    char *acao = http_header_get(r.headers, "Access-Control-Allow-Origin");
    char *methods = http_header_get(r.headers, "Access-Control-Allow-Methods");
    char *hdrs = http_header_get(r.headers, "Access-Control-Allow-Headers");
    if (!acao || !methods || !hdrs)
        fprintf(stderr, "preflight headers:\n%s", r.headers);
    assert_non_null(acao);
    assert_string_equal(acao, ALLOWED_ORIGIN);
    assert_non_null(methods);
    assert_non_null(strstr(methods, "POST"));
    assert_non_null(strstr(methods, "GET"));
    assert_non_null(hdrs);
    assert_non_null(strcasestr(hdrs, "content-type"));
    free(acao);
    free(methods);
    free(hdrs);
    http_response_free(&r);

    /* A preflight from a refused origin is not allowed. */
    static const char *const evil[] = {"Origin: http://evil.example", "Access-Control-Request-Method: POST",
                                       NULL};
    req("OPTIONS", u, NULL, 0, evil, &r);
    acao = http_header_get(r.headers, "Access-Control-Allow-Origin");
    if (acao)
        fprintf(stderr, "refused preflight answered %ld with ACAO %s\n", r.status, acao);
    assert_null(acao);
    assert_true(r.status == 403 || r.status == 400);
    http_response_free(&r);
    free(u);
}

/* --- close ---------------------------------------------------------------------- */

static void test_close_while_get_held(void **state)
{
    char *sid = open_session();
    char *u = sid_url(sid);
    async_req a;
    assert_int_equal(held_get_start(&a, u, 10000), 0);
    assert_false(async_wait(&a, 200));
    post_ok(sid, "1", 1);
    assert_true(async_wait(&a, 3000));
    assert_int_equal(a.result, CURLE_OK);
    assert_int_equal(a.status, 200);
    assert_string_equal(async_body(&a), "6");
    async_free(&a);
    assert_session_gone(sid);
    http_response r;
    assert_int_equal(eio_poll_post(&srv, sid, "4x", 2, &r), 0);
    assert_error(&r, 400, 1, "Session ID unknown");
    http_response_free(&r);
    free(u);
    free(sid);
}

static void test_close_without_get(void **state)
{
    char *sid = open_session();
    post_ok(sid, "1", 1);
    assert_session_gone(sid);
    free(sid);
}

/* --- keep-alive ------------------------------------------------------------------ */

static void test_keep_alive(void **state)
{
    CURL *h = curl_easy_init();
    http_response r;
    char *u = url_of("EIO=4&transport=polling");
    assert_int_equal(http_request_on(h, "GET", u, NULL, 0, NULL, 0, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.connects, 1);
    char *sid = json_str(r.body, "sid");
    assert_non_null(sid);
    http_response_free(&r);
    char *su = sid_url(sid);
    static const char *const ct[] = {"Content-Type: text/plain;charset=UTF-8", NULL};
    for (int i = 0; i < 5; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof(msg), "4msg%d", i);
        assert_int_equal(http_request_on(h, "POST", su, msg, (size_t)n, ct, 0, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "ok");
        assert_int_equal(r.connects, 0); /* the same TCP connection */
        http_response_free(&r);
        assert_int_equal(http_request_on(h, "GET", su, NULL, 0, NULL, 0, &r), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, msg);
        assert_int_equal(r.connects, 0);
        http_response_free(&r);
    }
    /* An error answer keeps the connection usable too. */
    char *bad = url_of("EIO=4&transport=polling&sid=nope");
    assert_int_equal(http_request_on(h, "GET", bad, NULL, 0, NULL, 0, &r), 0);
    assert_error(&r, 400, 1, "Session ID unknown");
    http_response_free(&r);
    assert_int_equal(http_request_on(h, "POST", su, "4again", 6, ct, 0, &r), 0);
    assert_int_equal(r.status, 200);
    http_response_free(&r);
    assert_int_equal(http_request_on(h, "GET", su, NULL, 0, NULL, 0, &r), 0);
    assert_string_equal(r.body, "4again");
    http_response_free(&r);
    curl_easy_cleanup(h);
    free(bad);
    free(su);
    free(sid);
    free(u);
}

/* --- long hold (ping interval 12 s) -------------------------------------------- */

static void test_get_held_past_lws_timeout(void **state)
{
    char *body = NULL;
    char *sid = eio_open_polling(&srv, &body);
    int64_t t0 = now_ms();
    assert_non_null(sid);
    assert_int_equal(json_long(body, "pingInterval", -1), 12000);
    assert_int_equal(json_long(body, "pingTimeout", -1), 5000);
    http_response r;
    int rc = eio_poll_get(&srv, sid, &r, 20000);
    int64_t took = now_ms() - t0;
    fprintf(stderr, "held GET answered after %lld ms: %ld \"%s\" (curl %d)\n", (long long)took,
            r.status, r.body, rc);
    assert_int_equal(rc, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "2");
    assert_true(took >= 11000);
    assert_true(took <= 12000 + 2000 * timing_slack());
    http_response_free(&r);
    post_ok(sid, "3", 1);
    /* Still alive: it echoes. */
    post_ok(sid, "4still", 6);
    get_expect(sid, "4still", 6);
    post_ok(sid, "1", 1);
    free(body);
    free(sid);
}

/* --- heartbeat (300 ms + 200 ms) -------------------------------------------------- */

static void test_polling_ping_timeout(void **state)
{
    int64_t t0 = now_ms();
    char *sid = open_session();
    /* Alive at ~300 ms: the held GET gets the ping. */
    http_response r;
    assert_int_equal(eio_poll_get(&srv, sid, &r, 2000), 0);
    int64_t t_ping = now_ms() - t0;
    fprintf(stderr, "ping after %lld ms: %ld \"%s\"\n", (long long)t_ping, r.status, r.body);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "2");
    assert_true(t_ping >= 250 && t_ping < 300 + 200 * timing_slack());
    http_response_free(&r);

    /* Never answered: gone soon after 500 ms, surely by 1000 ms (later
     * under a sanitizer). */
    int64_t deadline = t0 + 500 + 500 * timing_slack();
    int64_t gone_at = -1;
    while (now_ms() < deadline) {
        int left = (int)(deadline - now_ms());
        int rc = eio_poll_get(&srv, sid, &r, left > 0 ? left : 1);
        if (rc == 0 && r.status == 400) {
            assert_error(&r, 400, 1, "Session ID unknown");
            gone_at = now_ms() - t0;
            http_response_free(&r);
            break;
        }
        if (rc == 0)
            fprintf(stderr, "GET at %lld ms: %ld \"%s\"\n", (long long)(now_ms() - t0), r.status, r.body);
        http_response_free(&r);
    }
    fprintf(stderr, "session gone (400) at %lld ms\n", (long long)gone_at);
    assert_true(gone_at >= 450);
    assert_true(gone_at <= 500 + 500 * timing_slack());
    free(sid);
}

static void test_polling_pong_keeps_alive(void **state)
{
    int64_t t0 = now_ms();
    char *sid = open_session();
    int pings = 0;
    while (now_ms() - t0 < 1300) {
        http_response r;
        assert_int_equal(eio_poll_get(&srv, sid, &r, 2000), 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "2");
        http_response_free(&r);
        post_ok(sid, "3", 1);
        pings++;
    }
    fprintf(stderr, "%d pings answered in %lld ms\n", pings, (long long)(now_ms() - t0));
    assert_true(pings >= 3);
    post_ok(sid, "4alive", 6);
    get_expect(sid, "4alive", 6);
    post_ok(sid, "1", 1);
    free(sid);
}

int main(void)
{
    const struct CMUnitTest main_tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_post_then_get),
        cmocka_unit_test(test_several_packets_and_binary),
        cmocka_unit_test(test_empty_binary_message),
        cmocka_unit_test(test_held_get_answered_by_post),
        cmocka_unit_test(test_error_protocol_version),
        cmocka_unit_test(test_error_transport),
        cmocka_unit_test(test_error_handshake_method),
        cmocka_unit_test(test_error_unknown_sid),
        cmocka_unit_test(test_invalid_packet_closes_session),
        cmocka_unit_test(test_duplicate_get),
        cmocka_unit_test(test_aborted_get_ends_session),
        cmocka_unit_test(test_octet_stream_post),
        cmocka_unit_test(test_post_too_large),
        cmocka_unit_test(test_chunked_post),
        cmocka_unit_test(test_chunked_post_too_large),
        cmocka_unit_test(test_jsonp_round_trip),
        cmocka_unit_test(test_bytes_behind_held_poll_end_session),
        cmocka_unit_test(test_cors_refused_origin),
        cmocka_unit_test(test_cors_same_origin),
        cmocka_unit_test(test_cors_allowed_origin),
        cmocka_unit_test(test_cors_preflight),
        cmocka_unit_test(test_close_while_get_held),
        cmocka_unit_test(test_close_without_get),
        cmocka_unit_test(test_keep_alive),
    };
    const struct CMUnitTest long_hold_tests[] = {
        cmocka_unit_test(test_get_held_past_lws_timeout),
    };
    const struct CMUnitTest heartbeat_tests[] = {
        cmocka_unit_test(test_polling_ping_timeout),
        cmocka_unit_test(test_polling_pong_keeps_alive),
    };
    int failed = 0;
    failed += cmocka_run_group_tests_name("eio polling", main_tests, setup_main, teardown);
    failed += cmocka_run_group_tests_name("eio polling heartbeat", heartbeat_tests, setup_heartbeat,
                                          teardown);
    failed += cmocka_run_group_tests_name("eio polling long hold", long_hold_tests, setup_long_hold,
                                          teardown);
    return failed ? 1 : 0;
}
