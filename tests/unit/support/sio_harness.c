/* The core's unit-test harness (sio_harness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sio_harness.h"

int64_t fake_now;
eio_engine *current_engine;
int64_t fake_clock(void) { return fake_now; }

void ft_want_write(void *ctx, eio_conn *c)
{
    (void)c;
    ((fake_transport *)ctx)->want_writes++;
}

void ft_close_conn(void *ctx, eio_conn *c)
{
    fake_transport *ft = ctx;
    assert_null(c->session); /* the engine let go first */
    ft->closes++;
    ft->last_closed = c;
}

env *env_new(void)
{
    env *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->msg_base = sio_msg_live_count();
    fake_now = 1000;
    return e;
}

void env_start(env *e, const sio_options *so, const eio_options *eo)
{
    sio_options o;
    if (so)
        o = *so;
    else
        sio_options_init(&o);
    e->srv = sio_core_new(&o);
    assert_non_null(e->srv);
    e->srv->clock = fake_clock;
    e->ops = (eio_transport_ops){&e->ft, ft_want_write, ft_close_conn, NULL};
    eio_handler h = sio_core_engine_handler(e->srv);
    e->eng = eio_engine_new(eo, &e->ops, &h);
    assert_non_null(e->eng);
    e->srv->eng = e->eng;
    current_engine = e->eng;
}

void env_free(env *e)
{
    /* The transport drops every connection: the sessions close, and the
     * core lets go of their clients and sockets. */
    for (size_t i = 0; i < e->n_cl; i++)
        eio_conn_closed(&e->cl[i].conn);
    if (e->eng) {
        eio_engine_reap(e->eng);
        eio_engine_free(e->eng);
        current_engine = NULL;
    }
    sio_core_free(e->srv);
    long live = sio_msg_live_count();
    long base = e->msg_base;
    free(e);
    if (live != base)
        fail_msg("%ld sio_msg(s) leaked", live - base);
}

client *client_open_raw(env *e)
{
    assert_true(e->n_cl < MAX_CLIENTS);
    client *c = &e->cl[e->n_cl++];
    memset(c, 0, sizeof(*c));
    c->es = eio_engine_handshake(e->eng, EIO_WEBSOCKET, &c->conn, fake_now);
    assert_non_null(c->es);
    assert_ptr_equal(c->conn.session, c->es);
    snprintf(c->eio_sid, sizeof(c->eio_sid), "%s", eio_session_sid(c->es));
    return c;
}

client *client_open(env *e)
{
    client *c = client_open_raw(e);
    sio_msg *m = eio_conn_next_frame(&c->conn);
    assert_non_null(m);
    assert_false(m->binary);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "0{\"sid\":\"%s\"", c->eio_sid);
    assert_true(m->len > strlen(prefix));
    assert_memory_equal(m->data, prefix, strlen(prefix));
    sio_msg_unref(m);
    return c;
}

void settle(void)
{
    if (current_engine)
        eio_engine_deliver_closes(current_engine);
}

int client_send(client *c, const char *text)
{
    int rc = eio_conn_ws_recv(&c->conn, (const unsigned char *)text, strlen(text), false, fake_now);
    settle();
    return rc;
}

int client_send_bin(client *c, const void *p, size_t n)
{
    int rc = eio_conn_ws_recv(&c->conn, p, n, true, fake_now);
    settle();
    return rc;
}

void conn_gone(eio_conn *c)
{
    eio_conn_closed(c);
    settle();
}

void expect_text(client *c, const char *want)
{
    sio_msg *m = eio_conn_next_frame(&c->conn);
    if (!m)
        fail_msg("no frame, want '%s'", want);
    if (m->binary || m->len != strlen(want) || memcmp(m->data, want, m->len) != 0) {
        char got[512];
        snprintf(got, sizeof(got), "%.*s", (int)m->len, (const char *)m->data);
        bool bin = m->binary;
        sio_msg_unref(m);
        fail_msg("frame '%s'%s, want '%s'", got, bin ? " (binary)" : "", want);
    }
    sio_msg_unref(m);
}

void expect_binary(client *c, const void *want, size_t n)
{
    sio_msg *m = eio_conn_next_frame(&c->conn);
    assert_non_null(m);
    assert_true(m->binary);
    assert_int_equal(m->len, n);
    if (n)
        assert_memory_equal(m->data, want, n);
    sio_msg_unref(m);
}

void expect_none(client *c)
{
    sio_msg *m = eio_conn_next_frame(&c->conn);
    if (m) {
        char got[512];
        snprintf(got, sizeof(got), "%.*s", (int)m->len, (const char *)m->data);
        sio_msg_unref(m);
        fail_msg("unexpected frame '%s'", got);
    }
}

int drain(client *c)
{
    int n = 0;
    sio_msg *m;
    while ((m = eio_conn_next_frame(&c->conn))) {
        sio_msg_unref(m);
        n++;
    }
    return n;
}

void expect_connect_reply(client *c, const char *nsp, char sid[SIO_ID_LEN + 1])
{
    char prefix[128];
    snprintf(prefix, sizeof(prefix), "40%s%s{\"sid\":\"", nsp && strcmp(nsp, "/") ? nsp : "",
             nsp && strcmp(nsp, "/") ? "," : "");
    sio_msg *m = eio_conn_next_frame(&c->conn);
    if (!m)
        fail_msg("no CONNECT reply for %s", nsp ? nsp : "/");
    size_t pl = strlen(prefix);
    if (m->binary || m->len != pl + SIO_ID_LEN + 2 || memcmp(m->data, prefix, pl) != 0 ||
        memcmp(m->data + pl + SIO_ID_LEN, "\"}", 2) != 0) {
        char got[256];
        snprintf(got, sizeof(got), "%.*s", (int)m->len, (const char *)m->data);
        sio_msg_unref(m);
        fail_msg("CONNECT reply '%s', want '%s<20 chars>\"}'", got, prefix);
    }
    memcpy(sid, m->data + pl, SIO_ID_LEN);
    sid[SIO_ID_LEN] = 0;
    sio_msg_unref(m);
}
