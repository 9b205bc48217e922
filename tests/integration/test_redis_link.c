/* The link to Redis (src/cluster/redis_link.h) against a real redis-server
 * started by the test on a free loopback port, killed and restarted by PID:
 * messages on channels and patterns (binary-safe), PUBSUB NUMSUB, one state
 * report per change, publishes refused while Redis is away, reconnection
 * with the subscriptions made again, Redis absent at startup, AUTH. Every
 * wait is for an event on the loop, with a deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <uv.h>

#include "cluster/redis_link.h"
#include "sio.h"
#include "support/harness.h"
#include "support/ws_client.h"

#define TMO 10000

/* --- redis-server ----------------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || getsockname(fd, (struct sockaddr *)&a, &len))
        return -1;
    close(fd);
    return ntohs(a.sin_port);
}

/* Every redis-server started, killed at exit whatever happened to the
 * test that started it. */
static pid_t started[8];
static int n_started;

static void kill_leftovers(void)
{
    for (int i = 0; i < n_started; i++)
        if (started[i] > 0 && kill(started[i], SIGKILL) == 0)
            waitpid(started[i], NULL, 0);
}

typedef struct redis_proc {
    pid_t pid;
    int out; /* read end of its stdout */
} redis_proc;

/* Starts redis-server on 127.0.0.1:port (no persistence; `pass` may be
 * NULL) and waits, with a deadline, for its "Ready to accept connections". */
static redis_proc redis_start(int port, const char *pass)
{
    char p[16];
    snprintf(p, sizeof(p), "%d", port);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        const char *argv[16] = {"redis-server", "--port", p, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--daemonize", "no", "--loglevel", "notice"};
        int n = 13;
        if (pass) {
            argv[n++] = "--requirepass";
            argv[n++] = pass;
        }
        argv[n] = NULL;
        execvp("redis-server", (char *const *)argv);
        _exit(127);
    }
    assert_true(pid > 0);
    if (n_started < 8)
        started[n_started++] = pid;
    close(fds[1]);
    char log[8192];
    size_t len = 0;
    int64_t deadline = now_ms() + TMO;
    while (!memmem(log, len, "Ready to accept connections", 27)) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int left = (int)(deadline - now_ms());
        ssize_t n = left > 0 && poll(&pfd, 1, left) == 1 ? read(fds[0], log + len, sizeof(log) - 1 - len) : -1;
        if (n <= 0) {
            log[len] = 0;
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("redis-server on port %d did not get ready:\n%s", port, log);
        }
        len += (size_t)n;
        if (len >= sizeof(log) - 1) { /* keep the tail */
            memmove(log, log + len / 2, len - len / 2);
            len -= len / 2;
        }
    }
    return (redis_proc){pid, fds[0]};
}

static void redis_kill(redis_proc *r)
{
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    close(r->out);
    for (int i = 0; i < n_started; i++)
        if (started[i] == r->pid)
            started[i] = 0;
}

/* --- the loop ------------------------------------------------------------------------ */

typedef struct rec {
    int ups, downs;
    char why[256];
    char channel[64], pattern[64];
    char data[64];
    size_t data_len;
    int messages;
    long count;
    int count_err, counts;
} rec;

static void on_message(void *ctx, const char *pattern, const char *channel, size_t channel_len, const void *data,
                       size_t len)
{
    rec *r = ctx;
    r->messages++;
    snprintf(r->channel, sizeof(r->channel), "%.*s", (int)channel_len, channel);
    snprintf(r->pattern, sizeof(r->pattern), "%s", pattern ? pattern : "");
    r->data_len = len < sizeof(r->data) ? len : sizeof(r->data);
    memcpy(r->data, data, r->data_len);
}

static void on_state(void *ctx, bool up, const char *why)
{
    rec *r = ctx;
    if (up) {
        r->ups++;
    } else {
        r->downs++;
        snprintf(r->why, sizeof(r->why), "%s", why);
    }
}

static void on_count(void *ctx, long count, int err)
{
    rec *r = ctx;
    r->count = count;
    r->count_err = err;
    r->counts++;
}

