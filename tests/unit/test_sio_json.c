/* The public JSON helpers (include/sio_json.h): the accessors over parsed
 * text, missing values chaining through lookups, JSON Pointers, iteration,
 * strings with escapes and NULs, numbers at their limits; the writer's
 * escaping, unicode, nesting limit and its refusals of misuse. */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sio_json.h"

static sio_json *parse(const char *text)
{
    int err = 1;
    sio_json *doc = sio_json_parse(text, strlen(text), &err);
    if (!doc)
        fail_msg("sio_json_parse(%s) failed: %d", text, err);
    assert_int_equal(err, 0);
    return doc;
}

static void test_parse_refuses(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "{", "[1,]", "{\"a\"}", "01", "1 2", "[1][2]", "\"\\x\"", "tru", "\"\x01\"",
        "\"\xc3\x28\"", /* bad UTF-8 */
        "\"\xed\xa0\x80\"", /* a UTF-16 surrogate as UTF-8 */
        "\"\\ud800\"",      /* a lone surrogate escape */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int err = 0;
        sio_json *doc = sio_json_parse(bad[i], strlen(bad[i]), &err);
        if (doc)
            fail_msg("accepted %s", bad[i]);
        assert_int_equal(err, SIO_EINVAL);
    }
    /* A NUL byte inside the text. */
    int err = 0;
    assert_null(sio_json_parse("[1,\0 2]", 7, &err));
    assert_int_equal(err, SIO_EINVAL);
    /* Nesting: 32 levels are read, 33 are refused. */
    char deep[80];
    memset(deep, '[', 32);
    memset(deep + 32, ']', 32);
    sio_json *doc = sio_json_parse(deep, 64, &err);
    assert_non_null(doc);
    sio_json_free(doc);
    memset(deep, '[', 33);
    memset(deep + 33, ']', 33);
    assert_null(sio_json_parse(deep, 66, &err));
    assert_int_equal(err, SIO_EINVAL);
    sio_json_free(NULL);
}

static void test_members_and_missing(void **state)
{
    (void)state;
    /* The text need not be NUL-terminated, and the document keeps a copy. */
    char *text = strdup("{\"user\":{\"name\":\"ann\",\"tags\":[\"a\",\"b\"]},\"age\":42,\"ok\":true,"
                        "\"no\":false,\"nil\":null,\"age\":43} trailing");
    sio_json *doc = sio_json_parse(text, strlen(text) - strlen(" trailing"), NULL);
    assert_non_null(doc);
    memset(text, 'x', strlen(text));
    free(text);

    sio_json_value root = sio_json_root(doc);
    assert_int_equal(sio_json_typeof(root), SIO_JSON_OBJECT);
    assert_int_equal(sio_json_count(root), 6);
    sio_json_value user = sio_json_get(root, "user");
    assert_int_equal(sio_json_typeof(user), SIO_JSON_OBJECT);
    assert_true(sio_json_string_eq(sio_json_get(user, "name"), "ann"));
    int64_t age = 0;
    assert_true(sio_json_int(sio_json_get(root, "age"), &age));
    assert_int_equal(age, 43); /* the last of a repeated key, as JSON.parse */
    bool b = false;
    assert_true(sio_json_bool(sio_json_get(root, "ok"), &b));
    assert_true(b);
    assert_true(sio_json_bool(sio_json_get(root, "no"), &b));
    assert_false(b);
    assert_int_equal(sio_json_typeof(sio_json_get(root, "nil")), SIO_JSON_NULL);
    assert_false(sio_json_is_missing(sio_json_get(root, "nil")));

    /* Missing values chain and answer "missing" everywhere. */
    sio_json_value gone = sio_json_get(sio_json_get(sio_json_get(root, "nope"), "deeper"), "still");
    assert_true(sio_json_is_missing(gone));
    assert_int_equal(sio_json_typeof(gone), SIO_JSON_MISSING);
    assert_true(sio_json_is_missing(sio_json_get(sio_json_get(root, "age"), "x"))); /* not an object */
    assert_true(sio_json_is_missing(sio_json_at(root, 0)));                          /* not an array */
    assert_true(sio_json_is_missing(sio_json_at(sio_json_get(user, "tags"), 2)));
    assert_true(sio_json_is_missing(sio_json_at(sio_json_get(user, "tags"), SIZE_MAX)));
    assert_true(sio_json_is_missing(sio_json_get(root, NULL)));
    assert_int_equal(sio_json_count(gone), 0);
    assert_false(sio_json_int(gone, &age));
    assert_false(sio_json_bool(gone, &b));
    assert_null(sio_json_strdup(gone, NULL));
    assert_int_equal(sio_json_string(gone, NULL, 0), (size_t)-1);
    size_t len = 9;
    assert_null(sio_json_raw(gone, &len));
    assert_int_equal(len, 0);
    assert_true(sio_json_is_missing(sio_json_root(NULL)));

    /* Raw spans re-emit values unchanged. */
    const char *raw = sio_json_raw(sio_json_get(user, "tags"), &len);
    assert_int_equal(len, 9);
    assert_memory_equal(raw, "[\"a\",\"b\"]", 9);
    raw = sio_json_raw(sio_json_get(user, "name"), &len);
    assert_int_equal(len, 5);
    assert_memory_equal(raw, "\"ann\"", 5);
    sio_json_free(doc);
}

