/* Log records as lines (util/log_format.c, the public sio_log_format):
 * logfmt text and JSON, with hostile strings (a request's path can hold
 * anything) that must never break a line or the JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sio.h"
#include "sio_json.h"
#include "util/log_format.h"
#include "util/utf8.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static char *text(const sio_log_record *r, const char *time)
{
    char *line = sio_log_format(r, SIO_LOG_TEXT, time);
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    assert_null(strchr(line, '\r'));
    return line;
}

static void assert_text(const sio_log_record *r, const char *time, const char *want)
{
    char *line = text(r, time);
    assert_string_equal(line, want);
    free(line);
}

static void test_text_plain(void **state)
{
    (void)state;
    sio_log_field f[] = {
        {"address", "127.0.0.1", 0}, {"transport", "polling", 0}, {"protocol", NULL, 4},
        {"namespace", "/", 0},       {"duration_ms", NULL, 0},    {"n", NULL, -12},
    };
    sio_log_record r = {2, "connect", f, N(f)};
    assert_text(&r, NULL, "connect address=127.0.0.1 transport=polling protocol=4 namespace=/ duration_ms=0 n=-12");
    assert_text(&r, "2026-01-02T03:04:05.678Z",
                "2026-01-02T03:04:05.678Z info connect address=127.0.0.1 transport=polling protocol=4 "
                "namespace=/ duration_ms=0 n=-12");
    sio_log_record none = {0, "stopped", NULL, 0};
    assert_text(&none, "T", "T error stopped");
    sio_log_record odd = {9, NULL, NULL, 0};
    assert_text(&odd, "T", "T debug ");
    assert_string_equal(sio_log_level_name(-3), "error");
    assert_string_equal(sio_log_level_name(1), "warn");
    assert_string_equal(sio_log_level_name(7), "debug");
}

static void test_text_quoting(void **state)
{
    (void)state;
    static const struct {
        const char *value, *want;
    } cases[] = {
        {"", "\"\""},
        {"a b", "\"a b\""},
        {"a=b", "\"a=b\""},
        {"say \"hi\"", "\"say \\\"hi\\\"\""},
        {"C:\\dir", "\"C:\\\\dir\""},
        {"/x\n2020-01-01T00:00:00.000Z error forged", "\"/x\\n2020-01-01T00:00:00.000Z error forged\""},
        {"a\rb\tc", "\"a\\rb\\tc\""},
        {"\x01\x1b[31mred\x7f", "\"\\x01\\x1b[31mred\\x7f\""},
        {"caf\xc3\xa9", "caf\xc3\xa9"},             /* valid UTF-8 as it is */
        {"\xff\xfe", "\"\\xff\\xfe\""},             /* invalid bytes */
        {"ab\xc3", "\"ab\\xc3\""},                  /* a sequence cut short */
        {"\xed\xa0\x80", "\"\\xed\\xa0\\x80\""},    /* a surrogate */
        {"/favicon.ico", "/favicon.ico"},
    };
    for (size_t i = 0; i < N(cases); i++) {
        sio_log_field f = {"path", cases[i].value, 0};
        sio_log_record r = {3, "refused", &f, 1};
        char want[256];
        snprintf(want, sizeof(want), "refused path=%s", cases[i].want);
        assert_text(&r, NULL, want);
    }
}

static void test_text_message_and_keys(void **state)
{
    (void)state;
    /* The message is not quoted, but a record stays one line. */
    sio_log_field f[] = {{"bad key=\"x\"\n", "v", 0}, {"", "w", 0}, {NULL, NULL, 1}, {"ok.key-1_", "z", 0}};
    sio_log_record r = {1, "line one\nline \"two\"\xff", f, N(f)};
    assert_text(&r, NULL, "line one\\x0aline \"two\"\\xff bad_key__x__=v _=w _=1 ok.key-1_=z");
}

/* A value of n bytes of `fill` (a UTF-8 sequence repeated) after `head`. */
static char *long_value(const char *head, const char *fill, size_t n)
{
    char *v = malloc(n + 1);
    assert_non_null(v);
    size_t h = strlen(head), k = strlen(fill), i = 0;
    memcpy(v, head, h);
    for (i = h; i + k <= n; i += k)
        memcpy(v + i, fill, k);
    v[i] = 0;
    return v;
}

