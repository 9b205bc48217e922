/* The engine's counters (eio/eio_metrics.h), without I/O: sessions opened
 * and open by transport and version as they upgrade and close, upgrades
 * completed and abandoned, closes by reason, and the bytes of the packets
 * that go in and out, each against what the engine was given or gave. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "eio/eio_engine.h"
#include "eio/eio_metrics.h"

/* The transport: nothing to do; the engine's requests are not the subject. */
static void want_write(void *ctx, eio_conn *c) {}
static void close_conn(void *ctx, eio_conn *c) {}

static eio_engine *engine(size_t max_queue)
{
    eio_options o;
    eio_options_defaults(&o);
    if (max_queue)
        o.max_queue_bytes = max_queue;
    eio_transport_ops ops = {NULL, want_write, close_conn, NULL};
    eio_engine *e = eio_engine_new(&o, &ops, NULL);
    assert_non_null(e);
    return e;
}

static int recv_text(eio_conn *c, const char *text, int64_t now)
{
    return eio_conn_ws_recv(c, (const unsigned char *)text, strlen(text), false, now);
}

/* The payload of the held GET `g`, whose length it returns. */
static size_t take(eio_conn *g)
{
    sio_buf out;
    sio_buf_init(&out, 0);
    assert_int_equal(eio_conn_take_payload(g, &out), 0);
    size_t n = out.len;
    sio_buf_free(&out);
    return n;
}

static void test_sessions_by_transport_and_version(void **state)
{
    (void)state;
    eio_engine *e = engine(0);
    const eio_metrics *m = eio_engine_metrics(e);
    eio_conn g3 = {0}, w4 = {0}, g4 = {0}, probe = {0};
    eio_session *v3 = eio_engine_handshake_version(e, EIO_POLLING, 3, false, NULL, NULL, &g3, 0);
    eio_session *ws = eio_engine_handshake_version(e, EIO_WEBSOCKET, 4, false, NULL, NULL, &w4, 0);
    eio_session *up = eio_engine_handshake_version(e, EIO_POLLING, 4, false, NULL, NULL, &g4, 0);
    assert_true(v3 && ws && up);
    assert_int_equal(m->opened[EIO_POLLING][0], 1);
    assert_int_equal(m->opened[EIO_POLLING][1], 1);
    assert_int_equal(m->opened[EIO_WEBSOCKET][1], 1);
    assert_int_equal(m->open[EIO_POLLING][1], 1);

    /* An upgrade moves the session; opened keeps its handshake's transport. */
    take(&g4);
    assert_int_equal(eio_session_ws_probe(up, &probe, 0), EIO_ERR_NONE);
    assert_int_equal(recv_text(&probe, "2probe", 0), 0);
    assert_int_equal(recv_text(&probe, "5", 0), 0);
    assert_int_equal(m->upgrades, 1);
    assert_int_equal(m->open[EIO_POLLING][1], 0);
    assert_int_equal(m->open[EIO_WEBSOCKET][1], 2);
    assert_int_equal(m->opened[EIO_POLLING][1], 1);
    assert_int_equal(m->opened[EIO_WEBSOCKET][1], 1);

    /* Closes: by reason, and out of the open gauge. */
    assert_int_equal(recv_text(&w4, "1", 0), -1); /* the client's close packet: the engine lets go */
    eio_session_fail(up);
    eio_engine_tick(e, 100000); /* v3: nothing from the client: ping timeout */
    assert_int_equal(m->closed[EIO_CLOSE_TRANSPORT_CLOSE], 1);
    assert_int_equal(m->closed[EIO_CLOSE_TRANSPORT_ERROR], 1);
    assert_int_equal(m->closed[EIO_CLOSE_PING_TIMEOUT], 1);
    for (int t = 0; t < EIO_METRICS_TRANSPORTS; t++)
        for (int v = 0; v < EIO_METRICS_VERSIONS; v++)
            assert_int_equal(m->open[t][v], 0);
    eio_conn_closed(&g3);
    eio_conn_closed(&w4);
    eio_conn_closed(&probe);
    eio_engine_reap(e);
    eio_engine_free(e);
}