static void test_pointer(void **state)
{
    (void)state;
    /* RFC 6901's own example document and pointers. */
    sio_json *doc = parse("{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,"
                          "\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}");
    sio_json_value root = sio_json_root(doc);
    struct {
        const char *ptr;
        int64_t want;
    } ints[] = {{"/", 0},      {"/a~1b", 1}, {"/c%d", 2}, {"/e^f", 3}, {"/g|h", 4},
                {"/i\\j", 5},  {"/k\"l", 6}, {"/ ", 7},   {"/m~0n", 8}};
    for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
        int64_t v = -1;
        if (!sio_json_int(sio_json_pointer(root, ints[i].ptr), &v) || v != ints[i].want)
            fail_msg("pointer %s: %lld", ints[i].ptr, (long long)v);
    }
    assert_int_equal(sio_json_typeof(sio_json_pointer(root, "")), SIO_JSON_OBJECT);
    assert_true(sio_json_string_eq(sio_json_pointer(root, "/foo/0"), "bar"));
    assert_true(sio_json_string_eq(sio_json_pointer(root, "/foo/1"), "baz"));
    static const char *const absent[] = {"/foo/2", "/foo/-", "/foo/01", "/foo/+1", "/foo/1/x",
                                         "foo",    "/m~2n", "/m~",    "/nope"};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        if (!sio_json_is_missing(sio_json_pointer(root, absent[i])))
            fail_msg("pointer %s found a value", absent[i]);
    assert_true(sio_json_is_missing(sio_json_pointer(root, NULL)));
    sio_json_free(doc);

    /* A long name (more than the small buffer) is read too. */
    char name[600], text[700], ptr[700];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(text, sizeof(text), "{\"%s\":{\"x\":1}}", name);
    snprintf(ptr, sizeof(ptr), "/%s/x", name);
    doc = parse(text);
    int64_t v = 0;
    assert_true(sio_json_int(sio_json_pointer(sio_json_root(doc), ptr), &v));
    assert_int_equal(v, 1);
    sio_json_free(doc);
}

static void test_iterate(void **state)
{
    (void)state;
    sio_json *doc = parse("{\"a\":[1,[2,3],{\"x\":4}],\"b\":{},\"c\":\"s\"}");
    sio_json_value root = sio_json_root(doc);
    const char *keys[] = {"a", "b", "c"};
    sio_json_type types[] = {SIO_JSON_ARRAY, SIO_JSON_OBJECT, SIO_JSON_STRING};
    size_t pos = 0, n = 0;
    sio_json_value k, v;
    while (sio_json_next(root, &pos, &k, &v)) {
        assert_true(n < 3);
        assert_true(sio_json_string_eq(k, keys[n]));
        assert_int_equal(sio_json_typeof(v), types[n]);
        n++;
    }
    assert_int_equal(n, 3);
    assert_false(sio_json_next(root, &pos, &k, &v)); /* stays at the end */

    sio_json_value arr = sio_json_get(root, "a");
    sio_json_type etypes[] = {SIO_JSON_NUMBER, SIO_JSON_ARRAY, SIO_JSON_OBJECT};
    pos = 0;
    n = 0;
    while (sio_json_next(arr, &pos, &k, &v)) {
        assert_true(sio_json_is_missing(k));
        assert_int_equal(sio_json_typeof(v), etypes[n]);
        n++;
    }
    assert_int_equal(n, 3);
    pos = 0;
    assert_false(sio_json_next(sio_json_get(root, "b"), &pos, NULL, NULL)); /* empty */
    pos = 0;
    assert_false(sio_json_next(sio_json_get(root, "c"), &pos, NULL, &v)); /* not a container */
    pos = 0;
    assert_false(sio_json_next(sio_json_get(root, "zz"), &pos, NULL, &v));
    sio_json_free(doc);
}

