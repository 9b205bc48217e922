/* sio-testserver's pure parts: the JSON subset match of its rules and
 * waits (match.c), and binary arguments as {"$binary": base64} (binary.c),
 * compiled in from the program's folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/programs/sio-testserver/binary.c"
#include "../../src/programs/sio-testserver/match.c"

static void test_match_table(void **state)
{
    (void)state;
    static const struct {
        const char *pattern, *value;
        bool match;
    } cases[] = {
        {"{}", "{\"a\":1}", true},
        {"{\"a\":1}", "{\"a\":1,\"b\":2}", true},
        {"{\"a\":1}", "{\"b\":1}", false},
        {"{\"a\":1}", "{\"a\":2}", false},
        {"{\"a\":1}", "{\"a\":1.0}", true},   /* numbers compare as numbers */
        {"{\"a\":1e2}", "{\"a\":100}", true},
        {"{\"a\":{\"b\":[1]}}", "{\"a\":{\"b\":[1,2],\"c\":3}}", true},
        {"{\"a\":{\"b\":[2]}}", "{\"a\":{\"b\":[1,2]}}", false}, /* arrays match by position */
        {"[1,2]", "[1,2,3]", true},
        {"[1,2,3]", "[1,2]", false},
        {"[]", "[5]", true},
        {"[]", "{}", false},
        {"{}", "[]", false},
        {"\"a\"", "\"a\"", true},
        {"\"\\u00e9\"", "\"\xc3\xa9\"", true}, /* the same string, escaped or not */
        {"\"a\"", "\"b\"", false},
        {"\"1\"", "1", false},
        {"null", "null", true},
        {"null", "false", false},
        {"true", "true", true},
        {"true", "false", false},
        {"{\"a\":null}", "{}", false},          /* a member must be there, null or not */
        {"{\"a\":null}", "{\"a\":null}", true},
        {"[{\"name\":\"ann\"}]", "[{\"name\":\"ann\",\"age\":3},\"x\"]", true},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (ts_json_match_text(cases[i].pattern, cases[i].value) != cases[i].match)
            fail_msg("match(%s, %s) should be %d", cases[i].pattern, cases[i].value, cases[i].match);
    }
}

static void test_match_missing_and_bad(void **state)
{
    (void)state;
    sio_json *v = sio_json_parse("[1]", 3, NULL);
    /* A missing pattern (an absent member) matches anything. */
    assert_true(ts_json_match(sio_json_get(sio_json_root(v), "nope"), sio_json_root(v)));
    sio_json_free(v);
    assert_false(ts_json_match_text("{", "{}"));
    assert_false(ts_json_match_text("{}", "nope"));
}

static void test_base64(void **state)
{
    (void)state;
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const out[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        char *b = ts_base64(in[i], strlen(in[i]));
        assert_string_equal(b, out[i]);
        free(b);
        unsigned char *d = NULL;
        size_t n = 0;
        assert_int_equal(unbase64(out[i], strlen(out[i]), &d, &n), 0);
        assert_int_equal(n, strlen(in[i]));
        assert_memory_equal(d, in[i], n);
        free(d);
    }
    unsigned char *d = NULL;
    size_t n;
    assert_int_equal(unbase64("Zm9", 3, &d, &n), 0); /* without its padding */
    assert_memory_equal(d, "fo", 2);
    free(d);
    assert_int_equal(unbase64("Z", 1, &d, &n), -1);
    assert_int_equal(unbase64("Zm$v", 4, &d, &n), -1);
}

static void test_args_markers(void **state)
{
    (void)state;
    const char *text = "[1,{\"$binary\":\"AQID\",\"k\":{\"$binary\":\"BA==\"}},[{\"$binary\":\"\"}],\"s\"]";
    sio_json *doc = sio_json_parse(text, strlen(text), NULL);
    ts_args a;
    const char *why = NULL;
    assert_int_equal(ts_args_from_json(sio_json_root(doc), &a, &why), 0);
    /* An object with more than the marker's member is an object. */
    assert_string_equal(a.json, "[1,{\"$binary\":\"AQID\",\"k\":{\"_placeholder\":true,\"num\":0}},"
                                "[{\"_placeholder\":true,\"num\":1}],\"s\"]");
    assert_int_equal(a.nbins, 2);
    assert_int_equal(a.bins[0].len, 1);
    assert_int_equal(((const unsigned char *)a.bins[0].data)[0], 4);
    assert_int_equal(a.bins[1].len, 0);
    ts_args copy;
    assert_int_equal(ts_args_copy(&copy, &a), 0);
    assert_string_equal(copy.json, a.json);
    assert_int_equal(copy.nbins, 2);
    ts_args_free(&copy);
    ts_args_free(&a);
    sio_json_free(doc);

    static const char *const bad[] = {"{}", "3", "[{\"$binary\":\"%%\"}]", "[{\"$binary\":\"A\"}]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = sio_json_parse(bad[i], strlen(bad[i]), NULL);
        why = NULL;
        assert_int_equal(ts_args_from_json(sio_json_root(doc), &a, &why), -1);
        assert_non_null(why);
        sio_json_free(doc);
    }
    /* No arguments at all: an empty array. */
    assert_int_equal(ts_args_from_json((sio_json_value){0}, &a, &why), 0);
    assert_string_equal(a.json, "[]");
    ts_args_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match_table),
        cmocka_unit_test(test_match_missing_and_bad),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_args_markers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