static void on_deadline(uv_timer_t *t) { *(bool *)t->data = true; }

/* Runs the loop until *flag reaches `want` (an int compared with >=), or
 * fails at the deadline. */
static void run_until(uv_loop_t *loop, const int *flag, int want, const char *what)
{
    bool late = false;
    uv_timer_t deadline;
    uv_timer_init(loop, &deadline);
    deadline.data = &late;
    uv_timer_start(&deadline, on_deadline, TMO, 0);
    while (*flag < want && !late)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&deadline, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    if (*flag < want)
        fail_msg("no %s within %d ms", what, TMO);
}

/* Asks PUBSUB NUMSUB until `channel` has `want` subscribers (the
 * subscriptions are made asynchronously). */
static void wait_subscribers(uv_loop_t *loop, sio_redis_link *l, rec *r, const char *channel, long want)
{
    int64_t deadline = now_ms() + TMO;
    for (;;) {
        int before = r->counts;
        assert_int_equal(sio_redis_link_numsub(l, channel, on_count, r), SIO_OK);
        run_until(loop, &r->counts, before + 1, "NUMSUB answer");
        if (r->count_err == 0 && r->count == want)
            return;
        if (now_ms() > deadline)
            fail_msg("%s has %ld subscribers, not %ld", channel, r->count, want);
    }
}

static void link_free_and_drain(uv_loop_t *loop, sio_redis_link *l)
{
    sio_redis_link_free(l);
    while (uv_run(loop, UV_RUN_NOWAIT))
        ;
    assert_int_equal(uv_loop_close(loop), 0); /* every handle closed */
}

static sio_redis_link *link_to(uv_loop_t *loop, int port, const char *creds, rec *r)
{
    char url[128];
    snprintf(url, sizeof(url), "redis://%s127.0.0.1:%d", creds ? creds : "", port);
    sio_redis_url u;
    char why[200];
    assert_int_equal(sio_redis_url_parse(url, &u, why, sizeof(why)), 0);
    sio_redis_link_events ev = {on_message, on_state, r};
    sio_redis_link *l = sio_redis_link_new(loop, &u, &ev, 0);
    assert_non_null(l);
    return l;
}

/* --- tests ----------------------------------------------------------------------------- */

static void test_messages_and_reconnection(void **state)
{
    int port = free_port();
    redis_proc redis = redis_start(port, NULL);
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec r = {0};
    sio_redis_link *l = link_to(&loop, port, NULL, &r);
    run_until(&loop, &r.ups, 1, "link up");
    assert_int_equal(r.downs, 0);
    assert_int_equal(sio_redis_link_subscribe(l, "chan"), SIO_OK);
    assert_int_equal(sio_redis_link_psubscribe(l, "pat#*"), SIO_OK);
    wait_subscribers(&loop, l, &r, "chan", 1);

    /* A channel, binary-safe; then a pattern. */
    assert_int_equal(sio_redis_link_publish(l, "chan", "a\0b", 3), SIO_OK);
    run_until(&loop, &r.messages, 1, "message on chan");
    assert_string_equal(r.channel, "chan");
    assert_string_equal(r.pattern, "");
    assert_int_equal(r.data_len, 3);
    assert_memory_equal(r.data, "a\0b", 3);
    assert_int_equal(sio_redis_link_publish(l, "pat#x#", "p", 1), SIO_OK);
    run_until(&loop, &r.messages, 2, "message on pat#x#");
    assert_string_equal(r.channel, "pat#x#");
    assert_string_equal(r.pattern, "pat#*");

    /* Redis goes: one report, publishes refused and counted. */
    redis_kill(&redis);
    run_until(&loop, &r.downs, 1, "link down");
    assert_false(sio_redis_link_up(l));
    assert_int_equal(sio_redis_link_publish(l, "chan", "lost", 4), SIO_EAGAIN);
    assert_int_equal(sio_redis_link_numsub(l, "chan", on_count, &r), SIO_EAGAIN);
    assert_int_equal(sio_redis_link_dropped(l), 1);

    /* It comes back on the same port: up again, subscribed again. */
    redis = redis_start(port, NULL);
    run_until(&loop, &r.ups, 2, "link up again");
    wait_subscribers(&loop, l, &r, "chan", 1);
    assert_int_equal(sio_redis_link_publish(l, "pat#y#", "again", 5), SIO_OK);
    run_until(&loop, &r.messages, 3, "message after the restart");
    assert_string_equal(r.channel, "pat#y#");
    assert_int_equal(r.ups, 2);
    assert_int_equal(r.downs, 1); /* once per change, however many attempts */

    link_free_and_drain(&loop, l);
    redis_kill(&redis);
}

