/* Unit tests for sio/sio_codec: decoding Socket.IO packets (protocol v5) as
 * a client sends them, and encoding headers and event payloads.
 *
 * The decoder runs over the wire fixtures in proto/sio/. A fixture holds the
 * raw bytes sio_decode() receives: one Engine.IO message's data, without the
 * Engine.IO message type '4' (the WebSocket frame `42["ev",1]` is the fixture
 * `2["ev",1]`). Every file in valid/ must decode (and, when listed in
 * `expected_valid` below, to exactly the listed fields); every file in
 * invalid/ is named `<error>-<what>.txt` and must fail with the code its
 * prefix names (`type`, `attachments`, `nsp`, `ack_id`, `payload`, `shape`,
 * `reserved`, `placeholder`). Every truncation of every fixture is decoded
 * from an exactly-sized malloc'd copy (for ASan) and from a copy that ends
 * at a PROT_NONE page (for plain builds): no crash, OK or a known error.
 *
 * proto/ is found from the current directory (the tests run from the
 * repository root), from its parents, or at $SIO_PROTO_DIR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support/fixtures.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sio/sio_codec.h"
#include "util/buf.h"

#define dup_guarded fixture_dup_guarded
#define dup_exact fixture_dup_exact

/* --- helpers ------------------------------------------------------------- */


static bool is_decode_error(int rc)
{
    switch (rc) {
    case SIO_E_TYPE:
    case SIO_E_ATTACHMENTS:
    case SIO_E_NSP:
    case SIO_E_ACK_ID:
    case SIO_E_PAYLOAD:
    case SIO_E_SHAPE:
    case SIO_E_RESERVED:
    case SIO_E_PLACEHOLDER:
    case SIO_E_NOMEM:
        return true;
    }
    return false;
}

/* Decodes p[0..n) and checks that a successful result points inside the
 * input (or at the static "/") and is self-consistent. Frees the packet.
 * Returns the decoder's code. */
static int decode_checked(const char *p, size_t n, const sio_codec_limits *lim)
{
    sio_packet pkt;
    memset(&pkt, 0xa5, sizeof(pkt));
    int rc = sio_decode(p, n, lim, &pkt);
    if (rc != SIO_DECODE_OK) {
        if (!is_decode_error(rc))
            fail_msg("unexpected code %d", rc);
        return rc;
    }
    assert_true(pkt.type >= SIO_PKT_CONNECT && pkt.type <= SIO_PKT_BINARY_ACK);
    assert_true(pkt.type != SIO_PKT_CONNECT_ERROR);
    assert_non_null(pkt.nsp);
    assert_true(pkt.nsp_len >= 1);
    assert_int_equal(pkt.nsp[0], '/');
    if (!(pkt.nsp_len == 1 && (pkt.nsp < p || pkt.nsp >= p + n)))
        assert_true(pkt.nsp >= p && pkt.nsp + pkt.nsp_len <= p + n);
    assert_true(pkt.id >= -1 && pkt.id <= SIO_MAX_ACK_ID);
    bool binary = pkt.type == SIO_PKT_BINARY_EVENT || pkt.type == SIO_PKT_BINARY_ACK;
    if (binary)
        assert_true(pkt.attachments >= 1 && pkt.attachments <= (lim ? lim->max_attachments : 10));
    else
        assert_int_equal(pkt.attachments, 0);
    if (pkt.data) {
        assert_true(pkt.data > p && pkt.data + pkt.data_len == p + n);
        assert_true(pkt.json.ntok > 0);
    } else {
        assert_int_equal(pkt.json.ntok, 0);
    }
    sio_packet_free(&pkt);
    return rc;
}

/* --- fixtures ------------------------------------------------------------ */

/* Every *.txt file of proto/sio/<sub>, sorted by name (without .txt). */
static fixture_set load_fixtures(const char *sub)
{
    char dir[256];
    snprintf(dir, sizeof(dir), "sio/%s", sub);
    return fixture_load(dir, ".txt", false, true);
}
#define free_fixtures fixture_free

/* What valid fixtures decode to. data NULL: no payload. */
typedef struct expect {
    const char *name;
    sio_packet_type type;
    const char *nsp;
    int64_t id;
    unsigned attachments;
    const char *data;
} expect;

#define PH0 "{\"_placeholder\":true,\"num\":0}"