static void test_strings(void **state)
{
    (void)state;
    sio_json *doc = parse("[\"a\\\"b\\\\c\\/d\\n\", \"\\u00e9\\ud835\\udd4a\xf0\x9f\x98\x80\", \"x\\u0000y\", \"\"]");
    sio_json_value root = sio_json_root(doc);
    size_t len = 0;
    char *s = sio_json_strdup(sio_json_at(root, 0), &len);
    assert_string_equal(s, "a\"b\\c/d\n");
    assert_int_equal(len, 8);
    free(s);
    s = sio_json_strdup(sio_json_at(root, 1), NULL);
    assert_string_equal(s, "\xc3\xa9\xf0\x9d\x95\x8a\xf0\x9f\x98\x80"); /* é 𝕊 😀 */
    free(s);
    /* An escaped NUL: in the length, and never equal to a C string. */
    s = sio_json_strdup(sio_json_at(root, 2), &len);
    assert_int_equal(len, 3);
    assert_memory_equal(s, "x\0y", 4);
    free(s);
    assert_false(sio_json_string_eq(sio_json_at(root, 2), "x"));
    assert_false(sio_json_string_eq(sio_json_at(root, 2), "x\0y"));
    s = sio_json_strdup(sio_json_at(root, 3), &len);
    assert_string_equal(s, "");
    assert_int_equal(len, 0);
    free(s);

    /* Copies into a caller's buffer as snprintf does. */
    char out[4];
    assert_int_equal(sio_json_string(sio_json_at(root, 0), out, sizeof(out)), 8);
    assert_string_equal(out, "a\"b");
    assert_int_equal(sio_json_string(sio_json_at(root, 0), NULL, 0), 8);
    char big[16];
    assert_int_equal(sio_json_string(sio_json_at(root, 0), big, sizeof(big)), 8);
    assert_string_equal(big, "a\"b\\c/d\n");
    assert_null(sio_json_strdup(root, NULL)); /* not a string */
    sio_json_free(doc);
}

static void test_numbers(void **state)
{
    (void)state;
    sio_json *doc = parse("[9223372036854775807,-9223372036854775808,9223372036854775808,1.5,1e3,-0,1e400]");
    sio_json_value root = sio_json_root(doc);
    int64_t i = 0;
    assert_true(sio_json_int(sio_json_at(root, 0), &i));
    assert_true(i == INT64_MAX);
    assert_true(sio_json_int(sio_json_at(root, 1), &i));
    assert_true(i == INT64_MIN);
    i = 7;
    assert_false(sio_json_int(sio_json_at(root, 2), &i)); /* out of range */
    assert_false(sio_json_int(sio_json_at(root, 3), &i)); /* a fraction */
    assert_false(sio_json_int(sio_json_at(root, 4), &i)); /* an exponent */
    assert_int_equal(i, 7);                               /* untouched */
    double d = 0;
    assert_true(sio_json_double(sio_json_at(root, 3), &d));
    assert_true(d == 1.5);
    assert_true(sio_json_double(sio_json_at(root, 4), &d));
    assert_true(d == 1000);
    assert_true(sio_json_double(sio_json_at(root, 5), &d));
    assert_true(d == 0);
    assert_false(sio_json_double(sio_json_at(root, 6), &d)); /* beyond a double */
    assert_false(sio_json_double(sio_json_at(root, 7), &d));
    sio_json_free(doc);
}

