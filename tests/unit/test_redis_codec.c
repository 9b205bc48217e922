/* Unit tests for cluster/redis_codec: the messages of Node's Redis adapter
 * and emitter, read and written.
 *
 * The vectors are files of proto/redis/ (tests/interop/redis_vectors.mjs
 * writes them): notepack/ holds messages encoded by the real notepack.io,
 * captured/ messages a live socket.io 4.8 node and the emitter published
 * through a real redis-server. Each decodes to the description listed
 * below (a compact rendering of the decoded struct); where our encoder
 * writes keys in Node's order, encoding the decoded struct gives the same
 * bytes again. Every truncation of every vector is refused cleanly, and so
 * are hostile inputs (huge lengths, deep nesting, bad types). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cluster/redis_codec.h"
#include "support/fixtures.h"
#include "util/buf.h"

/* --- rendering a decoded message as text --------------------------------- */

#define put(b, ...) assert_int_equal(sio_buf_printf((b), __VA_ARGS__), 0)

static void put_strs(sio_buf *b, const char *name, const sio_redis_strs *l)
{
    put(b, " %s=[", name);
    for (size_t i = 0; i < l->n; i++)
        put(b, "%s%s", i ? "," : "", l->v[i]);
    put(b, "]");
}

/* Long JSON is cut so that the tables stay readable. */
static void put_value(sio_buf *b, const char *name, const sio_redis_value *v)
{
    if (!v->json)
        return;
    put(b, " %s=%.*s", name, v->json_len > 200 ? 200 : (int)v->json_len, v->json);
    for (size_t i = 0; i < v->nbins; i++) {
        put(b, " bin%zu=", i);
        for (size_t k = 0; k < v->bins[i].len && k < 8; k++)
            put(b, "%02x", v->bins[i].data[k]);
    }
}

static void put_opts(sio_buf *b, const sio_redis_opts *o)
{
    put_strs(b, "rooms", &o->rooms);
    put_strs(b, "except", &o->except);
    if (!o->has_flags)
        return;
    const sio_redis_flags *f = &o->flags;
    put(b, " flags=%s%s%s%s%s", f->is_volatile ? "v" : "", f->compress ? "c" : "", f->local ? "l" : "",
        f->broadcast ? "b" : "", f->binary ? "B" : "");
    if (f->has_timeout)
        put(b, "t%llu", (unsigned long long)f->timeout);
}

static void put_packet(sio_buf *b, const sio_redis_packet *p)
{
    put(b, " type=%d nsp=%s", p->type, p->nsp);
    put_value(b, "data", &p->data);
    if (p->has_id)
        put(b, " id=%lld", (long long)p->id);
}

static char *render_broadcast(const sio_redis_broadcast *m)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    put(&b, "B uid=%s", m->uid);
    put_packet(&b, &m->packet);
    put_opts(&b, &m->opts);
    assert_int_equal(sio_buf_putc(&b, 0), 0);
    return (char *)b.data;
}

/* Random ids of the captured vectors are shown as their length. */
static void put_id(sio_buf *b, const char *name, const char *id, bool stable)
{
    if (!id)
        return;
    if (stable)
        put(b, " %s=%s", name, id);
    else
        put(b, " %s=<%zu>", name, strlen(id));
}

static char *render_request(const sio_redis_request *r, bool stable)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    put(&b, "Q type=%d", (int)r->type);
    put_id(&b, "uid", r->uid, stable || (r->uid && strcmp(r->uid, SIO_REDIS_EMITTER_UID) == 0));
    put_id(&b, "req", r->request_id, stable);
    if (r->has_opts)
        put_opts(&b, &r->opts);
    if (r->rooms.n)
        put_strs(&b, "list", &r->rooms);
    if (r->sid)
        put(&b, " sid=%s", r->sid);
    if (r->room)
        put(&b, " room=%s", r->room);
    if (r->close)
        put(&b, " close");
    put_value(&b, "data", &r->data);
    if (r->type == SIO_REDIS_BROADCAST)
        put_packet(&b, &r->packet);
    assert_int_equal(sio_buf_putc(&b, 0), 0);
    return (char *)b.data;
}