static void test_failed_upgrades(void **state)
{
    (void)state;
    eio_engine *e = engine(0);
    const eio_metrics *m = eio_engine_metrics(e);
    eio_conn g = {0}, p1 = {0}, p2 = {0}, p3 = {0};
    eio_session *s = eio_engine_handshake(e, EIO_POLLING, &g, 0);
    take(&g);
    /* Something else than "2probe" on the probe. */
    assert_int_equal(eio_session_ws_probe(s, &p1, 0), EIO_ERR_NONE);
    assert_int_equal(recv_text(&p1, "4hello", 0), -1);
    /* The probe's connection lost. */
    assert_int_equal(eio_session_ws_probe(s, &p2, 0), EIO_ERR_NONE);
    eio_conn_closed(&p2);
    /* No "5" within the upgrade timeout. */
    assert_int_equal(eio_session_ws_probe(s, &p3, 0), EIO_ERR_NONE);
    assert_int_equal(recv_text(&p3, "2probe", 0), 0);
    eio_engine_tick(e, 10001);
    assert_int_equal(m->upgrade_failures, 3);
    assert_int_equal(m->upgrades, 0);
    assert_int_equal(m->open[EIO_POLLING][1], 1);
    eio_engine_shutdown(e);
    eio_engine_free(e);
}

static void test_bytes_and_full_queue(void **state)
{
    (void)state;
    eio_engine *e = engine(1000);
    const eio_metrics *m = eio_engine_metrics(e);
    eio_conn g = {0}, post = {0}, w = {0};
    eio_session *s = eio_engine_handshake(e, EIO_POLLING, &g, 0);
    size_t open_len = take(&g);
    assert_true(open_len > 50);
    assert_int_equal(m->bytes_sent, open_len);
    /* A POST's body, whatever it holds: two packets here. */
    static const char body[] = "4hello\x1e" "4world";
    assert_int_equal(eio_session_poll_post_begin(s, &post), EIO_ERR_NONE);
    assert_int_equal(eio_session_poll_post(&post, (const unsigned char *)body, sizeof(body) - 1, 0), EIO_ERR_NONE);
    assert_int_equal(m->bytes_received, sizeof(body) - 1);
    /* A poll response: the payload as framed for polling. */
    sio_msg *msg = sio_msg_new('4', "abc", 3, false);
    assert_int_equal(eio_session_send(s, msg), EIO_SEND_OK);
    assert_int_equal(eio_session_send(s, msg), EIO_SEND_OK);
    assert_int_equal(eio_session_poll_get(s, &g, 0), EIO_ERR_NONE);
    assert_int_equal(take(&g), strlen("4abc\x1e" "4abc"));
    assert_int_equal(m->bytes_sent, open_len + 9);

    /* WebSocket: each message's payload, in and out. */
    eio_session *ws = eio_engine_handshake(e, EIO_WEBSOCKET, &w, 0);
    sio_msg *open = eio_conn_next_frame(&w);
    size_t sent = m->bytes_sent;
    assert_int_equal(eio_session_send(ws, msg), EIO_SEND_OK);
    sio_msg *f = eio_conn_next_frame(&w);
    assert_int_equal(m->bytes_sent, sent + f->len);
    assert_int_equal(f->len, 4);
    assert_int_equal(recv_text(&w, "4xyz", 0), 0);
    assert_int_equal(m->bytes_received, sizeof(body) - 1 + 4);
    sio_msg_unref(open);
    sio_msg_unref(f);

    /* A queue over its limit closes its session, counted by reason. */
    static const char blob[2000];
    sio_msg *big = sio_msg_new('4', blob, sizeof(blob), false);
    assert_int_equal(eio_session_send(ws, big), EIO_SEND_QUEUE_FULL);
    sio_msg_unref(big);
    assert_int_equal(m->closed[EIO_CLOSE_QUEUE_FULL], 1);
    assert_int_equal(m->open[EIO_WEBSOCKET][1], 0);
    sio_msg_unref(msg);
    eio_conn_closed(&w);
    eio_engine_shutdown(e);
    eio_engine_free(e);
}

/* The bytes that are not a queued packet's: the probe exchange, the held
 * poll's noop, a v3 binary frame's type byte, a JSONP script and form. */
