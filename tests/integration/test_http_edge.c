/* The HTTP edge, over raw sockets, as attackers and strict clients send it:
 * framing that two parsers could read differently (every smuggling attempt
 * gets 400 with Connection: close, and the smuggled request no answer),
 * limits checked before a body is read, persistent connections (pipelines,
 * Connection: close, HTTP/1.0, the idle timeout), chunked bodies, long
 * queries and large headers, and startup failures reported as one line and
 * exit status 1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/harness.h"
#include "support/raw_http.h"

#define TMO 5000
#define REQUEST_TIMEOUT_MS 1500
#define KEEP_ALIVE_MS 1000

static test_server srv;

static int setup(void **state)
{
    char rt[16], ka[16];
    snprintf(rt, sizeof(rt), "%d", REQUEST_TIMEOUT_MS);
    snprintf(ka, sizeof(ka), "%d", KEEP_ALIVE_MS);
    const char *args[] = {"--request-timeout", rt, "--keep-alive-timeout", ka, NULL};
    return server_start(&srv, "eio-echo", args);
}

static int teardown(void **state)
{
    assert_true(server_alive(&srv));
    return server_stop(&srv, 5000);
}

static void connect_raw(raw_conn *c)
{
    assert_int_equal(raw_connect(c, srv.port), 0);
}

/* Reads one response and checks its status. */
static void expect_status(raw_conn *c, raw_response *r, int status)
{
    if (raw_read_response(c, r, TMO) != 0)
        fail_msg("no response (want %d); %zu bytes pending, eof %d", status, c->len, c->eof);
    if (r->status != status)
        fail_msg("status %d, want %d:\n%s%s", r->status, status, r->head, r->body);
}

static void expect_header(const raw_response *r, const char *name, const char *want)
{
    char *v = raw_header(r, name);
    if (!want) {
        if (v)
            fail_msg("unexpected %s: %s", name, v);
        return;
    }
    if (!v || strcasecmp(v, want) != 0)
        fail_msg("%s: %s, want %s\n%s", name, v ? v : "(none)", want, r->head);
    free(v);
}

/* The answer is `status` with Connection: close, then the connection ends
 * with nothing after it: no byte of the refused request was answered. */
static void expect_refused_and_closed(raw_conn *c, int status)
{
    raw_response r;
    expect_status(c, &r, status);
    expect_header(&r, "connection", "close");
    raw_response_free(&r);
    size_t extra = 0;
    if (!raw_wait_closed(c, TMO, &extra))
        fail_msg("after the %d: %zu more bytes, or still open:\n%s", status, extra, c->buf ? c->buf : "");
}

/* One request on a fresh connection, answered `status` then closed. */
static void send_refused(const char *request, int status)
{
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, request), 0);
    expect_refused_and_closed(&c, status);
    raw_close(&c);
}

static char *open_sid(void)
{
    char *sid = eio_open_polling(&srv, NULL);
    assert_non_null(sid);
    return sid;
}

/* A request smuggled behind a body the server must not frame. */
#define SMUGGLED "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"

static void test_duplicate_content_length(void **state)
{
    char req[512];
    snprintf(req, sizeof(req),
             "POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\n"
             "Content-Length: 0\r\nContent-Length: %zu\r\n\r\n" SMUGGLED,
             strlen(SMUGGLED));
    send_refused(req, 400);
    /* The same value twice is refused too, as Node's parser does. */
    send_refused("POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 2\r\nContent-Length: 2\r\n\r\nab",
                 400);
    /* And on any path. */
    snprintf(req, sizeof(req),
             "POST /api/emit HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: %zu\r\n\r\n" SMUGGLED,
             strlen(SMUGGLED));
    send_refused(req, 400);
}

static void test_invalid_content_length(void **state)
{
    static const char *const values[] = {"0abc", "-5", "+5", "1 2", "0x10", "99999999999999999999"};
    char *sid = open_sid();
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char req[512];
        snprintf(req, sizeof(req),
                 "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: %s\r\n\r\n" SMUGGLED,
                 sid, values[i]);
        send_refused(req, 400);
    }
    free(sid);
}