/* The writer's text, checked against `want` and read back by the reader. */
static void expect_text(sio_json_writer *w, const char *want)
{
    size_t len = 0;
    const char *got = sio_jw_text(w, &len);
    if (!got)
        fail_msg("no text (error %d), want %s", sio_jw_error(w), want);
    assert_string_equal(got, want);
    assert_int_equal(len, strlen(want));
    sio_json *doc = sio_json_parse(got, len, NULL);
    assert_non_null(doc);
    sio_json_free(doc);
}

static void test_writer(void **state)
{
    (void)state;
    sio_json_writer *w = sio_jw_new();
    assert_non_null(w);
    assert_null(sio_jw_text(w, NULL)); /* nothing written yet */
    sio_jw_array(w);
    sio_jw_string(w, "ann \"the\" \\ admin\n\t\x01\x1f");
    sio_jw_int(w, INT64_MIN);
    sio_jw_int(w, 0);
    sio_jw_double(w, 0.1);
    sio_jw_double(w, 1e300);
    sio_jw_double(w, -2.5);
    sio_jw_bool(w, true);
    sio_jw_bool(w, false);
    sio_jw_null(w);
    sio_jw_string(w, NULL);
    sio_jw_object(w);
    sio_jw_key(w, "é𝕊 \"k\"");
    sio_jw_array(w);
    sio_jw_array_end(w);
    sio_jw_key(w, "o");
    sio_jw_object(w);
    sio_jw_object_end(w);
    sio_jw_keyn(w, "x\0y", 3);
    sio_jw_stringn(w, "a\0b", 3);
    sio_jw_key(w, "raw");
    sio_jw_raw(w, " {\"kept\": [1, 2]} ", 18);
    sio_jw_object_end(w);
    assert_null(sio_jw_text(w, NULL)); /* the array is still open */
    sio_jw_array_end(w);
    expect_text(w, "[\"ann \\\"the\\\" \\\\ admin\\n\\t\\u0001\\u001f\",-9223372036854775808,0,0.1,1e+300,-2.5,"
                   "true,false,null,null,{\"é𝕊 \\\"k\\\"\":[],\"o\":{},\"x\\u0000y\":\"a\\u0000b\","
                   "\"raw\": {\"kept\": [1, 2]} }]");

    /* Reset, and a scalar alone is a whole value. */
    sio_jw_reset(w);
    sio_jw_string(w, "just this");
    expect_text(w, "\"just this\"");
    sio_jw_reset(w);
    sio_jw_double(w, 123456789.125);
    expect_text(w, "123456789.125");
    sio_jw_free(w);
    sio_jw_free(NULL);
}

/* Doubles read back exactly, whatever the locale's decimal point. */
static void test_writer_doubles(void **state)
{
    (void)state;
    const char *old = setlocale(LC_NUMERIC, NULL);
    char saved[64];
    snprintf(saved, sizeof(saved), "%s", old ? old : "C");
    bool comma = setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8");
    const double values[] = {0.1, 1.0 / 3, 5e-324, 1.7976931348623157e308, -0.0, 2.5, 1e21, 123.456};
    sio_json_writer *w = sio_jw_new();
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        sio_jw_reset(w);
        sio_jw_double(w, values[i]);
        size_t len;
        const char *text = sio_jw_text(w, &len);
        assert_non_null(text);
        assert_null(strchr(text, ','));
        sio_json *doc = sio_json_parse(text, len, NULL);
        double back = 1;
        assert_true(sio_json_double(sio_json_root(doc), &back));
        if (back != values[i])
            fail_msg("%s read back as %.17g (locale with a decimal comma: %d)", text, back, comma);
        sio_json_free(doc);
    }
    sio_jw_free(w);
    setlocale(LC_NUMERIC, saved);
}