static const expect expected_valid[] = {
    {"connect", SIO_PKT_CONNECT, "/", -1, 0, NULL},
    {"connect_auth", SIO_PKT_CONNECT, "/", -1, 0, "{\"token\":\"x\"}"},
    {"connect_auth_nested", SIO_PKT_CONNECT, "/", -1, 0,
     "{\"token\":\"x\",\"opts\":{\"a\":[1,2,null],\"b\":\"\\u00e9\"}}"},
    {"connect_nsp", SIO_PKT_CONNECT, "/custom", -1, 0, NULL},
    {"connect_nsp_no_comma", SIO_PKT_CONNECT, "/custom", -1, 0, NULL},
    {"connect_nsp_auth", SIO_PKT_CONNECT, "/custom", -1, 0, "{\"a\":1}"},
    {"connect_nsp_utf8", SIO_PKT_CONNECT, "/caf\xc3\xa9", -1, 0, "{}"},
    {"connect_nsp_query", SIO_PKT_CONNECT, "/custom?x=y", -1, 0, NULL},
    {"disconnect", SIO_PKT_DISCONNECT, "/", -1, 0, NULL},
    {"disconnect_nsp", SIO_PKT_DISCONNECT, "/custom", -1, 0, NULL},
    {"disconnect_nsp_no_comma", SIO_PKT_DISCONNECT, "/custom", -1, 0, NULL},
    {"event", SIO_PKT_EVENT, "/", -1, 0, "[\"ev\",1]"},
    {"event_name_only", SIO_PKT_EVENT, "/", -1, 0, "[\"ev\"]"},
    {"event_nsp_ack", SIO_PKT_EVENT, "/custom", 7, 0, "[\"ev\"]"},
    {"event_ack_args", SIO_PKT_EVENT, "/", 12, 0, "[\"ev\",\"a\",{\"b\":[1,2]},true,null,-1.5e3]"},
    {"event_ack_zero", SIO_PKT_EVENT, "/", 0, 0, "[\"ev\"]"},
    {"event_ack_max", SIO_PKT_EVENT, "/", SIO_MAX_ACK_ID, 0, "[\"ev\"]"},
    {"event_whitespace", SIO_PKT_EVENT, "/", -1, 0, " [ \"ev\" , 1 ] "},
    {"event_unicode", SIO_PKT_EVENT, "/", -1, 0,
     "[\"\\u00e9v\\u00e8nement\",\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\",\"\\ud83d\\ude00\"]"},
    {"event_escaped_name", SIO_PKT_EVENT, "/", -1, 0, "[\"a\\\"b\",1]"},
    {"event_placeholder_in_text", SIO_PKT_EVENT, "/", -1, 0, "[\"ev\"," PH0 "]"},
    {"ack", SIO_PKT_ACK, "/", 0, 0, "[]"},
    {"ack_nsp", SIO_PKT_ACK, "/custom", 7, 0, "[1]"},
    {"ack_args", SIO_PKT_ACK, "/", 15, 0, "[\"a\",{\"b\":null},[1]]"},
    {"ack_no_id", SIO_PKT_ACK, "/", -1, 0, "[1]"},
    {"binary_event", SIO_PKT_BINARY_EVENT, "/", -1, 1, "[\"ev\"," PH0 "]"},
    {"binary_event_two", SIO_PKT_BINARY_EVENT, "/", -1, 2,
     "[\"ev\",{\"_placeholder\":true,\"num\":0},{\"x\":{\"_placeholder\":true,\"num\":1}}]"},
    {"binary_event_nsp_ack", SIO_PKT_BINARY_EVENT, "/nsp", 3, 1, "[\"ev\"," PH0 "]"},
    {"binary_event_max", SIO_PKT_BINARY_EVENT, "/", -1, 10, "[\"ev\",{\"_placeholder\":true,\"num\":9}]"},
    {"binary_event_not_placeholder", SIO_PKT_BINARY_EVENT, "/", -1, 1,
     "[\"ev\",{\"_placeholder\":false,\"num\":\"x\"}]"},
    {"binary_ack", SIO_PKT_BINARY_ACK, "/nsp", 3, 1, "[" PH0 "]"},
    {"binary_ack_root", SIO_PKT_BINARY_ACK, "/", 0, 1, "[" PH0 "]"},
};

static void check_decodes_to(const char *name, const char *p, size_t n, const expect *x)
{
    sio_packet pkt;
    int rc = sio_decode(p, n, NULL, &pkt);
    if (rc != SIO_DECODE_OK)
        fail_msg("%s: %d (%s)", name, rc, sio_decode_strerror(rc));
    if (pkt.type != x->type)
        fail_msg("%s: type %d, want %d", name, pkt.type, x->type);
    if (pkt.nsp_len != strlen(x->nsp) || memcmp(pkt.nsp, x->nsp, pkt.nsp_len) != 0)
        fail_msg("%s: nsp '%.*s', want '%s'", name, (int)pkt.nsp_len, pkt.nsp, x->nsp);
    if (pkt.id != x->id)
        fail_msg("%s: id %lld, want %lld", name, (long long)pkt.id, (long long)x->id);
    if (pkt.attachments != x->attachments)
        fail_msg("%s: attachments %u, want %u", name, pkt.attachments, x->attachments);
    if (!x->data) {
        if (pkt.data)
            fail_msg("%s: unexpected payload '%.*s'", name, (int)pkt.data_len, pkt.data);
        assert_int_equal(pkt.json.ntok, 0);
    } else {
        if (!pkt.data || pkt.data_len != strlen(x->data) || memcmp(pkt.data, x->data, pkt.data_len))
            fail_msg("%s: payload '%.*s', want '%s'", name, pkt.data ? (int)pkt.data_len : 0,
                     pkt.data ? pkt.data : "", x->data);
        assert_true(pkt.json.ntok > 0);
    }
    sio_packet_free(&pkt);
}

/* The error a fixture name's prefix announces. */
static const struct {
    const char *prefix;
    int code;
} error_names[] = {
    {"type", SIO_E_TYPE},       {"attachments", SIO_E_ATTACHMENTS}, {"nsp", SIO_E_NSP},
    {"ack_id", SIO_E_ACK_ID},   {"payload", SIO_E_PAYLOAD},         {"shape", SIO_E_SHAPE},
    {"reserved", SIO_E_RESERVED}, {"placeholder", SIO_E_PLACEHOLDER},
};

