/* HTTP responses given later (include/sio_deferred.h), in this process with
 * real sockets: a handler defers its response and the loop thread answers
 * it later (here through sio_server_call from the test's thread). The
 * request is held meanwhile, past libwebsockets' 5 s HTTP timeout, and the
 * connection stays usable after the answer; a client that hangs up is
 * noticed (the handle turns closed, the answer is SIO_ECLOSED); a handler
 * that defers and then declines answers 404 at once. */
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
#include <time.h>

#include "sio.h"
#include "sio_deferred.h"
#include "support/harness.h"
#include "support/raw_http.h"

#define TMO 3000

static struct {
    sio_server *srv;
    pthread_t thread;
    _Atomic(sio_http_deferred *) pending;
    atomic_int result;  /* of the last reply, or of the last check */
    int done;           /* calls run on the loop thread, under lock */
    pthread_mutex_t lock;
    pthread_cond_t cond;
} S;

static void call_done(void)
{
    pthread_mutex_lock(&S.lock);
    S.done++;
    pthread_cond_signal(&S.cond);
    pthread_mutex_unlock(&S.lock);
}

static bool handler(const sio_http_request *req, sio_http_response *res, void *user)
{
    if (strcmp(req->path, "/now") == 0)
        return sio_http_reply(res, 200, "text/plain", "now", 3) == SIO_OK;
    sio_http_deferred *d = sio_http_defer(res);
    if (!d)
        return false;
    assert_ptr_equal(sio_http_defer(res), d); /* twice: the same handle */
    if (strcmp(req->path, "/declined") == 0)
        return false; /* 404 now; the handle goes with the response */
    atomic_store(&S.pending, d);
    return true;
}

static void *run(void *arg)
{
    sio_server_run(S.srv);
    return NULL;
}

static int setup(void **state)
{
    memset(&S, 0, sizeof(S));
    pthread_mutex_init(&S.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&S.cond, &ca);
    pthread_condattr_destroy(&ca);
    sio_options o;
    sio_options_init(&o);
    o.bind_addr = "127.0.0.1";
    o.port = 0;
    o.http_handler = handler;
    char why[256];
    if (sio_server_create(&o, &S.srv, why, sizeof(why)) != SIO_OK)
        return -1;
    return pthread_create(&S.thread, NULL, run, NULL) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    sio_server_stop(S.srv);
    pthread_join(S.thread, NULL);
    sio_server_free(S.srv);
    pthread_cond_destroy(&S.cond);
    pthread_mutex_destroy(&S.lock);
    return 0;
}

static void reply_now(sio_server *srv, void *arg)
{
    if (!srv) /* the server stopped first */
        return;
    sio_http_deferred *d = atomic_exchange(&S.pending, NULL);
    atomic_store(&S.result, sio_http_deferred_reply(d, 200, "text/plain", "done", 4));
    call_done();
}

static void check_open(sio_server *srv, void *arg)
{
    if (srv)
        atomic_store(&S.result, sio_http_deferred_open(atomic_load(&S.pending)) ? 1 : 0);
    call_done();
}

/* Runs fn on the loop thread and waits for it (TMO at most). */
static void on_loop(sio_call_fn fn)
{
    pthread_mutex_lock(&S.lock);
    int before = S.done;
    assert_int_equal(sio_server_call(S.srv, fn, NULL), SIO_OK);
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += TMO / 1000;
    while (S.done == before && pthread_cond_timedwait(&S.cond, &S.lock, &until) == 0)
        ;
    int done = S.done;
    pthread_mutex_unlock(&S.lock);
    assert_int_equal(done, before + 1);
}

/* Waits until the handler holds a deferred response, the connection
 * staying silent meanwhile. */
static void until_pending(raw_conn *c)
{
    int64_t deadline = now_ms() + TMO;
    while (!atomic_load(&S.pending) && now_ms() < deadline)
        assert_true(raw_stays_open(c, 10));
    assert_non_null(atomic_load(&S.pending));
}

static void test_answered_later_on_a_connection_that_stays(void **state)
{
    raw_conn c;
    assert_int_equal(raw_connect(&c, sio_server_port(S.srv)), 0);
    assert_int_equal(raw_send_str(&c, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    until_pending(&c);
    /* Held past libwebsockets' 5 s timeout for HTTP connections. */
    assert_true(raw_stays_open(&c, 5500));
    on_loop(reply_now);
    assert_int_equal(atomic_load(&S.result), SIO_OK);
    raw_response r;
    assert_int_equal(raw_read_response(&c, &r, TMO), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "done");
    raw_response_free(&r);
    /* The connection serves the next request. */
    assert_int_equal(raw_send_str(&c, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(raw_read_response(&c, &r, TMO), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "now");
    raw_response_free(&r);
    raw_close(&c);
}

static void test_client_hangs_up(void **state)
{
    raw_conn c;
    assert_int_equal(raw_connect(&c, sio_server_port(S.srv)), 0);
    assert_int_equal(raw_send_str(&c, "GET /later HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    until_pending(&c);
    on_loop(check_open);
    assert_int_equal(atomic_load(&S.result), 1);
    raw_close(&c);
    int64_t deadline = now_ms() + TMO;
    do
        on_loop(check_open);
    while (atomic_load(&S.result) == 1 && now_ms() < deadline);
    assert_int_equal(atomic_load(&S.result), 0); /* noticed */
    on_loop(reply_now);
    assert_int_equal(atomic_load(&S.result), SIO_ECLOSED);
}

static void test_deferred_then_declined(void **state)
{
    raw_conn c;
    assert_int_equal(raw_connect(&c, sio_server_port(S.srv)), 0);
    assert_int_equal(raw_send_str(&c, "GET /declined HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    raw_response r;
    assert_int_equal(raw_read_response(&c, &r, TMO), 0);
    assert_int_equal(r.status, 404);
    raw_response_free(&r);
    assert_null(atomic_load(&S.pending));
    raw_close(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_answered_later_on_a_connection_that_stays, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_hangs_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deferred_then_declined, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