static char *render_response(const sio_redis_response *r, bool stable)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    put(&b, "R");
    if (r->has_type)
        put(&b, " type=%d", (int)r->type);
    put_id(&b, "req", r->request_id, stable);
    if (r->has_sockets) {
        put(&b, " sockets=%zu", r->sids.n + r->nsockets);
        for (size_t i = 0; i < r->nsockets; i++) {
            const sio_redis_socket *s = &r->sockets[i];
            put(&b, " {id=<%zu>", strlen(s->id));
            put(&b, " handshake=%s", s->handshake.json ? "object" : "none");
            put(&b, " rooms=%zu", s->rooms.n);
            put_value(&b, "data", &s->data);
            put(&b, "}");
        }
    }
    if (r->has_rooms)
        put_strs(&b, "rooms", &r->rooms);
    if (r->has_type && r->type == SIO_REDIS_BROADCAST_CLIENT_COUNT)
        put(&b, " count=%llu", (unsigned long long)r->client_count);
    put_value(&b, "data", &r->data);
    assert_int_equal(sio_buf_putc(&b, 0), 0);
    return (char *)b.data;
}

/* --- the vectors ------------------------------------------------------------ */

typedef enum kind { BROADCAST, REQUEST, RESPONSE } kind;

typedef struct vector {
    const char *name;  /* file name without its extension */
    kind kind;
    bool same_bytes;   /* encoding the decoded message gives the file again */
    const char *expect;
} vector;

static const vector notepack_vectors[] = {
    {"broadcast-plain", BROADCAST, true,
     "B uid=abc123 type=2 nsp=/ data=[\"ev\",1,1.5,\"\xc3\xa9\",{\"k\":[true,null]}] rooms=[] except=[] flags="},
    {"broadcast-binary", BROADCAST, true,
     "B uid=abc123 type=2 nsp=/custom data=[\"bin\",{\"_placeholder\":true,\"num\":0},{\"nested\":{\"_placeholder\":"
     "true,\"num\":1},\"list\":[{\"_placeholder\":true,\"num\":2}]}] bin0=010203 bin1= bin2=ff rooms=[r1] "
     "except=[x,y] flags=vc"},
    {"broadcast-numbers", BROADCAST, true,
     "B uid=abc123 type=2 nsp=/ data=[\"n\",0,127,128,255,256,65535,65536,4294967295,4294967296,9007199254740992,"
     "-1,-32,-33,-128,-129,-32768,-32769,-2147483648,-2147483649,-9007199254740992,0.5,-0.25,1e-07,123.456] "
     "rooms=[] except=[] flags="},
    {"broadcast-strings", BROADCAST, true, NULL},
    {"broadcast-containers", BROADCAST, true,
     "B uid=abc123 type=2 nsp=/ data=[\"c\",[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15],{\"k0\":0,\"k1\":1,\"k2\":2,"
     "\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,\"k8\":8,\"k9\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,"
     "\"k14\":14,\"k15\":15},[],{},[[[[1]]]]] rooms=[] except=[] flags="},
    {"broadcast-flags", BROADCAST, false,
     "B uid=abc123 type=2 nsp=/ data=[\"f\"] rooms=[a,b] except=[] flags=vbt1500"},
    {"broadcast-date", BROADCAST, false,
     "B uid=abc123 type=2 nsp=/ data=[\"d\",\"2024-01-02T03:04:05.006Z\",\"2024-01-02T03:04:05.000Z\","
     "\"1969-12-31T23:59:59.000Z\"] rooms=[] except=[] flags="},
    {"broadcast-undefined", BROADCAST, true,
     "B uid=abc123 type=2 nsp=/ data=[\"u\",null,{\"b\":1}] rooms=[] except=[] flags="},
    {"broadcast-no-nsp", BROADCAST, false, "B uid=abc123 type=2 nsp=/ data=[\"x\"] rooms=[] except=[] flags="},
    {"request-broadcast-ack", REQUEST, true,
     "Q type=7 uid=abc123 req=req001 rooms=[r1] except=[] flags=t2000 type=2 nsp=/ "
     "data=[\"ask\",{\"_placeholder\":true,\"num\":0}] bin0=6869"},
    {"response-ack", RESPONSE, true, "R type=9 req=req001 data={\"back\":\"yes\",\"n\":[1,2]}"},
    {"response-ack-binary", RESPONSE, true, "R type=9 req=req001 data={\"_placeholder\":true,\"num\":0} bin0=000102"},
};