static bool expected_error(const char *name, int *code)
{
    const char *dash = strchr(name, '-');
    if (!dash)
        return false;
    size_t pl = (size_t)(dash - name);
    for (size_t i = 0; i < sizeof(error_names) / sizeof(error_names[0]); i++) {
        if (strlen(error_names[i].prefix) == pl && memcmp(error_names[i].prefix, name, pl) == 0) {
            *code = error_names[i].code;
            return true;
        }
    }
    return false;
}

/* --- fixture tests -------------------------------------------------------- */

static void test_fixtures_valid(void **state)
{
    (void)state;
    fixture_set set = load_fixtures("valid");
    assert_true(set.n >= sizeof(expected_valid) / sizeof(expected_valid[0]));
    size_t matched = 0;
    for (size_t i = 0; i < set.n; i++) {
        const fixture *fx = &set.f[i];
        char *p = dup_exact(fx->data, fx->len);
        int rc = decode_checked(p, fx->len, NULL);
        if (rc != SIO_DECODE_OK)
            fail_msg("valid fixture %s: %d (%s)", fx->name, rc, sio_decode_strerror(rc));
        for (size_t k = 0; k < sizeof(expected_valid) / sizeof(expected_valid[0]); k++) {
            if (strcmp(expected_valid[k].name, fx->name) == 0) {
                check_decodes_to(fx->name, p, fx->len, &expected_valid[k]);
                matched++;
            }
        }
        free(p);
    }
    if (matched != sizeof(expected_valid) / sizeof(expected_valid[0]))
        fail_msg("%zu of %zu expected valid fixtures found", matched,
                 sizeof(expected_valid) / sizeof(expected_valid[0]));
    free_fixtures(&set);
}

static void test_fixtures_invalid(void **state)
{
    (void)state;
    fixture_set set = load_fixtures("invalid");
    assert_true(set.n > 0);
    size_t failures = 0;
    bool seen[sizeof(error_names) / sizeof(error_names[0])] = {false};
    for (size_t i = 0; i < set.n; i++) {
        const fixture *fx = &set.f[i];
        int want = 0;
        if (!expected_error(fx->name, &want))
            fail_msg("invalid fixture %s: name does not start with a known error", fx->name);
        for (size_t k = 0; k < sizeof(error_names) / sizeof(error_names[0]); k++)
            if (error_names[k].code == want)
                seen[k] = true;
        char *p = dup_exact(fx->data, fx->len);
        sio_packet pkt;
        int rc = sio_decode(p, fx->len, NULL, &pkt);
        if (rc == SIO_DECODE_OK)
            sio_packet_free(&pkt);
        if (rc != want) {
            print_error("invalid fixture %s: got %d (%s), want %d (%s)\n", fx->name, rc,
                        sio_decode_strerror(rc), want, sio_decode_strerror(want));
            failures++;
        }
        free(p);
    }
    /* Every error code has at least one fixture. */
    for (size_t k = 0; k < sizeof(error_names) / sizeof(error_names[0]); k++)
        if (!seen[k])
            fail_msg("no invalid fixture for %s", error_names[k].prefix);
    free_fixtures(&set);
    if (failures)
        fail_msg("%zu invalid fixture(s) decoded with the wrong code", failures);
}

/* Every prefix of every fixture, exactly sized on the heap and against a
 * guard page: OK or a known error, the same either way. */
static void truncations_of(const char *sub)
{
    fixture_set set = load_fixtures(sub);
    for (size_t i = 0; i < set.n; i++) {
        const fixture *fx = &set.f[i];
        for (size_t k = 0; k <= fx->len; k++) {
            char *m = dup_exact(fx->data, k);
            int rc1 = decode_checked(m, k, NULL);
            free(m);
            if (k == 0)
                assert_int_equal(rc1, SIO_E_TYPE);
            void *base;
            size_t maplen;
            char *g = dup_guarded(fx->data, k, &base, &maplen);
            int rc2 = decode_checked(g, k, NULL);
            munmap(base, maplen);
            if (rc1 != rc2)
                fail_msg("%s cut at %zu: %d on the heap, %d at a guard page", fx->name, k, rc1, rc2);
        }
    }
    free_fixtures(&set);
}

static void test_fixture_truncations(void **state)
{
    (void)state;
    truncations_of("valid");
    truncations_of("invalid");
}

/* Every byte of every valid fixture replaced by troublesome values: no
 * crash, no over-read, OK or a known error. */
static void test_fixture_mutations(void **state)
{
    (void)state;
    static const unsigned char subst[] = {0x00, 0x01, '"', ',', '-', '/', '0', '9', '[', ']', '{',
                                          '}', '\\', 0x7f, 0x80, 0xff};
    fixture_set set = load_fixtures("valid");
    for (size_t i = 0; i < set.n; i++) {
        const fixture *fx = &set.f[i];
        for (size_t at = 0; at < fx->len; at++) {
            for (size_t v = 0; v < sizeof(subst); v++) {
                char *m = dup_exact(fx->data, fx->len);
                m[at] = (char)subst[v];
                (void)decode_checked(m, fx->len, NULL);
                free(m);
            }
        }
    }
    free_fixtures(&set);
}

/* --- decoding, case by case ------------------------------------------------ */

static int decode_lit(const char *s, const sio_codec_limits *lim)
{
    size_t n = strlen(s);
    char *p = dup_exact(s, n);
    int rc = decode_checked(p, n, lim);
    free(p);
    return rc;
}

#define DECODES(s, code) assert_int_equal(decode_lit(s, NULL), code)