static void test_length_and_chunked(void **state)
{
    char *sid = open_sid();
    char req[512];
    /* Both framings: refused whichever one a proxy would have used. */
    snprintf(req, sizeof(req),
             "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
             "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" SMUGGLED,
             sid);
    send_refused(req, 400);
    /* Transfer codings other than chunked alone. */
    snprintf(req, sizeof(req),
             "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" SMUGGLED,
             sid);
    send_refused(req, 400);
    send_refused("POST /engine.io/?EIO=4&transport=polling&sid=x HTTP/1.1\r\nHost: x\r\n"
                 "Transfer-Encoding: identity\r\n\r\n" SMUGGLED,
                 400);
    free(sid);
}

static void test_chunked_body(void **state)
{
    char *sid = open_sid();
    char req[512];
    snprintf(req, sizeof(req),
             "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: chunked\r\n\r\n3\r\n4he\r\n3;ext=1\r\nllo\r\n0\r\nTrailer: x\r\n\r\n",
             sid);
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, req), 0);
    raw_response r;
    expect_status(&c, &r, 200);
    assert_string_equal(r.body, "ok");
    expect_header(&r, "connection", "close"); /* lws would read on as body */
    raw_response_free(&r);
    raw_close(&c);
    http_response g;
    assert_int_equal(eio_poll_get(&srv, sid, &g, TMO), 0);
    assert_int_equal(g.status, 200);
    assert_string_equal(g.body, "4hello");
    http_response_free(&g);

    /* A chunk size that is not hexadecimal: 400, and the bytes after it are
     * never a request. */
    snprintf(req, sizeof(req),
             "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
             "Transfer-Encoding: chunked\r\n\r\nzz\r\n" SMUGGLED,
             sid);
    send_refused(req, 400);
    free(sid);
}

/* A padding header of `n` bytes in all. */
static char *request_with_headers(const char *line, size_t pad)
{
    char *req = malloc(pad + 512);
    int n = snprintf(req, 512, "%sHost: x\r\nCookie: ", line);
    memset(req + n, 'a', pad);
    strcpy(req + n + pad, "\r\n\r\n");
    return req;
}

static void test_header_limit(void **state)
{
    /* 16 KB of headers are accepted, over that 431. */
    char *ok = request_with_headers("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n", 16 * 1024 - 200);
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, ok), 0);
    raw_response r;
    expect_status(&c, &r, 200);
    assert_non_null(strstr(r.body, "\"sid\""));
    raw_response_free(&r);
    raw_close(&c);
    free(ok);

    char *big = request_with_headers("GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\n", 17 * 1024);
    send_refused(big, 431);
    free(big);

    /* A WebSocket upgrade with a 5 KB cookie. */
    char line[256];
    snprintf(line, sizeof(line),
             "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             "Sec-WebSocket-Version: 13\r\n");
    char *ws = request_with_headers(line, 5 * 1024);
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, ws), 0);
    expect_status(&c, &r, 101);
    raw_response_free(&r);
    raw_close(&c);
    free(ws);
}

/* A query parameter of any length before EIO: socket.io-client puts the
 * user's query (a JWT, say) first. */
static void test_long_query(void **state)
{
    size_t n = 3000;
    char *req = malloc(n + 256);
    int k = snprintf(req, 64, "GET /engine.io/?token=");
    memset(req + k, 'j', n);
    strcpy(req + k + n, "&EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, req), 0);
    raw_response r;
    expect_status(&c, &r, 200);
    assert_non_null(strstr(r.body, "\"sid\""));
    raw_response_free(&r);
    raw_close(&c);
    free(req);
}

/* A POST whose declared length is over the limit is answered before any of
 * its body is read, whatever its sid: the server does not drain it. */
static void test_huge_length_refused_first(void **state)
{
    char *sid = open_sid();
    const char *sids[] = {"no-such-sid", sid};
    for (int i = 0; i < 2; i++) {
        char req[512];
        snprintf(req, sizeof(req),
                 "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\n"
                 "Content-Length: 1000000000000\r\n\r\n",
                 sids[i]);
        send_refused(req, 413);
    }
    send_refused("POST /elsewhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n", 413);
    free(sid);
}

/* A body trickled a byte at a time is cut off at the request deadline with
 * 408, though each byte comes well within the idle timeout. */
static void test_trickled_body(void **state)
{
    char *sid = open_sid();
    char req[512];
    snprintf(req, sizeof(req),
             "POST /engine.io/?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n4",
             sid);
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, req), 0);
    int64_t start = now_ms(), deadline = start + 4 * REQUEST_TIMEOUT_MS;
    struct pollfd pfd = {.fd = c.fd, .events = POLLIN};
    /* One more byte each time 200 ms pass with no answer. */
    while (now_ms() < deadline && poll(&pfd, 1, 200) == 0)
        if (raw_send_str(&c, "x") != 0)
            break;
    expect_refused_and_closed(&c, 408);
    assert_true(now_ms() - start >= REQUEST_TIMEOUT_MS);
    raw_close(&c);
    free(sid);
}