static const vector captured_vectors[] = {
    {"broadcast-room", BROADCAST, true, NULL},
    {"broadcast-rooms-volatile", BROADCAST, true, NULL},
    {"request-fetch", REQUEST, true, "Q type=5 uid=<6> req=<6> rooms=[r1] except=[]"},
    {"response-fetch", RESPONSE, true,
     "R req=<6> sockets=1 {id=<20> handshake=object rooms=2 data={\"name\":\"bob\"}}"},
    {"request-sse", REQUEST, true, "Q type=6 uid=<6> data=[\"sse\",1,\"two\"]"},
    {"request-sse-ack", REQUEST, true, "Q type=6 uid=<6> req=<6> data=[\"sse\",1]"},
    {"response-sse", RESPONSE, true, NULL},
    {"request-join", REQUEST, true, "Q type=2 uid=<6> rooms=[r1] except=[] list=[r9]"},
    {"request-leave", REQUEST, true, "Q type=3 uid=<6> rooms=[] except=[r2] list=[r9]"},
    {"request-broadcast", REQUEST, true,
     "Q type=7 uid=<6> req=<6> rooms=[r1] except=[] flags=t2000 type=2 nsp=/ "
     "data=[\"ev\",{\"_placeholder\":true,\"num\":0}] bin0=ff"},
    {"response-client-count", RESPONSE, true, "R type=8 req=<6> count=1"},
    {"response-broadcast-ack", RESPONSE, true, "R type=9 req=<6> data={\"back\":\"yes\"}"},
    {"emitter-broadcast", BROADCAST, false,
     "B uid=emitter type=2 nsp=/ data=[\"ev\",\"from emitter\",{\"_placeholder\":true,\"num\":0}] bin0=07 "
     "rooms=[r1] except=[x] flags=v"},
    {"emitter-join", REQUEST, true, "Q type=2 rooms=[r1] except=[] list=[r7,r8]"},
    {"emitter-leave", REQUEST, true, "Q type=3 rooms=[] except=[r2] list=[r7]"},
    {"emitter-sse", REQUEST, true, "Q type=6 uid=emitter data=[\"sse\",{\"from\":\"emitter\"}]"},
    {"emitter-disconnect", REQUEST, true, "Q type=4 rooms=[r1] except=[] close"},
    {"request-disconnect", REQUEST, true, "Q type=4 uid=<6> rooms=[r1] except=[]"},
};

/* Decodes p[0..n) as `k`; returns the error, and the rendering in *text. */
static int decode_render(kind k, const void *p, size_t n, bool stable, char **text, sio_buf *again)
{
    int rc;
    *text = NULL;
    switch (k) {
    case BROADCAST: {
        sio_redis_broadcast m;
        rc = sio_redis_broadcast_decode(p, n, &m);
        if (rc == SIO_REDIS_OK) {
            *text = render_broadcast(&m);
            if (again)
                assert_int_equal(sio_redis_broadcast_encode(&m, again), SIO_REDIS_OK);
        }
        sio_redis_broadcast_free(&m);
        return rc;
    }
    case REQUEST: {
        sio_redis_request r;
        rc = sio_redis_request_decode(p, n, &r);
        if (rc == SIO_REDIS_OK) {
            *text = render_request(&r, stable);
            if (again)
                assert_int_equal(sio_redis_request_encode(&r, again), SIO_REDIS_OK);
        }
        sio_redis_request_free(&r);
        return rc;
    }
    case RESPONSE: {
        sio_redis_response r;
        rc = sio_redis_response_decode(p, n, &r);
        if (rc == SIO_REDIS_OK) {
            *text = render_response(&r, stable);
            if (again)
                assert_int_equal(sio_redis_response_encode(&r, again), SIO_REDIS_OK);
        }
        sio_redis_response_free(&r);
        return rc;
    }
    }
    return -100;
}

static bool is_error(int rc)
{
    return rc == SIO_REDIS_E_MSGPACK || rc == SIO_REDIS_E_JSON || rc == SIO_REDIS_E_SHAPE ||
           rc == SIO_REDIS_E_VALUE;
}