/* Every packet type, with and without namespace, ack id and payload. */
static void test_decode_every_type(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        expect x;
    } cases[] = {
        {"0", {"", SIO_PKT_CONNECT, "/", -1, 0, NULL}},
        {"0{\"token\":\"x\"}", {"", SIO_PKT_CONNECT, "/", -1, 0, "{\"token\":\"x\"}"}},
        {"0/custom,", {"", SIO_PKT_CONNECT, "/custom", -1, 0, NULL}},
        {"0/custom", {"", SIO_PKT_CONNECT, "/custom", -1, 0, NULL}},
        {"0/custom,{\"a\":1}", {"", SIO_PKT_CONNECT, "/custom", -1, 0, "{\"a\":1}"}},
        {"0/,", {"", SIO_PKT_CONNECT, "/", -1, 0, NULL}},
        {"0{}", {"", SIO_PKT_CONNECT, "/", -1, 0, "{}"}},
        {"1", {"", SIO_PKT_DISCONNECT, "/", -1, 0, NULL}},
        {"1/custom,", {"", SIO_PKT_DISCONNECT, "/custom", -1, 0, NULL}},
        {"2[\"ev\",1]", {"", SIO_PKT_EVENT, "/", -1, 0, "[\"ev\",1]"}},
        {"2/custom,7[\"ev\"]", {"", SIO_PKT_EVENT, "/custom", 7, 0, "[\"ev\"]"}},
        {"2/custom,[\"ev\"]", {"", SIO_PKT_EVENT, "/custom", -1, 0, "[\"ev\"]"}},
        {"2123[\"ev\"]", {"", SIO_PKT_EVENT, "/", 123, 0, "[\"ev\"]"}},
        {"2007[\"ev\"]", {"", SIO_PKT_EVENT, "/", 7, 0, "[\"ev\"]"}},
        {"2[\"\"]", {"", SIO_PKT_EVENT, "/", -1, 0, "[\"\"]"}},
        {"2[\"connects\"]", {"", SIO_PKT_EVENT, "/", -1, 0, "[\"connects\"]"}},
        {"2[\"Connect\"]", {"", SIO_PKT_EVENT, "/", -1, 0, "[\"Connect\"]"}},
        {"3/custom,7[1]", {"", SIO_PKT_ACK, "/custom", 7, 0, "[1]"}},
        {"31[]", {"", SIO_PKT_ACK, "/", 1, 0, "[]"}},
        {"51-[\"ev\"," PH0 "]", {"", SIO_PKT_BINARY_EVENT, "/", -1, 1, "[\"ev\"," PH0 "]"}},
        {"51-/nsp,3[\"ev\"," PH0 "]", {"", SIO_PKT_BINARY_EVENT, "/nsp", 3, 1, "[\"ev\"," PH0 "]"}},
        {"61-/nsp,3[" PH0 "]", {"", SIO_PKT_BINARY_ACK, "/nsp", 3, 1, "[" PH0 "]"}},
        {"61-3[" PH0 "]", {"", SIO_PKT_BINARY_ACK, "/", 3, 1, "[" PH0 "]"}},
        /* A binary ACK need not carry a placeholder at all. */
        {"61-3[1]", {"", SIO_PKT_BINARY_ACK, "/", 3, 1, "[1]"}},
        /* Leading zeros in the attachment count. */
        {"501-[\"ev\"," PH0 "]", {"", SIO_PKT_BINARY_EVENT, "/", -1, 1, "[\"ev\"," PH0 "]"}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i].in);
        char *p = dup_exact(cases[i].in, n);
        check_decodes_to(cases[i].in, p, n, &cases[i].x);
        free(p);
    }
}

static void test_decode_unknown_type(void **state)
{
    (void)state;
    DECODES("7", SIO_E_TYPE);
    DECODES("8[\"ev\"]", SIO_E_TYPE);
    DECODES("x", SIO_E_TYPE);
    DECODES("/", SIO_E_TYPE);
    DECODES("[\"ev\"]", SIO_E_TYPE);
    DECODES("-1", SIO_E_TYPE);
    assert_int_equal(decode_checked("", 0, NULL), SIO_E_TYPE);
    /* The bytes after the length are not looked at. */
    assert_int_equal(decode_checked("0", 0, NULL), SIO_E_TYPE);
    /* CONNECT_ERROR is the server's to send, never valid from a client. */
    DECODES("4", SIO_E_TYPE);
    DECODES("4{\"message\":\"x\"}", SIO_E_TYPE);
    DECODES("4/custom,{\"message\":\"x\"}", SIO_E_TYPE);
    DECODES("4\"x\"", SIO_E_TYPE);
}