static void test_pipelined(void **state)
{
    raw_conn c;
    connect_raw(&c);
    /* An error, a handshake and a 404, in one write: answered in order. */
    assert_int_equal(raw_send_str(&c, "GET /engine.io/?transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"
                                      "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"
                                      "GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    raw_response r;
    expect_status(&c, &r, 400);
    assert_string_equal(r.body, "{\"code\":5,\"message\":\"Unsupported protocol version\"}");
    expect_header(&r, "connection", NULL);
    raw_response_free(&r);
    expect_status(&c, &r, 200);
    assert_non_null(strstr(r.body, "\"sid\""));
    raw_response_free(&r);
    expect_status(&c, &r, 404);
    raw_response_free(&r);
    /* Still open, and still usable. */
    assert_int_equal(raw_send_str(&c, "GET /engine.io/?EIO=4&transport=abc HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    expect_status(&c, &r, 400);
    raw_response_free(&r);
    raw_close(&c);
}

static void test_connection_close(void **state)
{
    send_refused("GET /engine.io/?EIO=4&transport=abc HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400);
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
                                      "Connection: keep-alive, close\r\n\r\n"),
                     0);
    expect_refused_and_closed(&c, 200);
    raw_close(&c);
}

static void test_http10(void **state)
{
    /* HTTP/1.0 closes unless it asked for keep-alive. */
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, "GET /engine.io/?EIO=4&transport=polling HTTP/1.0\r\n\r\n"), 0);
    expect_refused_and_closed(&c, 200);
    raw_close(&c);

    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, "GET /engine.io/?EIO=4&transport=abc HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
                     0);
    raw_response r;
    expect_status(&c, &r, 400);
    expect_header(&r, "connection", "keep-alive");
    raw_response_free(&r);
    assert_int_equal(raw_send_str(&c, "GET /engine.io/?EIO=4&transport=polling HTTP/1.0\r\n\r\n"), 0);
    expect_refused_and_closed(&c, 200);
    raw_close(&c);
}

/* An idle keep-alive connection is closed quietly after --keep-alive-timeout
 * (5 s by default, as Node's). */
static void test_idle_timeout(void **state)
{
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    raw_response r;
    expect_status(&c, &r, 404);
    raw_response_free(&r);
    int64_t t0 = now_ms();
    assert_true(raw_stays_open(&c, KEEP_ALIVE_MS / 2));
    assert_true(raw_wait_closed(&c, 4 * KEEP_ALIVE_MS, NULL));
    int64_t idle = now_ms() - t0;
    /* lws counts whole seconds, checked once a second. */
    if (idle < KEEP_ALIVE_MS / 2 || idle > 3 * KEEP_ALIVE_MS)
        fail_msg("closed after %lld ms idle", (long long)idle);
    raw_close(&c);
}

/* The idle time starts again after each response: requests a little less
 * than --keep-alive-timeout apart keep one connection going. A next request
 * whose head has begun when the idle time runs out is timed as a request
 * (lws's time for a request head), not closed as idle. */