/* Every proper prefix is refused (a JSON prefix or a MessagePack prefix is
 * never a complete message of the same kind), read from a copy that ends at
 * a PROT_NONE page. */
static void check_truncations(kind k, const fixture *f)
{
    for (size_t n = 0; n < f->len; n++) {
        void *base;
        size_t maplen;
        void *copy = fixture_dup_guarded(f->data, n, &base, &maplen);
        char *text;
        int rc = decode_render(k, copy, n, true, &text, NULL);
        if (!is_error(rc))
            fail_msg("%s cut to %zu bytes: %d (%s)", f->name, n, rc, text ? text : "");
        munmap(base, maplen);
    }
}

static void run_vectors(const char *dir, const char *ext, const vector *vs, size_t nv, bool stable)
{
    fixture_set set = fixture_load(dir, ext, true, true);
    assert_int_equal(set.n, nv);
    for (size_t i = 0; i < nv; i++) {
        const fixture *f = NULL;
        for (size_t k = 0; k < set.n; k++)
            if (strcmp(set.f[k].name, vs[i].name) == 0)
                f = &set.f[k];
        if (!f)
            fail_msg("proto/%s has no %s%s", dir, vs[i].name, ext);
        sio_buf again;
        sio_buf_init(&again, 0);
        char *text;
        int rc = decode_render(vs[i].kind, f->data, f->len, stable, &text, &again);
        if (rc != SIO_REDIS_OK)
            fail_msg("%s: %s", f->name, sio_redis_strerror(rc));
        if (vs[i].expect && strcmp(text, vs[i].expect) != 0)
            fail_msg("%s decodes to\n  %s\nnot\n  %s", f->name, text, vs[i].expect);
        if (vs[i].same_bytes && (again.len != f->len || memcmp(again.data, f->data, f->len) != 0))
            fail_msg("%s: encoding again gives %zu other bytes (%.*s)", f->name, again.len,
                     again.len > 300 ? 300 : (int)again.len, (const char *)again.data);
        /* What we write, we read back the same. */
        char *text2;
        assert_int_equal(decode_render(vs[i].kind, again.data, again.len, stable, &text2, NULL), SIO_REDIS_OK);
        assert_string_equal(text2, text);
        free(text2);
        free(text);
        sio_buf_free(&again);
        check_truncations(vs[i].kind, f);
    }
    fixture_free(&set);
}

static void test_notepack_vectors(void **state)
{
    (void)state;
    run_vectors("redis/notepack", ".mp", notepack_vectors, sizeof(notepack_vectors) / sizeof(notepack_vectors[0]),
                true);
}

static void test_captured_vectors(void **state)
{
    (void)state;
    run_vectors("redis/captured", ".bin", captured_vectors, sizeof(captured_vectors) / sizeof(captured_vectors[0]),
                false);
}

/* The long strings of broadcast-strings, checked apart. */
static void test_strings(void **state)
{
    (void)state;
    fixture_set set = fixture_load("redis/notepack", ".mp", true, true);
    const fixture *f = NULL;
    for (size_t k = 0; k < set.n; k++)
        if (strcmp(set.f[k].name, "broadcast-strings") == 0)
            f = &set.f[k];
    assert_non_null(f);
    sio_redis_broadcast m;
    assert_int_equal(sio_redis_broadcast_decode(f->data, f->len, &m), SIO_REDIS_OK);
    const char *j = m.packet.data.json;
    assert_non_null(strstr(j, "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\""));
    assert_non_null(strstr(j, "\"quote \\\" backslash \\\\ newline \\n tab \\t nul \\u0000 del \x7f\""));
    const size_t lens[] = {0, 31, 32, 255, 256, 65536};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        char *want = malloc(lens[i] + 4);
        assert_non_null(want);
        want[0] = '"';
        memset(want + 1, i ? 'a' + (int)i - 1 : 'x', lens[i]);
        memcpy(want + 1 + lens[i], "\"", 2); /* with its NUL */
        assert_non_null(strstr(j, want));
        free(want);
    }
    sio_redis_broadcast_free(&m);
    fixture_free(&set);
}

/* --- hostile input ------------------------------------------------------------ */

typedef struct bad {
    const char *what;
    const char *bytes;
    size_t len;
    int expect;
} bad;

#define B(what, s, err) {what, s, sizeof(s) - 1, err}