static void test_decode_attachments(void **state)
{
    (void)state;
    DECODES("5-[\"ev\"," PH0 "]", SIO_E_ATTACHMENTS);
    DECODES("50-[\"x\"]", SIO_E_ATTACHMENTS);
    DECODES("500-[\"x\"]", SIO_E_ATTACHMENTS);
    DECODES("5a-", SIO_E_ATTACHMENTS);
    DECODES("51a-[\"ev\"," PH0 "]", SIO_E_ATTACHMENTS);
    DECODES("511-", SIO_E_ATTACHMENTS);
    DECODES("5", SIO_E_ATTACHMENTS);
    DECODES("51", SIO_E_ATTACHMENTS);
    DECODES("51[\"ev\"]", SIO_E_ATTACHMENTS);
    DECODES("6-[]", SIO_E_ATTACHMENTS);
    DECODES("60-[]", SIO_E_ATTACHMENTS);
    DECODES("61", SIO_E_ATTACHMENTS);
    DECODES("5999999999999999999999-[]", SIO_E_ATTACHMENTS);
    DECODES("54294967297-[]", SIO_E_ATTACHMENTS); /* 2^32 + 1: no wrap to 1 */

    /* The limit is the caller's: 10 by default, or as configured. */
    DECODES("510-[\"ev\",{\"_placeholder\":true,\"num\":9}]", SIO_DECODE_OK);
    sio_codec_limits lim;
    sio_codec_limits_default(&lim);
    assert_int_equal(lim.max_attachments, 10);
    assert_int_equal(decode_lit("511-", &lim), SIO_E_ATTACHMENTS);
    assert_int_equal(decode_lit("510-[\"ev\",{\"_placeholder\":true,\"num\":9}]", &lim), SIO_DECODE_OK);
    lim.max_attachments = 2;
    assert_int_equal(decode_lit("52-[\"ev\"," PH0 "]", &lim), SIO_DECODE_OK);
    assert_int_equal(decode_lit("53-[\"ev\"," PH0 "]", &lim), SIO_E_ATTACHMENTS);
    lim.max_attachments = 100;
    assert_int_equal(decode_lit("511-[\"ev\",{\"_placeholder\":true,\"num\":10}]", &lim), SIO_DECODE_OK);
}

static void test_decode_placeholders(void **state)
{
    (void)state;
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":\"0\"}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":1}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":-1}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":0.5}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":1.5}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":null}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":[0]}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":99999999999999999999}]", SIO_E_PLACEHOLDER);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":4294967296}]", SIO_E_PLACEHOLDER);
    DECODES("52-[\"ev\",{\"a\":[{\"_placeholder\":true,\"num\":2}]}]", SIO_E_PLACEHOLDER);
    DECODES("61-/nsp,3[{\"_placeholder\":true,\"num\":1}]", SIO_E_PLACEHOLDER);
    /* Valid ones, including nested and in any key order. */
    DECODES("52-[\"ev\",{\"a\":[{\"num\":1,\"_placeholder\":true}]}," PH0 "]", SIO_DECODE_OK);
    DECODES("51-[\"ev\",{\"_placeholder\":true,\"num\":-0}]", SIO_DECODE_OK);
    /* Not placeholders: the flag must be true. */
    DECODES("51-[\"ev\",{\"_placeholder\":1,\"num\":5}]", SIO_DECODE_OK);
    DECODES("51-[\"ev\",{\"_placeholder\":\"true\",\"num\":5}]", SIO_DECODE_OK);
}

static void test_decode_event_shape(void **state)
{
    (void)state;
    DECODES("2", SIO_E_SHAPE);
    DECODES("25", SIO_E_SHAPE);
    DECODES("2[]", SIO_E_SHAPE);
    DECODES("2[ ]", SIO_E_SHAPE);
    DECODES("2{}", SIO_E_SHAPE);
    DECODES("2{\"ev\":1}", SIO_E_SHAPE);
    DECODES("2\"ev\"", SIO_E_SHAPE);
    DECODES("21", SIO_E_SHAPE); /* "1" is the ack id; no payload */
    DECODES("2null", SIO_E_SHAPE);
    DECODES("2[1]", SIO_E_SHAPE);
    DECODES("2[1,\"x\"]", SIO_E_SHAPE);
    DECODES("2[null]", SIO_E_SHAPE);
    DECODES("2[true]", SIO_E_SHAPE);
    DECODES("2[[\"ev\"]]", SIO_E_SHAPE);
    DECODES("2[{\"toString\":\"x\"}]", SIO_E_SHAPE);
    DECODES("51-[]", SIO_E_SHAPE);
    DECODES("51-", SIO_E_SHAPE);
    DECODES("51-[" PH0 "]", SIO_E_SHAPE);
    /* ACKs carry an array. */
    DECODES("3", SIO_E_SHAPE);
    DECODES("30", SIO_E_SHAPE);
    DECODES("30{}", SIO_E_SHAPE);
    DECODES("30\"x\"", SIO_E_SHAPE);
    DECODES("61-0" PH0, SIO_E_SHAPE);
    DECODES("61-0", SIO_E_SHAPE);
}

static void test_decode_reserved(void **state)
{
    (void)state;
    static const char *const names[] = {"connect",       "connect_error", "disconnect",
                                        "disconnecting", "newListener",   "removeListener"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char in[128];
        snprintf(in, sizeof(in), "2[\"%s\"]", names[i]);
        DECODES(in, SIO_E_RESERVED);
        snprintf(in, sizeof(in), "2/custom,3[\"%s\",1,{}]", names[i]);
        DECODES(in, SIO_E_RESERVED);
        snprintf(in, sizeof(in), "51-[\"%s\"," PH0 "]", names[i]);
        DECODES(in, SIO_E_RESERVED);
        assert_true(sio_is_reserved_event(names[i], strlen(names[i])));
    }
    /* Close but not reserved. */
    DECODES("2[\"connect_\"]", SIO_DECODE_OK);
    DECODES("2[\"Disconnect\"]", SIO_DECODE_OK);
    DECODES("2[\"newlistener\"]", SIO_DECODE_OK);
    DECODES("2[\"disconnec\"]", SIO_DECODE_OK);
    assert_false(sio_is_reserved_event("connec", 6));
    assert_false(sio_is_reserved_event("connects", 8));
    assert_false(sio_is_reserved_event("connect\0", 8));
    assert_false(sio_is_reserved_event("", 0));
    assert_false(sio_is_reserved_event("error", 5));
    assert_true(sio_is_reserved_event("connect_error_x", 13)); /* the length decides */
}