typedef void (*misuse_fn)(sio_json_writer *w);
static void m_value_for_key(sio_json_writer *w) { sio_jw_object(w); sio_jw_int(w, 1); }
static void m_key_in_array(sio_json_writer *w) { sio_jw_array(w); sio_jw_key(w, "k"); }
static void m_two_keys(sio_json_writer *w) { sio_jw_object(w); sio_jw_key(w, "a"); sio_jw_key(w, "b"); }
static void m_key_without_value(sio_json_writer *w) { sio_jw_object(w); sio_jw_key(w, "a"); sio_jw_object_end(w); }
static void m_wrong_close(sio_json_writer *w) { sio_jw_array(w); sio_jw_object_end(w); }
static void m_close_nothing(sio_json_writer *w) { sio_jw_array_end(w); }
static void m_two_values(sio_json_writer *w) { sio_jw_int(w, 1); sio_jw_int(w, 2); }
static void m_bad_utf8(sio_json_writer *w) { sio_jw_string(w, "\xc3\x28"); }
static void m_bad_utf8_key(sio_json_writer *w) { sio_jw_object(w); sio_jw_key(w, "\xff"); }
static void m_surrogate(sio_json_writer *w) { sio_jw_string(w, "\xed\xa0\x80"); }
static void m_nan(sio_json_writer *w) { sio_jw_double(w, NAN); }
static void m_inf(sio_json_writer *w) { sio_jw_double(w, -INFINITY); }
static void m_bad_raw(sio_json_writer *w) { sio_jw_array(w); sio_jw_raw(w, "[1,]", 4); }
static void m_raw_two(sio_json_writer *w) { sio_jw_raw(w, "1 2", 3); }
static void m_null_key(sio_json_writer *w) { sio_jw_object(w); sio_jw_key(w, NULL); }
static void m_too_deep(sio_json_writer *w)
{
    for (int i = 0; i < 33; i++)
        sio_jw_array(w);
}

static void test_writer_misuse(void **state)
{
    (void)state;
    const misuse_fn cases[] = {m_value_for_key, m_key_in_array, m_two_keys,     m_key_without_value,
                               m_wrong_close,   m_close_nothing, m_two_values,  m_bad_utf8,
                               m_bad_utf8_key,  m_surrogate,     m_nan,         m_inf,
                               m_bad_raw,       m_raw_two,       m_null_key,    m_too_deep};
    sio_json_writer *w = sio_jw_new();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sio_jw_reset(w);
        cases[i](w);
        if (sio_jw_error(w) != SIO_EINVAL)
            fail_msg("misuse case %zu: error %d", i, sio_jw_error(w));
        /* Sticky: later calls change nothing, and there is no text. */
        sio_jw_array_end(w);
        sio_jw_object_end(w);
        assert_int_equal(sio_jw_error(w), SIO_EINVAL);
        assert_null(sio_jw_text(w, NULL));
    }
    /* 32 levels are fine. */
    sio_jw_reset(w);
    for (int i = 0; i < 32; i++)
        sio_jw_array(w);
    for (int i = 0; i < 32; i++)
        sio_jw_array_end(w);
    assert_int_equal(sio_jw_error(w), 0);
    assert_non_null(sio_jw_text(w, NULL));
    sio_jw_free(w);
    /* A NULL writer (sio_jw_new out of memory): every call does nothing. */
    sio_jw_array(NULL);
    sio_jw_object(NULL);
    sio_jw_key(NULL, "k");
    sio_jw_keyn(NULL, "k", 1);
    sio_jw_string(NULL, "s");
    sio_jw_string(NULL, NULL);
    sio_jw_stringn(NULL, "s", 1);
    sio_jw_int(NULL, 1);
    sio_jw_double(NULL, 1.5);
    sio_jw_double(NULL, NAN);
    sio_jw_bool(NULL, true);
    sio_jw_null(NULL);
    sio_jw_raw(NULL, "1", 1);
    sio_jw_object_end(NULL);
    sio_jw_array_end(NULL);
    sio_jw_reset(NULL);
    assert_int_equal(sio_jw_error(NULL), SIO_EINVAL);
    assert_null(sio_jw_text(NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_refuses), cmocka_unit_test(test_members_and_missing),
        cmocka_unit_test(test_pointer),       cmocka_unit_test(test_iterate),
        cmocka_unit_test(test_strings),       cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_writer),        cmocka_unit_test(test_writer_doubles),
        cmocka_unit_test(test_writer_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