static const bad bad_broadcasts[] = {
    B("empty", "", SIO_REDIS_E_MSGPACK),
    B("array32 of 2^32-1", "\xdd\xff\xff\xff\xff", SIO_REDIS_E_MSGPACK),
    B("array32 of 2^32-1 inside", "\x93\xa1u\xdd\xff\xff\xff\xff\xc0", SIO_REDIS_E_MSGPACK),
    B("map32 of 2^31", "\xdf\x80\x00\x00\x00", SIO_REDIS_E_MSGPACK),
    B("map16 beyond input", "\xde\x00\x03\xa1k\xc0", SIO_REDIS_E_MSGPACK),
    B("str32 of 4 GB", "\xdb\xff\xff\xff\xff" "abc", SIO_REDIS_E_MSGPACK),
    B("bin32 of 4 GB", "\xc6\xff\xff\xff\xff" "abc", SIO_REDIS_E_MSGPACK),
    B("ext32 of 4 GB", "\xc9\xff\xff\xff\xff\x01" "abc", SIO_REDIS_E_MSGPACK),
    B("unused type byte", "\xc1", SIO_REDIS_E_MSGPACK),
    B("trailing byte", "\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\xa1" "e\x80\xc0", SIO_REDIS_E_MSGPACK),
    B("two values", "\xc0\xc0", SIO_REDIS_E_MSGPACK),
    B("not an array", "\x83\xa1" "a\x01\xa1" "b\x02\xa1" "c\x03", SIO_REDIS_E_SHAPE),
    B("two elements", "\x92\xa1u\x80", SIO_REDIS_E_SHAPE),
    B("uid not a string", "\x93\x01\x82\xa4type\x02\xa4" "data\x90\x80", SIO_REDIS_E_SHAPE),
    B("packet without type", "\x93\xa1u\x81\xa4" "data\x90\x80", SIO_REDIS_E_SHAPE),
    B("packet type 7", "\x93\xa1u\x81\xa4type\x07\x80", SIO_REDIS_E_SHAPE),
    B("opts not a map", "\x93\xa1u\x81\xa4type\x02\x90", SIO_REDIS_E_SHAPE),
    B("rooms not a list", "\x93\xa1u\x81\xa4type\x02\x81\xa5rooms\xa1r", SIO_REDIS_E_SHAPE),
    B("room a map", "\x93\xa1u\x81\xa4type\x02\x81\xa5rooms\x91\x80", SIO_REDIS_E_SHAPE),
    B("bad UTF-8 in data", "\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\xa2\xc3\x28\x80", SIO_REDIS_E_VALUE),
    B("lone surrogate (CESU) in data", "\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\xa3\xed\xa0\x80\x80",
      SIO_REDIS_E_VALUE),
    B("integer map key", "\x93\xa1u\x82\xa4type\x02\xa4" "data\x91\x81\x01\x02\x80", SIO_REDIS_E_VALUE),
    B("NUL in uid", "\x93\xa2u\x00\x81\xa4type\x02\x80", SIO_REDIS_E_VALUE),
};

static const bad bad_requests[] = {
    B("JSON cut", "{\"type\":2", SIO_REDIS_E_JSON),
    B("JSON trailing", "{\"type\":2}x", SIO_REDIS_E_JSON),
    B("JSON no type", "{\"uid\":\"a\"}", SIO_REDIS_E_SHAPE),
    B("JSON type 10", "{\"type\":10}", SIO_REDIS_E_SHAPE),
    B("JSON type -1", "{\"type\":-1}", SIO_REDIS_E_SHAPE),
    B("JSON type a string", "{\"type\":\"2\"}", SIO_REDIS_E_SHAPE),
    B("JSON uid a number", "{\"type\":2,\"uid\":5}", SIO_REDIS_E_SHAPE),
    B("JSON opts a list", "{\"type\":2,\"opts\":[]}", SIO_REDIS_E_SHAPE),
    B("broadcast without packet", "{\"type\":7,\"opts\":{}}", SIO_REDIS_E_SHAPE),
    B("MessagePack array", "\x91\x02", SIO_REDIS_E_SHAPE),
    B("MessagePack cut", "\x82\xa4type\x02\xa3uid", SIO_REDIS_E_MSGPACK),
};