static void test_decode_reserved_escaped(void **state)
{
    (void)state;
    /* The name is compared after JSON unescaping, as Node's JSON.parse
     * would see it: "connec\u0074" is "connect". */
    DECODES("2[\"connec\\u0074\"]", SIO_E_RESERVED);
    DECODES("2[\"\\u0064isconnect\"]", SIO_E_RESERVED);
    DECODES("2/custom,1[\"newListen\\u0065r\",1]", SIO_E_RESERVED);
    DECODES("51-[\"disconnect\\u0069ng\"," PH0 "]", SIO_E_RESERVED);
}

static void test_decode_ack_id(void **state)
{
    (void)state;
    DECODES("29007199254740991[\"ev\"]", SIO_DECODE_OK);
    DECODES("29007199254740992[\"ev\"]", SIO_E_ACK_ID);
    DECODES("29999999999999999[\"ev\"]", SIO_E_ACK_ID);
    DECODES("212345678901234567[\"ev\"]", SIO_E_ACK_ID);
    DECODES("2/custom,12345678901234567[\"ev\"]", SIO_E_ACK_ID);
    DECODES("399999999999999999999999999999[]", SIO_E_ACK_ID);
    DECODES("61-99999999999999999[" PH0 "]", SIO_E_ACK_ID);
    DECODES("1099999999999999999", SIO_E_ACK_ID);
}

static void test_decode_nsp(void **state)
{
    (void)state;
    assert_int_equal(decode_checked("0/a\x01z,", 6, NULL), SIO_E_NSP);
    assert_int_equal(decode_checked("0/a\0,", 5, NULL), SIO_E_NSP);
    DECODES("2/a\nb,[\"ev\"]", SIO_E_NSP);
    DECODES("2/a\tb,[\"ev\"]", SIO_E_NSP);
    DECODES("0/a\x1f", SIO_E_NSP);
    /* The namespace runs to ',' or to the end: no comma swallows the rest. */
    DECODES("2/custom[\"ev\"]", SIO_E_SHAPE);
    DECODES("0/custom{\"a\":1}", SIO_DECODE_OK);
    DECODES("0/\xc3\xa9,", SIO_DECODE_OK);
}

static void test_decode_payload(void **state)
{
    (void)state;
    DECODES("2[\"ev\",]", SIO_E_PAYLOAD);
    DECODES("2[\"ev\",,1]", SIO_E_PAYLOAD);
    DECODES("2[\"ev\"]x", SIO_E_PAYLOAD);
    DECODES("2[\"ev\"][1]", SIO_E_PAYLOAD);
    DECODES("2[\"ev\"] 1", SIO_E_PAYLOAD);
    DECODES("2[\"ev\"", SIO_E_PAYLOAD);
    DECODES("2[\"ev\",tru]", SIO_E_PAYLOAD);
    DECODES("2[\"ev\",01]", SIO_E_PAYLOAD);
    DECODES("2[\"ev\",1.2.3]", SIO_E_PAYLOAD);
    DECODES("2[\"ev\",\"\x01\"]", SIO_E_PAYLOAD);
    DECODES("2[\"\xff\"]", SIO_E_PAYLOAD);
    DECODES("2[\"\\ud800\"]", SIO_E_PAYLOAD);
    DECODES("0abc", SIO_E_PAYLOAD);
    DECODES("0/custom,xyz", SIO_E_PAYLOAD);
    DECODES("0{\"a\"}", SIO_E_PAYLOAD);
    DECODES("0{}{}", SIO_E_PAYLOAD);
    DECODES("30[]]", SIO_E_PAYLOAD);
    DECODES("1 ", SIO_E_PAYLOAD);
    assert_int_equal(decode_checked("2[\"ev\0\"]", 8, NULL), SIO_E_PAYLOAD);
    assert_int_equal(decode_checked("2[\"ev\"]\0", 8, NULL), SIO_E_PAYLOAD);
    /* JSON limits are the caller's. */
    sio_codec_limits lim;
    sio_codec_limits_default(&lim);
    lim.json.max_depth = 2;
    assert_int_equal(decode_lit("2[\"ev\",[1]]", &lim), SIO_DECODE_OK);
    assert_int_equal(decode_lit("2[\"ev\",[[1]]]", &lim), SIO_E_PAYLOAD);
    sio_codec_limits_default(&lim);
    lim.json.max_tokens = 3;
    assert_int_equal(decode_lit("2[\"ev\",1]", &lim), SIO_DECODE_OK);
    assert_int_equal(decode_lit("2[\"ev\",1,2]", &lim), SIO_E_PAYLOAD);
}

static void test_decode_connect_disconnect_shape(void **state)
{
    (void)state;
    DECODES("0[]", SIO_E_SHAPE);
    DECODES("0\"x\"", SIO_E_SHAPE);
    DECODES("0/custom,\"x\"", SIO_E_SHAPE);
    DECODES("0null", SIO_E_SHAPE);
    DECODES("0true", SIO_E_SHAPE);
    DECODES("0/custom,[1]", SIO_E_SHAPE);
    DECODES("1{}", SIO_E_SHAPE);
    DECODES("1[]", SIO_E_SHAPE);
    DECODES("1/custom,{}", SIO_E_SHAPE);
    DECODES("1/custom,\"bye\"", SIO_E_SHAPE);
}