static void test_absent_at_startup(void **state)
{
    int port = free_port();
    uv_loop_t loop;
    uv_loop_init(&loop);
    rec r = {0};
    sio_redis_link *l = link_to(&loop, port, NULL, &r);
    assert_int_equal(sio_redis_link_subscribe(l, "later"), SIO_OK);
    run_until(&loop, &r.downs, 1, "down report");
    if (!strstr(r.why, "refused"))
        fail_msg("down because \"%s\"", r.why);
    redis_proc redis = redis_start(port, NULL);
    run_until(&loop, &r.ups, 1, "link up once Redis is there");
    wait_subscribers(&loop, l, &r, "later", 1);
    assert_int_equal(r.downs, 1);
    link_free_and_drain(&loop, l);
    redis_kill(&redis);
}

static void test_auth(void **state)
{
    int port = free_port();
    redis_proc redis = redis_start(port, "s3cret");
    uv_loop_t loop;
    uv_loop_init(&loop);

    rec bad = {0};
    sio_redis_link *l = link_to(&loop, port, ":wrong@", &bad);
    run_until(&loop, &bad.downs, 1, "refused AUTH");
    assert_non_null(strstr(bad.why, "AUTH refused"));
    assert_int_equal(bad.ups, 0);
    link_free_and_drain(&loop, l);

    uv_loop_init(&loop);
    rec good = {0};
    l = link_to(&loop, port, ":s3cret@", &good);
    run_until(&loop, &good.ups, 1, "link up with the password");
    assert_int_equal(sio_redis_link_subscribe(l, "c"), SIO_OK);
    wait_subscribers(&loop, l, &good, "c", 1);
    link_free_and_drain(&loop, l);
    redis_kill(&redis);
}

static void test_url(void **state)
{
    sio_redis_url u;
    char why[200];
    assert_int_equal(sio_redis_url_parse("redis://localhost", &u, why, sizeof(why)), 0);
    assert_string_equal(u.host, "localhost");
    assert_int_equal(u.port, 6379);
    assert_int_equal(u.db, 0);
    assert_string_equal(u.password, "");
    assert_int_equal(sio_redis_url_parse("redis://:pw@10.0.0.5:6380/3", &u, why, sizeof(why)), 0);
    assert_string_equal(u.host, "10.0.0.5");
    assert_int_equal(u.port, 6380);
    assert_string_equal(u.user, "");
    assert_string_equal(u.password, "pw");
    assert_int_equal(u.db, 3);
    assert_int_equal(sio_redis_url_parse("redis://app:p@ss@h:1/", &u, why, sizeof(why)), 0);
    assert_string_equal(u.user, "app");
    assert_string_equal(u.password, "p@ss");
    assert_string_equal(u.host, "h");
    static const char *const bad[] = {"http://h", "redis://", "redis://h:0", "redis://h:99999",
                                      "redis://h:x", "redis://h/x", "redis://user@h", NULL};
    for (int i = 0; bad[i]; i++) {
        why[0] = 0;
        if (sio_redis_url_parse(bad[i], &u, why, sizeof(why)) != -1)
            fail_msg("%s was accepted", bad[i]);
        assert_non_null(strstr(why, "bad Redis URL"));
    }
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    atexit(kill_leftovers);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url),
        cmocka_unit_test(test_messages_and_reconnection),
        cmocka_unit_test(test_absent_at_startup),
        cmocka_unit_test(test_auth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