static void test_idle_restarts(void **state)
{
    raw_conn c;
    connect_raw(&c);
    raw_response r;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(raw_send_str(&c, "GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
        expect_status(&c, &r, 404);
        raw_response_free(&r);
        assert_true(raw_stays_open(&c, KEEP_ALIVE_MS * 6 / 10));
    }
    assert_int_equal(raw_send_str(&c, "GET /nothing HTTP/1.1\r\n"), 0);
    assert_true(raw_stays_open(&c, KEEP_ALIVE_MS));
    assert_int_equal(raw_send_str(&c, "Host: x\r\n\r\n"), 0);
    expect_status(&c, &r, 404);
    raw_response_free(&r);
    raw_close(&c);
}

static void test_nul_in_path(void **state)
{
    send_refused("GET /%00/x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    send_refused("GET /engine.io/%00/x HTTP/1.1\r\nHost: x\r\n\r\n", 400);
    /* A trailing %00 after a name: libwebsockets 4.1 drops the connection
     * itself while parsing, before the server sees the request. No answer,
     * and above all nothing served. */
    raw_conn c;
    connect_raw(&c);
    assert_int_equal(raw_send_str(&c, "GET /a%00 HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_true(raw_wait_closed(&c, TMO, NULL));
    raw_close(&c);
}

/* Runs build/<prog> args, waits (deadline) for its exit; returns its exit
 * status (-1 when it did not exit in time) and its output in *out. */
static int run_program(const char *prog, const char *const args[], char **out, int timeout_ms)
{
    int pfd[2];
    assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
    const char *dir = getenv("SIO_BUILD_DIR") ? getenv("SIO_BUILD_DIR") : "build";
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, prog);
    const char *argv[16] = {path};
    int n = 1;
    for (; args && args[n - 1] && n < 15; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        execv(path, (char *const *)argv);
        _exit(127);
    }
    close(pfd[1]);
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int64_t deadline = now_ms() + timeout_ms;
    for (;;) {
        struct pollfd p = {.fd = pfd[0], .events = POLLIN};
        int64_t left = deadline - now_ms();
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        if (len + 1024 > cap)
            buf = realloc(buf, cap *= 2);
        ssize_t r = read(pfd[0], buf + len, cap - len - 1);
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = 0;
    close(pfd[0]);
    *out = buf;
    int status;
    if (waitpid(pid, &status, WNOHANG) == 0) {
        /* Output closed: the exit follows at once; give it the deadline. */
        while (now_ms() < deadline && waitpid(pid, &status, WNOHANG) == 0) {
            struct pollfd none = {.fd = -1};
            poll(&none, 1, 10);
        }
        if (waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void expect_startup_failure(const char *prog, const char *const args[], const char *want)
{
    char *out = NULL;
    int rc = run_program(prog, args, &out, TMO);
    if (rc != 1 || !strstr(out, want))
        fail_msg("%s: exit %d, output:\n%s(want exit 1 and \"%s\")", prog, rc, out, want);
    /* One line. */
    char *nl = strchr(out, '\n');
    if (!nl || nl[1])
        fail_msg("%s: not one line:\n%s", prog, out);
    free(out);
}

static void test_startup_failures(void **state)
{
    char port[16], want[64];
    snprintf(port, sizeof(port), "%d", srv.port);
    snprintf(want, sizeof(want), "port %d: the port is in use", srv.port);
    const char *same_port[] = {"--port", port, NULL};
    expect_startup_failure("eio-echo", same_port, want);
    expect_startup_failure("sio-echo", same_port, want);
    /* An address of no interface here (TEST-NET-1: never routed). */
    const char *foreign[] = {"--port", "0", "--host", "192.0.2.1", NULL};
    expect_startup_failure("eio-echo", foreign, "192.0.2.1 port 0: the address is not one of this machine's");
    const char *unknown[] = {"--port", "0", "--host", "no-such-host.invalid", NULL};
    expect_startup_failure("sio-echo", unknown, "no-such-host.invalid port 0: not an IPv4 address");
    /* The first server is unaffected. */
    char *sid = open_sid();
    free(sid);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_content_length),
        cmocka_unit_test(test_invalid_content_length),
        cmocka_unit_test(test_length_and_chunked),
        cmocka_unit_test(test_chunked_body),
        cmocka_unit_test(test_header_limit),
        cmocka_unit_test(test_long_query),
        cmocka_unit_test(test_huge_length_refused_first),
        cmocka_unit_test(test_trickled_body),
        cmocka_unit_test(test_pipelined),
        cmocka_unit_test(test_connection_close),
        cmocka_unit_test(test_http10),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_idle_restarts),
        cmocka_unit_test(test_nul_in_path),
        cmocka_unit_test(test_startup_failures),
    };
    return cmocka_run_group_tests_name("http edge", tests, setup, teardown);
}