/* A failed decode leaves nothing to free (ASan's leak check watches), and
 * the output is usable for sio_packet_free either way. */
static void test_decode_failure_releases(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "2[\"disconnect\",{\"a\":[1,2,3]}]",                   /* parsed, then reserved */
        "51-[\"ev\",{\"_placeholder\":true,\"num\":3},[1,2]]", /* parsed, then placeholder */
        "1{\"a\":[1,2,3]}",                                    /* parsed, then shape */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sio_packet pkt;
        assert_true(sio_decode(bad[i], strlen(bad[i]), NULL, &pkt) < 0);
        assert_int_equal(pkt.json.ntok, 0);
        sio_packet_free(&pkt); /* harmless */
    }
}

static void test_decode_strerror(void **state)
{
    (void)state;
    static const int codes[] = {SIO_DECODE_OK, SIO_E_TYPE,    SIO_E_ATTACHMENTS, SIO_E_NSP,
                                SIO_E_ACK_ID,  SIO_E_PAYLOAD, SIO_E_SHAPE,       SIO_E_RESERVED,
                                SIO_E_PLACEHOLDER, SIO_E_NOMEM};
    const char *unknown = sio_decode_strerror(12345);
    assert_non_null(unknown);
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        const char *s = sio_decode_strerror(codes[i]);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        assert_string_not_equal(s, unknown);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(s, sio_decode_strerror(codes[k]));
    }
}

/* --- encoding ---------------------------------------------------------------- */

static void header_is(sio_packet_type t, const char *nsp, int64_t id, unsigned att, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(sio_encode_header(&b, t, nsp, id, att), 0);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        fail_msg("header(%d, %s, %lld, %u) = '%.*s', want '%s'", t, nsp ? nsp : "NULL", (long long)id,
                 att, (int)b.len, (const char *)b.data, want);
    sio_buf_free(&b);
}

static void test_encode_header(void **state)
{
    (void)state;
    header_is(SIO_PKT_CONNECT, "/", -1, 0, "0");
    header_is(SIO_PKT_CONNECT, NULL, -1, 0, "0");
    header_is(SIO_PKT_CONNECT, "/chat", -1, 0, "0/chat,");
    header_is(SIO_PKT_DISCONNECT, "/", -1, 0, "1");
    header_is(SIO_PKT_DISCONNECT, "/x", -1, 0, "1/x,");
    header_is(SIO_PKT_EVENT, "/", -1, 0, "2");
    header_is(SIO_PKT_EVENT, "/", 0, 0, "20");
    header_is(SIO_PKT_EVENT, "/", 5, 0, "25");
    header_is(SIO_PKT_EVENT, "/chat", 12, 0, "2/chat,12");
    header_is(SIO_PKT_EVENT, "/", SIO_MAX_ACK_ID, 0, "29007199254740991");
    header_is(SIO_PKT_EVENT, "/", -1, 3, "2"); /* attachments only for binary types */
    header_is(SIO_PKT_ACK, "/", 0, 0, "30");
    header_is(SIO_PKT_ACK, "/chat", 7, 0, "3/chat,7");
    header_is(SIO_PKT_CONNECT_ERROR, "/", -1, 0, "4");
    header_is(SIO_PKT_CONNECT_ERROR, "/a", -1, 0, "4/a,");
    header_is(SIO_PKT_BINARY_EVENT, "/", -1, 1, "51-");
    header_is(SIO_PKT_BINARY_EVENT, "/", -1, 2, "52-");
    header_is(SIO_PKT_BINARY_EVENT, "/nsp", 3, 10, "510-/nsp,3");
    header_is(SIO_PKT_BINARY_ACK, "/nsp", 3, 1, "61-/nsp,3");
    header_is(SIO_PKT_BINARY_ACK, "/", 0, 1, "61-0");

    /* It appends. */
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(sio_buf_putc(&b, '4'), 0);
    assert_int_equal(sio_encode_header(&b, SIO_PKT_EVENT, "/a", 1, 0), 0);
    assert_int_equal(sio_encode_header(&b, SIO_PKT_ACK, NULL, -1, 0), 0);
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "42/a,13", 7);
    sio_buf_free(&b);
}

static void payload_is(const char *event, const char *args, size_t args_len, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(sio_encode_event_payload(&b, event, args, args_len), 0);
    if (b.len != strlen(want) || memcmp(b.data, want, b.len) != 0)
        fail_msg("payload(%s, %s) = '%.*s', want '%s'", event, args ? args : "NULL", (int)b.len,
                 (const char *)b.data, want);
    /* What it wrote is valid JSON and a valid event for the decoder. */
    assert_int_equal(json_validate((const char *)b.data, b.len, NULL), JSON_OK);
    sio_buf_free(&b);
}

static size_t len_or_0(const char *s) { return s ? strlen(s) : 0; }
#define PAYLOAD_IS(event, args, want) payload_is(event, args, len_or_0(args), want)

