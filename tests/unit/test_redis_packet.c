/* Unit tests for cluster/redis_packet: an event as the core holds it (name,
 * JSON arguments, attachments) and Node's packet data ["event", ...args]
 * with the binaries in place, both ways, through the codec's bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cluster/redis_node.h"

/* Packs an event as a broadcast from uid "abcdef", decodes it again, and
 * reads the event back. */
static void round_trip(const sio_adapter_packet *in, redis_event *out, sio_redis_broadcast *m)
{
    sio_buf json, bytes;
    sio_buf_init(&json, 0);
    sio_buf_init(&bytes, 0);
    sio_redis_bin *bins;
    sio_redis_broadcast b = {.uid = "abcdef"};
    assert_int_equal(sio_redis_packet_make("/chat", in, &json, &bins, &b.packet), SIO_OK);
    assert_int_equal(sio_redis_broadcast_encode(&b, &bytes), SIO_REDIS_OK);
    free(bins);
    sio_buf_free(&json);
    assert_int_equal(sio_redis_broadcast_decode(bytes.data, bytes.len, m), SIO_REDIS_OK);
    sio_buf_free(&bytes);
    assert_string_equal(m->packet.nsp, "/chat");
    assert_int_equal(m->packet.type, 2);
    assert_int_equal(sio_redis_event_read(&m->packet.data, out), SIO_OK);
}

static void test_plain(void **state)
{
    sio_adapter_packet p = {"news", " [ 1, \"two\", {\"x\":[null]} ] ", NULL, 0};
    redis_event e;
    sio_redis_broadcast m;
    round_trip(&p, &e, &m);
    assert_string_equal(m.packet.data.json, "[\"news\",1,\"two\",{\"x\":[null]}]");
    assert_string_equal(e.p.event, "news");
    assert_string_equal(e.p.args_json, "[1,\"two\",{\"x\":[null]}]");
    assert_int_equal(e.p.nbins, 0);
    sio_redis_event_free(&e);
    sio_redis_broadcast_free(&m);
}

static void test_no_args_and_escapes(void **state)
{
    const char *cases[] = {NULL, "[]", " [ ] "};
    for (size_t i = 0; i < 3; i++) {
        sio_adapter_packet p = {"a \"quoted\"\n name", cases[i], NULL, 0};
        redis_event e;
        sio_redis_broadcast m;
        round_trip(&p, &e, &m);
        assert_string_equal(e.p.event, "a \"quoted\"\n name");
        assert_string_equal(e.p.args_json, "[]");
        sio_redis_event_free(&e);
        sio_redis_broadcast_free(&m);
    }
}

static void test_binary_keeps_its_place(void **state)
{
    const unsigned char one[] = {0, 255, 16}, two[] = {'a', 'b'};
    sio_binary bins[2] = {{one, sizeof(one)}, {two, sizeof(two)}};
    sio_adapter_packet p = {"file", "[{\"_placeholder\":true,\"num\":0},{\"deep\":[{\"_placeholder\":true,\"num\":1}]}]",
                            bins, 2};
    redis_event e;
    sio_redis_broadcast m;
    round_trip(&p, &e, &m);
    /* On the wire the binaries were bin values at their places; read back
     * they are placeholders again, numbered in order. */
    assert_int_equal(m.packet.data.nbins, 2);
    assert_int_equal(e.p.nbins, 2);
    assert_string_equal(e.p.args_json,
                        "[{\"_placeholder\":true,\"num\":0},{\"deep\":[{\"_placeholder\":true,\"num\":1}]}]");
    assert_int_equal(e.p.bins[0].len, 3);
    assert_memory_equal(e.p.bins[0].data, one, 3);
    assert_int_equal(e.p.bins[1].len, 2);
    assert_memory_equal(e.p.bins[1].data, two, 2);
    sio_redis_event_free(&e);
    sio_redis_broadcast_free(&m);
}

static void test_not_an_event(void **state)
{
    const char *bad[] = {"[]", "[1,2]", "{\"a\":1}", "\"x\"", "[null]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sio_redis_value v = {(char *)bad[i], strlen(bad[i]), NULL, 0};
        redis_event e;
        assert_int_equal(sio_redis_event_read(&v, &e), SIO_EINVAL);
        sio_redis_event_free(&e);
    }
    sio_redis_value absent = {0};
    redis_event e;
    assert_int_equal(sio_redis_event_read(&absent, &e), SIO_EINVAL);
    sio_redis_event_free(&e);
    /* Arguments that are not an array are refused before anything is sent. */
    sio_buf json;
    sio_buf_init(&json, 0);
    sio_redis_bin *bins;
    sio_redis_packet packet;
    sio_adapter_packet p = {"x", "{}", NULL, 0};
    assert_int_equal(sio_redis_packet_make("/", &p, &json, &bins, &packet), SIO_EINVAL);
    free(bins);
    sio_buf_free(&json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_no_args_and_escapes),
        cmocka_unit_test(test_binary_keeps_its_place),
        cmocka_unit_test(test_not_an_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