static const bad bad_responses[] = {
    B("no requestId", "{\"type\":8,\"clientCount\":1}", SIO_REDIS_E_SHAPE),
    B("count a string", "{\"type\":8,\"requestId\":\"r\",\"clientCount\":\"1\"}", SIO_REDIS_E_SHAPE),
    B("mixed sockets", "{\"requestId\":\"r\",\"sockets\":[\"a\",{\"id\":\"b\"}]}", SIO_REDIS_E_SHAPE),
    B("socket without id", "{\"requestId\":\"r\",\"sockets\":[{\"rooms\":[]}]}", SIO_REDIS_E_SHAPE),
    B("socket list of numbers", "{\"requestId\":\"r\",\"sockets\":[1]}", SIO_REDIS_E_SHAPE),
};

static void check_bad(kind k, const bad *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        void *copy = fixture_dup_exact(list[i].bytes, list[i].len);
        char *text;
        int rc = decode_render(k, copy, list[i].len, true, &text, NULL);
        if (rc != list[i].expect)
            fail_msg("%s: %d (%s), not %d", list[i].what, rc, text ? text : "", list[i].expect);
        free(copy);
    }
}

static void test_bad_input(void **state)
{
    (void)state;
    check_bad(BROADCAST, bad_broadcasts, sizeof(bad_broadcasts) / sizeof(bad_broadcasts[0]));
    check_bad(REQUEST, bad_requests, sizeof(bad_requests) / sizeof(bad_requests[0]));
    check_bad(RESPONSE, bad_responses, sizeof(bad_responses) / sizeof(bad_responses[0]));
}

/* Nesting: msgpack-c's 32 levels are the limit. */
static void test_nesting(void **state)
{
    (void)state;
    /* [uid, {type: 2, data: [[[...]]]}, {}] with the data `depth` deep. */
    for (int depth = 20; depth <= 40; depth += 20) {
        sio_buf b;
        sio_buf_init(&b, 0);
        assert_int_equal(sio_buf_append(&b, "\x93\xa1u\x82\xa4type\x02\xa4" "data", 12), 0);
        for (int i = 0; i < depth; i++)
            assert_int_equal(sio_buf_putc(&b, 0x91), 0);
        assert_int_equal(sio_buf_append(&b, "\xc0\x80", 2), 0);
        sio_redis_broadcast m;
        int rc = sio_redis_broadcast_decode(b.data, b.len, &m);
        assert_int_equal(rc, depth < 30 ? SIO_REDIS_OK : SIO_REDIS_E_MSGPACK);
        sio_redis_broadcast_free(&m);
        sio_buf_free(&b);
    }
}

/* --- encoding from C ---------------------------------------------------------- */

