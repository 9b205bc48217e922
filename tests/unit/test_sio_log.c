/* The core's log records (sio/sio_log.c): a connection, a disconnection
 * with its duration (on the harness's fake clock) and reason, a refused
 * CONNECT; sio_socket_transport and sio_socket_protocol; and the same
 * records as text lines for an application that set only `log`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "support/sio_harness.h"

#define MAX_RECORDS 16

/* Each record as "level msg key=value ...", made by the test itself so
 * that the fields are checked, not the library's formatter. */
static char records[MAX_RECORDS][512];
static size_t n_records;

static void on_record(const sio_log_record *r, void *user)
{
    (void)user;
    assert_true(n_records < MAX_RECORDS);
    char *p = records[n_records], *end = p + sizeof(records[0]);
    p += snprintf(p, (size_t)(end - p), "%d %s", r->level, r->msg);
    for (size_t i = 0; i < r->n_fields && p < end; i++) {
        const sio_log_field *f = &r->fields[i];
        if (f->str)
            p += snprintf(p, (size_t)(end - p), " %s=%s", f->key, f->str);
        else
            p += snprintf(p, (size_t)(end - p), " %s=%lld", f->key, (long long)f->num);
    }
    n_records++;
}

static void on_line(int level, const char *line, void *user)
{
    (void)user;
    assert_true(n_records < MAX_RECORDS);
    snprintf(records[n_records++], sizeof(records[0]), "%d %s", level, line);
}

static sio_socket *last_connected;
static char last_reason[64];
static char transport_at_disconnect[16];
static int protocol_at_disconnect;

static void on_conn(sio_socket *s, void *user)
{
    (void)user;
    last_connected = s;
}

static void on_disc(sio_socket *s, const char *reason, void *user)
{
    (void)user;
    snprintf(last_reason, sizeof(last_reason), "%s", reason);
    snprintf(transport_at_disconnect, sizeof(transport_at_disconnect), "%s", sio_socket_transport(s));
    protocol_at_disconnect = sio_socket_protocol(s);
}

static int setup(void **state)
{
    n_records = 0;
    last_connected = NULL;
    last_reason[0] = transport_at_disconnect[0] = 0;
    *state = env_new();
    return 0;
}

static int teardown(void **state)
{
    env_free(*state);
    return 0;
}

static void start(env *e, bool as_records)
{
    sio_options o;
    sio_options_init(&o);
    if (as_records)
        o.log_record = on_record;
    else
        o.log = on_line;
    env_start(e, &o, NULL);
    sio_namespace *root = sio_of(e->srv, "/");
    sio_on_connection(root, on_conn, NULL);
    sio_on_disconnect(root, on_disc, NULL);
}

/* A client connected to "/" on a server that logs records; sid gets the socket's id. */
static client *connected(env *e, char sid[SIO_ID_LEN + 1])
{
    start(e, true);
    client *c = client_open(e);
    assert_int_equal(client_send(c, "40"), 0);
    expect_connect_reply(c, "/", sid);
    assert_non_null(last_connected);
    return c;
}

static void test_connect_and_disconnect(void **state)
{
    char sid[SIO_ID_LEN + 1];
    client *c = connected(*state, sid);
    assert_string_equal(sio_socket_transport(last_connected), "websocket");
    assert_int_equal(sio_socket_protocol(last_connected), 4);
    assert_int_equal(n_records, 1);
    char want[512];
    /* The harness's sessions have no HTTP request: no address. */
    snprintf(want, sizeof(want), "2 connect address= transport=websocket protocol=4 namespace=/ socket=%s sid=%s",
             sid, c->eio_sid);
    assert_string_equal(records[0], want);

    fake_now += 1234;
    assert_int_equal(client_send(c, "41"), 0);
    assert_string_equal(last_reason, "client namespace disconnect");
    assert_string_equal(transport_at_disconnect, "websocket");
    assert_int_equal(protocol_at_disconnect, 4);
    assert_int_equal(n_records, 2);
    snprintf(want, sizeof(want),
             "2 disconnect address= transport=websocket protocol=4 namespace=/ socket=%s duration_ms=1234 "
             "reason=client namespace disconnect",
             sid);
    assert_string_equal(records[1], want);
}

static void test_transport_close(void **state)
{
    char sid[SIO_ID_LEN + 1];
    client *c = connected(*state, sid);
    fake_now += 5;
    conn_gone(&c->conn);
    settle();
    /* The session is gone, its transport is remembered. */
    assert_string_equal(last_reason, "transport close");
    assert_string_equal(transport_at_disconnect, "websocket");
    assert_int_equal(n_records, 2);
    assert_non_null(strstr(records[1], " duration_ms=5 reason=transport close"));
}

static void test_refused_namespaces(void **state)
{
    env *e = *state;
    start(e, true);
    client *c = client_open(e);
    assert_int_equal(client_send(c, "40/nope,"), 0);
    drain(c);
    assert_int_equal(n_records, 1);
    char want[512];
    snprintf(want, sizeof(want),
             "2 connect refused address= transport=websocket protocol=4 namespace=/nope sid=%s "
             "reason=Invalid namespace",
             c->eio_sid);
    assert_string_equal(records[0], want);
    /* Any name a client sends: the record holds it as it is (the
     * formatter escapes it); one record each. */
    assert_int_equal(client_send(c, "40/a b\"c=d,"), 0);
    drain(c);
    assert_int_equal(n_records, 2);
    assert_non_null(strstr(records[1], " namespace=/a b\"c=d "));
}

static bool refuse_all(sio_socket *s, const char **message, const char **data, void *user)
{
    (void)s;
    (void)data;
    (void)user;
    *message = "banned";
    return false;
}

static void test_middleware_refusal_as_a_line(void **state)
{
    env *e = *state;
    start(e, false);
    assert_int_equal(sio_use(sio_of(e->srv, "/"), refuse_all, NULL), SIO_OK);
    client *c = client_open(e);
    assert_int_equal(client_send(c, "40"), 0);
    drain(c);
    assert_null(last_connected);
    assert_int_equal(n_records, 1);
    char want[512];
    snprintf(want, sizeof(want),
             "2 connect refused address=\"\" transport=websocket protocol=4 namespace=/ sid=%s reason=banned",
             c->eio_sid);
    assert_string_equal(records[0], want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_connect_and_disconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_transport_close, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_namespaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_middleware_refusal_as_a_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