static void test_bytes_of_upgrade_v3_binary_and_jsonp(void **state)
{
    (void)state;
    eio_engine *e = engine(0);
    const eio_metrics *m = eio_engine_metrics(e);
    eio_conn g = {0}, probe = {0};
    eio_session *s = eio_engine_handshake_version(e, EIO_POLLING, 3, false, NULL, NULL, &g, 0);
    take(&g);
    uint64_t sent = m->bytes_sent, received = m->bytes_received;

    /* "2probe" in, "3probe" out, "1:6" to the held poll, "5" in. */
    assert_int_equal(eio_session_poll_get(s, &g, 0), EIO_ERR_NONE);
    assert_int_equal(eio_session_ws_probe(s, &probe, 0), EIO_ERR_NONE);
    assert_int_equal(recv_text(&probe, "2probe", 0), 0);
    sio_msg *f = eio_conn_next_frame(&probe);
    assert_non_null(f);
    assert_int_equal(f->len, 6);
    sio_msg_unref(f);
    assert_int_equal(take(&g), 3);
    assert_int_equal(recv_text(&probe, "5", 0), 0);
    assert_int_equal(m->bytes_received, received + 6 + 1);
    assert_int_equal(m->bytes_sent, sent + 6 + 3);

    /* v3 binary frames carry a type byte before the data, both ways. */
    static const unsigned char in[] = {4, 1, 2, 3};
    assert_int_equal(eio_conn_ws_recv(&probe, in, sizeof(in), true, 0), 0);
    assert_int_equal(m->bytes_received, received + 7 + 4);
    sio_msg *bin = sio_msg_new(0, "\x01\x02", 2, true);
    assert_int_equal(eio_session_send(s, bin), EIO_SEND_OK);
    f = eio_conn_next_frame(&probe);
    assert_ptr_equal(f, bin);
    assert_int_equal(m->bytes_sent, sent + 9 + 1 + 2);
    sio_msg_unref(f);
    sio_msg_unref(bin);
    eio_conn_closed(&probe);

    /* JSONP: the script as it goes out, the form as it came. */
    eio_conn jg = {.jsonp = true, .jsonp_index = 7}, jpost = {.jsonp = true};
    eio_session *j = eio_engine_handshake_version(e, EIO_POLLING, 3, true, NULL, NULL, &jg, 0);
    assert_non_null(j);
    sent = m->bytes_sent;
    sio_buf out;
    sio_buf_init(&out, 0);
    assert_int_equal(eio_conn_take_payload(&jg, &out), 0); /* the open packet */
    assert_true(out.len > 14 && memcmp(out.data, "___eio[7](\"", 11) == 0);
    assert_int_equal(m->bytes_sent, sent + out.len);
    received = m->bytes_received;
    static const char form[] = "d=1%3A2"; /* "1:2": a ping */
    assert_int_equal(eio_session_poll_post_begin(j, &jpost), EIO_ERR_NONE);
    assert_int_equal(eio_session_poll_post(&jpost, (const unsigned char *)form, sizeof(form) - 1, 0), EIO_ERR_NONE);
    assert_int_equal(m->bytes_received, received + sizeof(form) - 1);
    static const char pong[] = "___eio[7](\"1:3\");";
    sent = m->bytes_sent;
    sio_buf_reset(&out);
    assert_int_equal(eio_session_poll_get(j, &jg, 0), EIO_ERR_NONE);
    assert_int_equal(eio_conn_take_payload(&jg, &out), 0);
    assert_int_equal(out.len, sizeof(pong) - 1);
    assert_memory_equal(out.data, pong, out.len);
    assert_int_equal(m->bytes_sent, sent + out.len);
    sio_buf_free(&out);
    eio_engine_shutdown(e);
    eio_engine_free(e);
}

static void test_refusals(void **state)
{
    (void)state;
    eio_engine *e = engine(0);
    eio_metrics *m = eio_engine_metrics(e);
    eio_metrics_refused(m, EIO_ERR_UNKNOWN_SID);
    eio_metrics_refused(m, EIO_ERR_UNSUPPORTED_PROTOCOL_VERSION);
    eio_metrics_refused(m, EIO_ERR_NONE); /* not a code: ignored */
    eio_metrics_refused(m, 6);
    assert_int_equal(m->refused[1], 1);
    assert_int_equal(m->refused[5], 1);
    assert_int_equal(m->refused[0] + m->refused[2] + m->refused[3] + m->refused[4], 0);
    eio_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sessions_by_transport_and_version),
        cmocka_unit_test(test_failed_upgrades),
        cmocka_unit_test(test_bytes_and_full_queue),
        cmocka_unit_test(test_bytes_of_upgrade_v3_binary_and_jsonp),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
