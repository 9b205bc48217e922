/* Limits an operator relies on: the connection cap (connections over it are
 * closed as soon as they are accepted, the server keeps serving), and a
 * process file descriptor limit that runs out (no busy loop: accepting stops
 * before accept() can fail, and the cap closes what does not fit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "support/harness.h"
#include "support/raw_http.h"
#include "support/ws_client.h"

#define TMO 5000
#define HANDSHAKE "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"

/* Opens n connections and sends a handshake on each. Counts those answered
 * 200 and those closed with no answer; every other outcome fails. */
static void handshake_all(const test_server *srv, raw_conn *c, int n, int *served, int *closed)
{
    *served = *closed = 0;
    for (int i = 0; i < n; i++)
        assert_int_equal(raw_connect(&c[i], srv->port), 0);
    for (int i = 0; i < n; i++) {
        raw_response r;
        if (raw_send_str(&c[i], HANDSHAKE) != 0) {
            (*closed)++;
            continue;
        }
        if (raw_read_response(&c[i], &r, TMO) == 0) {
            if (r.status != 200)
                fail_msg("connection %d: status %d", i, r.status);
            (*served)++;
            raw_response_free(&r);
        } else if (c[i].eof && c[i].len == 0) {
            (*closed)++;
        } else {
            fail_msg("connection %d: neither answered nor closed (%zu bytes)", i, c[i].len);
        }
    }
}

static void close_all(raw_conn *c, int n)
{
    for (int i = 0; i < n; i++)
        raw_close(&c[i]);
}

/* A handshake on a new connection is answered: the server recovered. */
static void expect_served(const test_server *srv)
{
    raw_conn c;
    int served, closed;
    /* The closes of the connections before may still be on their way to the
     * server: retry until a deadline, on an event each time (the answer). */
    int64_t deadline = now_ms() + TMO;
    do {
        handshake_all(srv, &c, 1, &served, &closed);
        raw_close(&c);
    } while (!served && now_ms() < deadline);
    assert_int_equal(served, 1);
}

static void test_max_connections(void **state)
{
    test_server srv;
    const char *args[] = {"--max-connections", "5", NULL};
    assert_int_equal(server_start(&srv, "eio-echo", args), 0);
    raw_conn c[8];
    int served, closed;
    handshake_all(&srv, c, 8, &served, &closed);
    assert_int_equal(served, 5);
    assert_int_equal(closed, 3);
    close_all(c, 8);
    expect_served(&srv);
    assert_int_equal(server_stop(&srv, 5000), 0);
}

/* Server CPU time (user + system) in clock ticks. */
static long cpu_ticks(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    long utime = 0, stime = 0;
    /* Fields after the name: state is 3rd; utime 14th, stime 15th. */
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", &utime, &stime) != 2)
        return -1;
    return utime + stime;
}

/* The server runs with 256 descriptors and 300 clients come. */
static void test_fd_limit(void **state)
{
    enum { LIMIT = 256, CLIENTS = 300 };
    struct rlimit saved, low = {LIMIT, LIMIT};
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low.rlim_max = saved.rlim_max;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0); /* the child inherits it */
    test_server srv;
    int rc = server_start(&srv, "eio-echo", NULL);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_int_equal(rc, 0);

    raw_conn *c = calloc(CLIENTS, sizeof(*c));
    int served, closed;
    handshake_all(&srv, c, CLIENTS, &served, &closed);
    if (served + closed != CLIENTS || served < LIMIT / 2 || served >= LIMIT)
        fail_msg("%d served, %d closed", served, closed);
    /* Held at the limit, the server is idle: a second of its CPU time, while
     * the last connection stays as it is. */
    long t0 = cpu_ticks(srv.pid);
    raw_conn probe;
    assert_int_equal(raw_connect(&probe, srv.port), 0);
    (void)raw_stays_open(&probe, 1000);
    long used = cpu_ticks(srv.pid) - t0;
    long hz = sysconf(_SC_CLK_TCK);
    if (t0 < 0 || used > hz / 2)
        fail_msg("server CPU at the descriptor limit: %ld ticks in 1 s (%ld a second)", used, hz);
    raw_close(&probe);
    close_all(c, CLIENTS);
    free(c);
    expect_served(&srv);
    assert_int_equal(server_stop(&srv, 5000), 0);
}

/* A client that sends small messages and reads none of the echoes: its
 * queue is counted by what the messages really cost, so it is closed ("send
 * queue full") before it holds much more than the 16 MiB limit, and the
 * server's memory comes back down once it is gone. */
static void test_flood_without_reading(void **state)
{
    test_server srv;
    assert_int_equal(server_start(&srv, "eio-echo", NULL), 0);
    ws_client c;
    assert_int_equal(ws_connect(&c, srv.port, "/engine.io/?EIO=4&transport=websocket", NULL, TMO), 101);
    int small = 4096;
    setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    long base = server_rss_kb(&srv);
    /* One masked text frame "4" + 40 bytes, sent over and over. */
    unsigned char frame[2 + 4 + 41] = {0x81, 0x80 | 41, 0, 0, 0, 0, '4'};
    memset(frame + 7, 'x', 40);
    long sent = 0;
    int64_t deadline = now_ms() + 60000;
    while (sent < 2000000 && now_ms() < deadline && tcp_write_all(c.fd, frame, sizeof(frame)) == 0)
        sent++;
    /* It was closed (its writes failed) well before 2 million messages:
     * about 140,000 fill the limit when each costs what it holds. */
    if (sent >= 2000000 || now_ms() >= deadline)
        fail_msg("never closed: %ld messages sent", sent);
    ws_disconnect(&c);
    /* Memory returns (not measurable under ASan, whose allocator keeps
     * freed memory in quarantine). */
    if (!getenv("ASAN_OPTIONS")) {
        long rss = server_rss_kb(&srv);
        int64_t until = now_ms() + TMO;
        while (rss > base + 4096 && now_ms() < until) {
            struct pollfd none = {.fd = -1};
            poll(&none, 1, 50); /* RSS is read, not waited on: look again */
            rss = server_rss_kb(&srv);
        }
        if (rss > base + 4096)
            fail_msg("RSS %ld kB after the flood, %ld kB before", rss, base);
    }
    assert_true(server_alive(&srv));
    assert_int_equal(server_stop(&srv, 5000), 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_connections),
        cmocka_unit_test(test_fd_limit),
        cmocka_unit_test(test_flood_without_reading),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