static void test_long_values_are_cut(void **state)
{
    (void)state;
    char *v = long_value("", "a", 5000);
    sio_log_field f = {"path", v, 0};
    sio_log_record r = {2, "refused", &f, 1};
    char *line = text(&r, NULL);
    /* refused path="aaa...a..." : quoted to show it was cut */
    assert_int_equal(strlen(line), strlen("refused path=\"\"") + LOG_VALUE_MAX + 3);
    assert_non_null(strstr(line, "a...\""));
    free(line);
    free(v);
    /* Cut at a character's boundary: one ASCII byte, then two-byte é. */
    v = long_value("a", "\xc3\xa9", 3001);
    f.str = v;
    line = sio_log_format(&r, SIO_LOG_JSON, NULL);
    assert_non_null(line);
    assert_true(sio_utf8_valid((const unsigned char *)line, strlen(line)));
    sio_json *doc = sio_json_parse(line, strlen(line), NULL);
    assert_non_null(doc);
    size_t len;
    char *got = sio_json_strdup(sio_json_get(sio_json_root(doc), "path"), &len);
    assert_non_null(got);
    assert_int_equal(len, LOG_VALUE_MAX - 1 + 3); /* 'a', 511 é, "..." */
    assert_memory_equal(got + len - 5, "\xc3\xa9...", 5);
    free(got);
    sio_json_free(doc);
    free(line);
    free(v);
}

/* The JSON line parsed, with the string member `key` checked. */
static void assert_member(sio_json *doc, const char *key, const char *want, size_t want_len)
{
    size_t len = 0;
    char *got = sio_json_strdup(sio_json_get(sio_json_root(doc), key), &len);
    assert_non_null(got);
    assert_int_equal(len, want_len);
    assert_memory_equal(got, want, want_len);
    free(got);
}

static void test_json(void **state)
{
    (void)state;
    const char hostile[] = "/x\"\\\n\r\t\x01\x1f\x7f</script>\xe2\x80\xa8 caf\xc3\xa9";
    sio_log_field f[] = {
        {"address", "127.0.0.1", 0}, {"path", hostile, 0}, {"bytes", "\xff" "a\xc3", 0},
        {"duration_ms", NULL, 1234}, {"neg", NULL, INT64_MIN}, {"we\"ird", "k", 0},
    };
    sio_log_record r = {1, "refused \"it\"\n", f, N(f)};
    char *line = sio_log_format(&r, SIO_LOG_JSON, "2026-01-02T03:04:05.678Z");
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    assert_true(sio_utf8_valid((const unsigned char *)line, strlen(line)));
    assert_memory_equal(line, "{\"time\":\"2026-01-02T03:04:05.678Z\",\"level\":\"warn\",\"msg\":", 55);
    sio_json *doc = sio_json_parse(line, strlen(line), NULL);
    assert_non_null(doc);
    assert_member(doc, "time", "2026-01-02T03:04:05.678Z", 24);
    assert_member(doc, "level", "warn", 4);
    assert_member(doc, "msg", "refused \"it\"\n", 13);
    assert_member(doc, "address", "127.0.0.1", 9);
    assert_member(doc, "path", hostile, sizeof(hostile) - 1);
    /* Invalid UTF-8: each bad byte (and a cut sequence) becomes U+FFFD. */
    assert_member(doc, "bytes", "\xef\xbf\xbd" "a\xef\xbf\xbd", 7);
    assert_member(doc, "we_ird", "k", 1);
    int64_t n = 0;
    assert_true(sio_json_int(sio_json_get(sio_json_root(doc), "duration_ms"), &n));
    assert_int_equal(n, 1234);
    assert_true(sio_json_int(sio_json_get(sio_json_root(doc), "neg"), &n));
    assert_true(n == INT64_MIN);
    sio_json_free(doc);
    free(line);

    /* Without a time: no "time" member. */
    sio_log_record bare = {3, "x", NULL, 0};
    line = sio_log_format(&bare, SIO_LOG_JSON, NULL);
    assert_string_equal(line, "{\"level\":\"debug\",\"msg\":\"x\"}");
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_text_plain),
        cmocka_unit_test(test_text_quoting),
        cmocka_unit_test(test_text_message_and_keys),
        cmocka_unit_test(test_long_values_are_cut),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