static void test_encode_event_payload(void **state)
{
    (void)state;
    PAYLOAD_IS("ev", NULL, "[\"ev\"]");
    PAYLOAD_IS("ev", "[]", "[\"ev\"]");
    PAYLOAD_IS("ev", "[ ]", "[\"ev\"]");
    PAYLOAD_IS("ev", "[\n\t\r ]", "[\"ev\"]");
    PAYLOAD_IS("ev", " [] ", "[\"ev\"]");
    PAYLOAD_IS("ev", "[1,2]", "[\"ev\",1,2]");
    PAYLOAD_IS("ev", "[1]", "[\"ev\",1]");
    PAYLOAD_IS("ev", "[ 1 , 2 ]", "[\"ev\", 1 , 2 ]");
    PAYLOAD_IS("ev", " \n[1,2]\n ", "[\"ev\",1,2]");
    PAYLOAD_IS("ev", "[\n  {\"a\": [1, 2]},\n  \"x\"\n]", "[\"ev\",\n  {\"a\": [1, 2]},\n  \"x\"\n]");
    PAYLOAD_IS("ev", "[[1],[2]]", "[\"ev\",[1],[2]]");
    PAYLOAD_IS("ev", "[[]]", "[\"ev\",[]]");
    PAYLOAD_IS("ev", "[\"]\"]", "[\"ev\",\"]\"]");
    PAYLOAD_IS("ev", "[\"[\"]", "[\"ev\",\"[\"]");
    PAYLOAD_IS("ev", "[{\"_placeholder\":true,\"num\":0}]", "[\"ev\",{\"_placeholder\":true,\"num\":0}]");
    /* The event name is written as a JSON string. */
    PAYLOAD_IS("e\"v", "[{\"a\":[1]}]", "[\"e\\\"v\",{\"a\":[1]}]");
    PAYLOAD_IS("a\\b", NULL, "[\"a\\\\b\"]");
    PAYLOAD_IS("a\nb\x01", NULL, "[\"a\\nb\\u0001\"]");
    PAYLOAD_IS("\xc3\xa9\xe6\x97\xa5", "[]", "[\"\xc3\xa9\xe6\x97\xa5\"]");
    PAYLOAD_IS("", "[1]", "[\"\",1]");
    /* args_len bounds the arguments, not a NUL. */
    payload_is("ev", "[1,2]xxx", 5, "[\"ev\",1,2]");
    payload_is("ev", "[1,2]", 0, "[\"ev\"]");

    /* It appends. */
    sio_buf b;
    sio_buf_init(&b, SIO_HEADROOM);
    assert_int_equal(sio_buf_puts(&b, "42"), 0);
    assert_int_equal(sio_encode_header(&b, SIO_PKT_EVENT, "/chat", 4, 0), 0);
    assert_int_equal(sio_encode_event_payload(&b, "msg", "[\"hi\"]", 6), 0);
    const char *want = "422/chat,4[\"msg\",\"hi\"]";
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    sio_buf_free(&b);
}

/* What the encoder writes, the decoder reads back. */
static void test_round_trip(void **state)
{
    (void)state;
    static const struct {
        sio_packet_type t;
        const char *nsp;
        int64_t id;
        unsigned att;
        const char *event, *args;
    } cases[] = {
        {SIO_PKT_EVENT, "/", -1, 0, "ev", NULL},
        {SIO_PKT_EVENT, "/chat", 42, 0, "ev", "[1,{\"a\":\"b\"}]"},
        {SIO_PKT_EVENT, "/", SIO_MAX_ACK_ID, 0, "x\"y", "[ ]"},
        {SIO_PKT_BINARY_EVENT, "/b", 0, 2, "bin", "[" PH0 ",{\"_placeholder\":true,\"num\":1}]"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sio_buf b;
        sio_buf_init(&b, 0);
        assert_int_equal(sio_encode_header(&b, cases[i].t, cases[i].nsp, cases[i].id, cases[i].att), 0);
        assert_int_equal(
            sio_encode_event_payload(&b, cases[i].event, cases[i].args, len_or_0(cases[i].args)), 0);
        char *p = dup_exact(b.data, b.len);
        sio_packet pkt;
        assert_int_equal(sio_decode(p, b.len, NULL, &pkt), SIO_DECODE_OK);
        assert_int_equal(pkt.type, cases[i].t);
        assert_int_equal(pkt.nsp_len, strlen(cases[i].nsp));
        assert_memory_equal(pkt.nsp, cases[i].nsp, pkt.nsp_len);
        assert_int_equal(pkt.id, cases[i].id);
        assert_int_equal(pkt.attachments, cases[i].att);
        assert_true(json_string_eq(&pkt.json, 1, cases[i].event));
        sio_packet_free(&pkt);
        free(p);
        sio_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures_valid),
        cmocka_unit_test(test_fixtures_invalid),
        cmocka_unit_test(test_fixture_truncations),
        cmocka_unit_test(test_fixture_mutations),
        cmocka_unit_test(test_decode_every_type),
        cmocka_unit_test(test_decode_unknown_type),
        cmocka_unit_test(test_decode_attachments),
        cmocka_unit_test(test_decode_placeholders),
        cmocka_unit_test(test_decode_event_shape),
        cmocka_unit_test(test_decode_reserved),
        cmocka_unit_test(test_decode_reserved_escaped),
        cmocka_unit_test(test_decode_ack_id),
        cmocka_unit_test(test_decode_nsp),
        cmocka_unit_test(test_decode_payload),
        cmocka_unit_test(test_decode_connect_disconnect_shape),
        cmocka_unit_test(test_decode_failure_releases),
        cmocka_unit_test(test_decode_strerror),
        cmocka_unit_test(test_encode_header),
        cmocka_unit_test(test_encode_event_payload),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