static void test_encode_broadcast(void **state)
{
    (void)state;
    unsigned char bytes[] = {1, 2, 3};
    sio_redis_bin bins[] = {{bytes, 3}};
    char *rooms[] = {"r1"};
    const char *json = "[\"ev\",2.0,1e3,0.1,-0,1e300,\"\\u00e9\",{\"_placeholder\":true,\"num\":0}]";
    sio_redis_broadcast m = {
        .uid = "abc123",
        .packet = {.type = 2, .nsp = "/", .data = {.json = (char *)json, .json_len = strlen(json), .bins = bins, .nbins = 1}},
        .opts = {.rooms = {rooms, 1}, .flags = {.is_volatile = true, .has_timeout = true, .timeout = 70000}},
    };
    sio_buf out;
    sio_buf_init(&out, 0);
    assert_int_equal(sio_redis_broadcast_encode(&m, &out), SIO_REDIS_OK);
    /* 2.0 and 1e3 are integers to JavaScript; 1e300 stays a float (notepack
     * would send it as a wrong uint 64). */
    static const unsigned char want[] =
        "\x93\xa6" "abc123\x83\xa4type\x02\xa4" "data\x98\xa2" "ev\x02\xcd\x03\xe8\xcb\x3f\xb9\x99\x99\x99\x99\x99\x9a"
        "\x00\xcb\x7e\x37\xe4\x3c\x88\x00\x75\x9c\xa2\xc3\xa9\xc4\x03\x01\x02\x03\xa3nsp\xa1/"
        "\x83\xa5rooms\x91\xa2r1\xa6" "except\x90\xa5" "flags\x82\xa8volatile\xc3\xa7timeout\xce\x00\x01\x11\x70";
    assert_int_equal(out.len, sizeof(want) - 1);
    assert_memory_equal(out.data, want, out.len);

    sio_redis_broadcast back;
    assert_int_equal(sio_redis_broadcast_decode(out.data, out.len, &back), SIO_REDIS_OK);
    assert_string_equal(back.packet.data.json,
                        "[\"ev\",2,1000,0.1,0,1e+300,\"\xc3\xa9\",{\"_placeholder\":true,\"num\":0}]");
    assert_int_equal(back.packet.data.nbins, 1);
    assert_memory_equal(back.packet.data.bins[0].data, bytes, 3);
    sio_redis_broadcast_free(&back);

    /* Bad values: a placeholder beyond the attachments, JSON that is not. */
    size_t len = out.len;
    m.packet.data.json = "[\"ev\",{\"_placeholder\":true,\"num\":1}]";
    m.packet.data.json_len = strlen(m.packet.data.json);
    assert_int_equal(sio_redis_broadcast_encode(&m, &out), SIO_REDIS_E_VALUE);
    m.packet.data.json = "[\"ev\",{\"_placeholder\":true,\"num\":\"0\"}]";
    m.packet.data.json_len = strlen(m.packet.data.json);
    assert_int_equal(sio_redis_broadcast_encode(&m, &out), SIO_REDIS_E_VALUE);
    m.packet.data.json = "[\"ev\",]";
    m.packet.data.json_len = strlen(m.packet.data.json);
    assert_int_equal(sio_redis_broadcast_encode(&m, &out), SIO_REDIS_E_JSON);
    assert_int_equal(out.len, len);
    /* Without attachments a placeholder-like object is a plain object. */
    m.packet.data.json = "[\"ev\",{\"_placeholder\":true,\"num\":0}]";
    m.packet.data.json_len = strlen(m.packet.data.json);
    m.packet.data.nbins = 0;
    assert_int_equal(sio_redis_broadcast_encode(&m, &out), SIO_REDIS_OK);
    sio_buf_free(&out);
}

static void test_encode_requests(void **state)
{
    (void)state;
    char *rooms[] = {"a", "b"};
    sio_buf out;
    sio_buf_init(&out, 0);

    sio_redis_request join = {.type = SIO_REDIS_REMOTE_JOIN, .uid = "abc123", .has_opts = true,
                              .opts = {.except = {rooms, 1}}, .rooms = {rooms + 1, 1}};
    assert_int_equal(sio_redis_request_encode(&join, &out), SIO_REDIS_OK);
    assert_int_equal(sio_buf_putc(&out, 0), 0);
    assert_string_equal((char *)out.data,
                        "{\"uid\":\"abc123\",\"type\":2,\"opts\":{\"rooms\":[],\"except\":[\"a\"]},\"rooms\":[\"b\"]}");

    sio_buf_reset(&out);
    sio_redis_request fetch = {.type = SIO_REDIS_ALL_ROOMS, .uid = "abc123", .request_id = "r1"};
    assert_int_equal(sio_redis_request_encode(&fetch, &out), SIO_REDIS_OK);
    assert_int_equal(sio_buf_putc(&out, 0), 0);
    assert_string_equal((char *)out.data, "{\"uid\":\"abc123\",\"requestId\":\"r1\",\"type\":1}");

    /* serverSideEmit with binary: MessagePack, which JSON could not carry. */
    sio_buf_reset(&out);
    unsigned char one = 1;
    sio_redis_bin bin = {&one, 1};
    sio_redis_request sse = {.type = SIO_REDIS_SERVER_SIDE_EMIT, .uid = "abc123",
                             .data = {.json = "[\"e\",{\"_placeholder\":true,\"num\":0}]", .bins = &bin, .nbins = 1}};
    sse.data.json_len = strlen(sse.data.json);
    assert_int_equal(sio_redis_request_encode(&sse, &out), SIO_REDIS_OK);
    assert_int_not_equal(out.data[0], '{');
    sio_redis_request back;
    assert_int_equal(sio_redis_request_decode(out.data, out.len, &back), SIO_REDIS_OK);
    assert_int_equal(back.data.nbins, 1);
    assert_string_equal(back.data.json, sse.data.json);
    sio_redis_request_free(&back);

    /* Answers: fetched sockets (JSON), the client count, the ack. */
    sio_buf_reset(&out);
    char *srooms[] = {"sid1", "r1"};
    sio_redis_socket s = {.id = "sid1", .handshake = {.json = "{\"auth\":{}}", .json_len = 11},
                          .rooms = {srooms, 2}};
    sio_redis_response fetched = {.request_id = "q", .has_sockets = true, .sockets = &s, .nsockets = 1};
    assert_int_equal(sio_redis_response_encode(&fetched, &out), SIO_REDIS_OK);
    assert_int_equal(sio_buf_putc(&out, 0), 0);
    assert_string_equal((char *)out.data, "{\"requestId\":\"q\",\"sockets\":[{\"id\":\"sid1\",\"handshake\":"
                                          "{\"auth\":{}},\"rooms\":[\"sid1\",\"r1\"]}]}");
    sio_buf_reset(&out);
    sio_redis_response count = {.has_type = true, .type = SIO_REDIS_BROADCAST_CLIENT_COUNT, .request_id = "q",
                                .client_count = 3};
    assert_int_equal(sio_redis_response_encode(&count, &out), SIO_REDIS_OK);
    assert_int_equal(sio_buf_putc(&out, 0), 0);
    assert_string_equal((char *)out.data, "{\"type\":8,\"requestId\":\"q\",\"clientCount\":3}");
    sio_buf_free(&out);
}

