/* JSONP polling: the script wrapper and the form-encoded POST body. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "eio/eio_jsonp.h"

static void expect_wrap(unsigned long index, const char *payload, size_t n, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(eio_jsonp_wrap(&b, index, (const unsigned char *)payload, n), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    sio_buf_free(&b);
}

static void test_wrap(void **state)
{
    (void)state;
    expect_wrap(0, "", 0, "___eio[0](\"\");");
    expect_wrap(3, "2:40", 4, "___eio[3](\"2:40\");");
    /* What JSON.stringify escapes, plus the JavaScript line terminators. */
    expect_wrap(1, "\"\\", 2, "___eio[1](\"\\\"\\\\\");");
    expect_wrap(1, "a\nb\tc\r\b\f", 8, "___eio[1](\"a\\nb\\tc\\r\\b\\f\");");
    expect_wrap(1, "\x01\x0b\x1f", 3, "___eio[1](\"\\u0001\\u000b\\u001f\");");
    expect_wrap(12, "\xe2\x80\xa8x\xe2\x80\xa9", 7, "___eio[12](\"\\u2028x\\u2029\");");
    /* Other UTF-8 passes through, including a lone E2 at the end. */
    expect_wrap(1, "\xe2\x82\xac\xe2", 4, "___eio[1](\"\xe2\x82\xac\xe2\");");
}

static int unwrap(const char *body, sio_buf *out)
{
    size_t n = strlen(body);
    unsigned char *copy = malloc(n ? n : 1); /* exactly sized: over-reads show under ASan */
    memcpy(copy, body, n);
    sio_buf_init(out, 0);
    int rc = eio_jsonp_unwrap(out, copy, n);
    free(copy);
    return rc;
}

static void expect_unwrap(const char *body, const char *want)
{
    sio_buf b;
    assert_int_equal(unwrap(body, &b), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    sio_buf_free(&b);
}

static void test_unwrap(void **state)
{
    (void)state;
    expect_unwrap("d=6%3A4hello", "6:4hello");
    expect_unwrap("x=1&d=2%3A4a&y=2", "2:4a");
    expect_unwrap("d=4+b", "4 b");
    /* The client sends newlines as \n and a literal backslash-n as \\n. */
    expect_unwrap("d=a%5Cnb", "a\nb");
    expect_unwrap("d=a%5C%5Cnb", "a\\nb");
    expect_unwrap("d=", "");
    expect_unwrap("d=%e2%82%ac", "\xe2\x82\xac");
}

static void test_unwrap_invalid(void **state)
{
    (void)state;
    const char *bad[] = {"", "x=1", "dd=1", "d", "d=%", "d=%4", "d=%zz", "d=a%g1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sio_buf b;
        assert_int_equal(unwrap(bad[i], &b), -1);
        sio_buf_free(&b);
    }
}

/* Every truncation of a valid body: no crash, no over-read. */
static void test_unwrap_truncations(void **state)
{
    (void)state;
    const char *body = "a=1&d=9%3A4hi%5Cn%5C%5Cnthere+%e2%82%ac&z=2";
    for (size_t n = 0; n <= strlen(body); n++) {
        char tmp[128];
        memcpy(tmp, body, n);
        tmp[n] = 0;
        sio_buf b;
        (void)unwrap(tmp, &b);
        sio_buf_free(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_unwrap),
        cmocka_unit_test(test_unwrap_invalid),
        cmocka_unit_test(test_unwrap_truncations),
    };
    return cmocka_run_group_tests_name("eio jsonp", tests, NULL, NULL);
}