/* --- channels and ids ------------------------------------------------------------ */

static void test_channels(void **state)
{
    (void)state;
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(sio_redis_broadcast_channel(&b, NULL, "/", NULL), 0);
    assert_int_equal(sio_buf_putc(&b, ' '), 0);
    assert_int_equal(sio_redis_broadcast_channel(&b, NULL, "/chat", "room 1"), 0);
    assert_int_equal(sio_buf_putc(&b, ' '), 0);
    assert_int_equal(sio_redis_request_channel(&b, "app", "/"), 0);
    assert_int_equal(sio_buf_putc(&b, ' '), 0);
    assert_int_equal(sio_redis_response_channel(&b, NULL, "/", NULL), 0);
    assert_int_equal(sio_buf_putc(&b, ' '), 0);
    assert_int_equal(sio_redis_response_channel(&b, NULL, "/", "abc123"), 0);
    assert_int_equal(sio_buf_putc(&b, 0), 0);
    assert_string_equal((char *)b.data, "socket.io#/# socket.io#/chat#room 1# app-request#/# socket.io-response#/# "
                                        "socket.io-response#/#abc123#");
    sio_buf_free(&b);

    const char *room;
    size_t len;
    const char *ch = "socket.io#/chat#room#1#";
    assert_true(sio_redis_channel_room(ch, strlen(ch), NULL, "/chat", &room, &len));
    assert_int_equal(len, 6);
    assert_memory_equal(room, "room#1", 6);
    ch = "socket.io#/chat#";
    assert_true(sio_redis_channel_room(ch, strlen(ch), NULL, "/chat", &room, &len));
    assert_int_equal(len, 0);
    ch = "socket.io#/chatter#x#";
    assert_false(sio_redis_channel_room(ch, strlen(ch), NULL, "/chat", &room, &len));
    ch = "socket.io#/";
    assert_false(sio_redis_channel_room(ch, strlen(ch), NULL, "/", &room, &len));

    char a[SIO_REDIS_UID_LEN + 1], c[SIO_REDIS_UID_LEN + 1];
    assert_int_equal(sio_redis_make_uid(a), 0);
    assert_int_equal(sio_redis_make_uid(c), 0);
    assert_int_equal(strlen(a), SIO_REDIS_UID_LEN);
    assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), SIO_REDIS_UID_LEN);
    assert_string_not_equal(a, c); /* 2^-36 to fail */

    for (int e = 0; e >= -6; e--)
        assert_non_null(sio_redis_strerror(e));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notepack_vectors), cmocka_unit_test(test_captured_vectors),
        cmocka_unit_test(test_strings),          cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_nesting),          cmocka_unit_test(test_encode_broadcast),
        cmocka_unit_test(test_encode_requests),  cmocka_unit_test(test_channels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
