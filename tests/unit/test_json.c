/* Unit tests for util/json: validation tables (with every truncation of every
 * valid input), navigation, string decoding and writing, numbers, limits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/json.h"

typedef struct doc_case {
    const char *s;
    size_t n;
    int rc;
} doc_case;

/* sizeof keeps embedded NUL bytes in the length. */
#define D(lit, code) {lit, sizeof(lit) - 1, code}

static const doc_case valid_docs[] = {
    D("0", JSON_OK),
    D("-0", JSON_OK),
    D("1", JSON_OK),
    D("-1", JSON_OK),
    D("0.5e-3", JSON_OK),
    D("1E+2", JSON_OK),
    D("1e2", JSON_OK),
    D("-1.5E-10", JSON_OK),
    D("123456789012345678901234567890", JSON_OK),
    D("true", JSON_OK),
    D("false", JSON_OK),
    D("null", JSON_OK),
    D("1 ", JSON_OK),
    D(" \"s\" ", JSON_OK),
    D("\"\"", JSON_OK),
    D("\"abc\"", JSON_OK),
    D(" \t\r\n[] \t\r\n", JSON_OK),
    D("{}", JSON_OK),
    D("[]", JSON_OK),
    D("[{}]", JSON_OK),
    D("[[[[]]]]", JSON_OK),
    D("[1,2,3]", JSON_OK),
    D("[1 , 2 ]", JSON_OK),
    D("[true,false,null]", JSON_OK),
    D("[\"a\",\"b\"]", JSON_OK),
    D("[-0.0e0,1e5,2E-5,0.1]", JSON_OK),
    D("{\"a\":1}", JSON_OK),
    D("{\"\":\"\"}", JSON_OK),
    D("{ \"a\" : 1 , \"b\" : [ ] }", JSON_OK),
    D("{\"a\":\"b\",\"c\":\"d\"}", JSON_OK),
    D("{\"a\":[1],\"b\":{\"c\":1},\"d\":2}", JSON_OK),
    D("{\"a\":{\"b\":[1,{\"c\":null}]},\"d\":\"e\"}", JSON_OK),
    D("[[1,2],[3,[4]]]", JSON_OK),
    D("[\"event\",{\"_placeholder\":true,\"num\":0}]", JSON_OK),
    D("{\"a\":\"{\\\"b\\\":1}\"}", JSON_OK),
    D("\"\\ud83d\\ude00\"", JSON_OK),
    D("\"\\uD83D\\uDE00\"", JSON_OK),
    D("\"\\u0000\"", JSON_OK),
    D("\"\\u00e9\\u20AC\"", JSON_OK),
    D("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", JSON_OK),
    D("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", JSON_OK),
    D("\"\x7f\"", JSON_OK),
    D("\"\xc2\x80\"", JSON_OK),         /* U+0080, smallest 2-byte */
    D("\"\xe0\xa0\x80\"", JSON_OK),     /* U+0800, smallest 3-byte */
    D("\"\xed\x9f\xbf\"", JSON_OK),     /* U+D7FF, just below the surrogates */
    D("\"\xee\x80\x80\"", JSON_OK),     /* U+E000, just above them */
    D("\"\xef\xbf\xbf\"", JSON_OK),     /* U+FFFF */
    D("\"\xf0\x90\x80\x80\"", JSON_OK), /* U+10000, smallest 4-byte */
    D("\"\xf4\x8f\xbf\xbf\"", JSON_OK), /* U+10FFFF, the last code point */
    D("[\"\xe6\x97\xa5\xe6\x9c\xac\",{\"k\xc3\xa9y\":\"v\"}]", JSON_OK),
    D("{\"a\":[{\"b\":[]},{}],\"c\":[[],[{}]]}", JSON_OK),
};

static const doc_case invalid_docs[] = {
    /* Empty, or trailing data after the value. */
    D("", JSON_E_SYNTAX),
    D(" \t\r\n", JSON_E_SYNTAX),
    D("[1][2]", JSON_E_SYNTAX),
    D("1 2", JSON_E_SYNTAX),
    D("{}{}", JSON_E_SYNTAX),
    D("[1] x", JSON_E_SYNTAX),
    D("\"a\"\"b\"", JSON_E_SYNTAX),
    D("[1]]", JSON_E_SYNTAX),
    D("{\"a\":1}}", JSON_E_SYNTAX),
    D("\xef\xbb\xbf[]", JSON_E_SYNTAX), /* a BOM */
    D("\x0b[]", JSON_E_SYNTAX),         /* vertical tab is not JSON whitespace */
    D("[1]\x01", JSON_E_SYNTAX),
    D("[1]\xc3\xa9", JSON_E_SYNTAX),
    /* Objects: string keys, each with one value. */
    D("{\"a\"}", JSON_E_SYNTAX),
    D("{\"a\":}", JSON_E_SYNTAX),
    D("{\"a\" 1}", JSON_E_SYNTAX),
    D("{1:2}", JSON_E_SYNTAX),
    D("{true:1}", JSON_E_SYNTAX),
    D("{null:1}", JSON_E_SYNTAX),
    D("{[]:1}", JSON_E_SYNTAX),
    D("{{}:1}", JSON_E_SYNTAX),
    D("{\"a\":1,}", JSON_E_SYNTAX),
    D("{,}", JSON_E_SYNTAX),
    D("{\"a\"::1}", JSON_E_SYNTAX),
    D("{\"a\":1:2}", JSON_E_SYNTAX),
    D("{\"a\":1 \"b\":2}", JSON_E_SYNTAX),
    D("{\"a\":1,\"b\"}", JSON_E_SYNTAX),
    D("{\"a\":{\"b\"}}", JSON_E_SYNTAX),
    D("[{\"a\"}]", JSON_E_SYNTAX),
    D("{'a':1}", JSON_E_SYNTAX),
    D("{\"a\",\"b\"}", JSON_E_SYNTAX),
    /* Arrays: no empty elements, no colons. */
    D("[1,,2]", JSON_E_SYNTAX),
    D("[1,,2,]", JSON_E_SYNTAX),
    D("[1,]", JSON_E_SYNTAX),
    D("[,1]", JSON_E_SYNTAX),
    D("[,]", JSON_E_SYNTAX),
    D("[1 2]", JSON_E_SYNTAX),
    D("[1:2]", JSON_E_SYNTAX),
    D("[\"a\":1]", JSON_E_SYNTAX),
    D("[\"a\",]", JSON_E_SYNTAX),
    D("[1}", JSON_E_SYNTAX),
    D("{\"a\":1]", JSON_E_SYNTAX),
    /* Unbalanced. */
    D("]", JSON_E_SYNTAX),
    D("}", JSON_E_SYNTAX),
    D("{", JSON_E_SYNTAX),
    D("[", JSON_E_SYNTAX),
    D("[[1]", JSON_E_SYNTAX),
    D("\"abc", JSON_E_SYNTAX),
    /* Literals. */
    D("tx", JSON_E_SYNTAX),
    D("nul", JSON_E_SYNTAX),
    D("tru", JSON_E_SYNTAX),
    D("truex", JSON_E_SYNTAX),
    D("True", JSON_E_SYNTAX),
    D("NULL", JSON_E_SYNTAX),
    D("nulll", JSON_E_SYNTAX),
    D("[falsey]", JSON_E_SYNTAX),
    D("[truefalse]", JSON_E_SYNTAX),
    D("[1true]", JSON_E_SYNTAX),
    D("undefined", JSON_E_SYNTAX),
    D("'a'", JSON_E_SYNTAX),
    /* Numbers. */
    D("01", JSON_E_SYNTAX),
    D("-01", JSON_E_SYNTAX),
    D("00", JSON_E_SYNTAX),
    D("[01]", JSON_E_SYNTAX),
    D("1.2.3", JSON_E_SYNTAX),
    D("-", JSON_E_SYNTAX),
    D("[-]", JSON_E_SYNTAX),
    D("--1", JSON_E_SYNTAX),
    D("1e", JSON_E_SYNTAX),
    D("1e+", JSON_E_SYNTAX),
    D("[1E-]", JSON_E_SYNTAX),
    D("1e1.5", JSON_E_SYNTAX),
    D("+1", JSON_E_SYNTAX),
    D(".5", JSON_E_SYNTAX),
    D("1.", JSON_E_SYNTAX),
    D("[1.]", JSON_E_SYNTAX),
    D("-.5", JSON_E_SYNTAX),
    D("1.e5", JSON_E_SYNTAX),
    D("0x10", JSON_E_SYNTAX),
    D("Infinity", JSON_E_SYNTAX),
    D("-Infinity", JSON_E_SYNTAX),
    D("NaN", JSON_E_SYNTAX),
    D("1_000", JSON_E_SYNTAX),
    D("{\"a\":1x}", JSON_E_SYNTAX),
    /* Raw control characters in strings. */
    D("\"a\x01" "b\"", JSON_E_ENCODING),
    D("\"\t\"", JSON_E_ENCODING),
    D("\"\n\"", JSON_E_ENCODING),
    D("[\"\r\"]", JSON_E_ENCODING),
    D("\"\x1f\"", JSON_E_ENCODING),
    D("{\"a\x02\":1}", JSON_E_ENCODING),
    /* NUL bytes anywhere (jsmn stops silently at the first one). */
    D("\0", JSON_E_ENCODING),
    D("[1]\0", JSON_E_ENCODING),
    D("[1]\0[2]", JSON_E_ENCODING),
    D("[\"a\0b\"]", JSON_E_ENCODING),
    D("[1,\0 2]", JSON_E_ENCODING),
    D("{\"a\":\0}", JSON_E_ENCODING),
    D("\0 [1]", JSON_E_ENCODING),
    /* Escapes. */
    D("\"\\x\"", JSON_E_ENCODING),
    D("\"\\a\"", JSON_E_ENCODING),
    D("\"\\'\"", JSON_E_ENCODING),
    D("\"\\0\"", JSON_E_ENCODING),
    D("\"\\U0041\"", JSON_E_ENCODING),
    D("[\"\\u12\"]", JSON_E_ENCODING),
    D("\"\\uZZZZ\"", JSON_E_ENCODING),
    D("\"\\u00G0\"", JSON_E_ENCODING),
    D("\"\\u 123\"", JSON_E_ENCODING),
    D("\"\\", JSON_E_SYNTAX),
    D("\"\\u00", JSON_E_SYNTAX),
    /* Surrogate escapes must come in high-low pairs. */
    D("\"\\ud800\"", JSON_E_ENCODING),
    D("\"\\udbff\"", JSON_E_ENCODING),
    D("\"\\udc00\"", JSON_E_ENCODING),
    D("\"\\udfff\"", JSON_E_ENCODING),
    D("\"\\ud800\\u0041\"", JSON_E_ENCODING),
    D("\"\\ud800x\"", JSON_E_ENCODING),
    D("\"\\ud800\\ud800\"", JSON_E_ENCODING),
    D("\"\\ude00\\ud83d\"", JSON_E_ENCODING),
    D("\"\\ud83d\\n\"", JSON_E_ENCODING),
    D("\"\\ud83d\\\"", JSON_E_ENCODING),
    D("{\"\\ud800\":1}", JSON_E_ENCODING),
    D("\"\\ud83d", JSON_E_SYNTAX),
    /* UTF-8: overlongs, surrogates, beyond U+10FFFF, truncated, stray. */
    D("\"\xc0\xaf\"", JSON_E_ENCODING),
    D("\"\xc1\xbf\"", JSON_E_ENCODING),
    D("\"\xc0\x80\"", JSON_E_ENCODING), /* the overlong NUL */
    D("\"\xe0\x80\xaf\"", JSON_E_ENCODING),
    D("\"\xe0\x9f\xbf\"", JSON_E_ENCODING),
    D("\"\xf0\x80\x80\xaf\"", JSON_E_ENCODING),
    D("\"\xf0\x8f\xbf\xbf\"", JSON_E_ENCODING),
    D("\"\xed\xa0\x80\"", JSON_E_ENCODING),
    D("\"\xed\xbf\xbf\"", JSON_E_ENCODING),
    D("\"\xed\xa0\xbd\xed\xb8\x80\"", JSON_E_ENCODING), /* CESU-8 pair */
    D("\"\xf4\x90\x80\x80\"", JSON_E_ENCODING),
    D("\"\xf5\x80\x80\x80\"", JSON_E_ENCODING),
    D("\"\xf8\x88\x80\x80\x80\"", JSON_E_ENCODING),
    D("\"\xfe\"", JSON_E_ENCODING),
    D("\"\xff\"", JSON_E_ENCODING),
    D("\"\x80\"", JSON_E_ENCODING),
    D("\"\xbf\"", JSON_E_ENCODING),
    D("\"\xc3\"", JSON_E_ENCODING),
    D("\"\xe2\x82\"", JSON_E_ENCODING),
    D("\"\xf0\x9f\x98\"", JSON_E_ENCODING),
    D("\"\xc3\x28\"", JSON_E_ENCODING),
    D("\"\xe2\x28\xa1\"", JSON_E_ENCODING),
    D("\"\xf0\x9f\x28\x80\"", JSON_E_ENCODING),
    D("{\"k\xff\":1}", JSON_E_ENCODING),
    D("\"\xe2\x82", JSON_E_SYNTAX),
};

/* Copies the input into an allocation of exactly n bytes, so that ASan
 * reports any read past the end. */
static char *dup_exact(const char *s, size_t n)
{
    char *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n)
        memcpy(p, s, n);
    return p;
}

/* Places the input so that it ends at a PROT_NONE page: an over-read
 * crashes even without ASan. Returns the mapping base in *base. */
static size_t page_size;

static char *dup_guarded(const char *s, size_t n, void **base, size_t *maplen)
{
    size_t data_pages = (n + page_size - 1) / page_size;
    if (data_pages == 0)
        data_pages = 1;
    *maplen = (data_pages + 1) * page_size;
    char *m = mmap(NULL, *maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(m != MAP_FAILED);
    assert_int_equal(mprotect(m + data_pages * page_size, page_size, PROT_NONE), 0);
    char *p = m + data_pages * page_size - n;
    memcpy(p, s, n);
    *base = m;
    return p;
}

/* Parses both ways (exact malloc and guard page) and with json_validate;
 * all must agree. Returns the code. */
static int parse_checked(const char *s, size_t n, const json_limits *lim)
{
    char *p = dup_exact(s, n);
    json_doc d;
    int rc = json_parse(&d, p, n, lim);
    if (rc == JSON_OK) {
        assert_int_equal(json_skip(&d, 0), d.ntok);
    } else {
        assert_null(d.tok);
        assert_int_equal(d.ntok, 0);
    }
    json_doc_free(&d);
    assert_int_equal(json_validate(p, n, lim), rc);
    free(p);

    void *base;
    size_t maplen;
    p = dup_guarded(s, n, &base, &maplen);
    assert_int_equal(json_parse(&d, p, n, lim), rc);
    json_doc_free(&d);
    assert_int_equal(json_validate(p, n, lim), rc);
    munmap(base, maplen);
    return rc;
}

/* Walks the tree with json_size only (no json_skip) and checks the token
 * layout: object members are string keys followed by one value. Returns the
 * index after the subtree. */
static int walk(const json_doc *d, int i)
{
    assert_true(i >= 0 && i < d->ntok);
    json_type t = json_type_of(d, i);
    int n = json_size(d, i);
    int j = i + 1;
    if (t == JSON_ARRAY) {
        for (int k = 0; k < n; k++) {
            assert_int_equal(json_array_get(d, i, k), j);
            j = walk(d, j);
        }
    } else if (t == JSON_OBJECT) {
        for (int k = 0; k < n; k++) {
            assert_int_equal(json_type_of(d, j), JSON_STRING);
            assert_int_equal(json_skip(d, j), walk(d, j + 1));
            j = walk(d, j + 1);
        }
    } else {
        assert_int_equal(n, 0);
    }
    assert_int_equal(json_skip(d, i), j);
    return j;
}

/* Re-emits the document from its tokens without whitespace. */
static void emit(const json_doc *d, int i, sio_buf *out, int *next)
{
    json_type t = json_type_of(d, i);
    int n = json_size(d, i);
    int j = i + 1;
    if (t == JSON_ARRAY || t == JSON_OBJECT) {
        sio_buf_putc(out, t == JSON_ARRAY ? '[' : '{');
        for (int k = 0; k < n; k++) {
            if (k)
                sio_buf_putc(out, ',');
            if (t == JSON_OBJECT) {
                const char *s;
                size_t len;
                json_value_span(d, j, &s, &len);
                sio_buf_append(out, s, len);
                sio_buf_putc(out, ':');
                j++;
            }
            emit(d, j, out, &j);
        }
        sio_buf_putc(out, t == JSON_ARRAY ? ']' : '}');
    } else {
        const char *s;
        size_t len;
        json_value_span(d, i, &s, &len);
        sio_buf_append(out, s, len);
    }
    *next = j;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The document without whitespace outside strings. */
static void strip_ws(const char *s, size_t n, sio_buf *out)
{
    bool in_str = false;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (in_str) {
            sio_buf_putc(out, (unsigned char)c);
            if (c == '\\')
                sio_buf_putc(out, (unsigned char)s[++k]);
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
            sio_buf_putc(out, '"');
        } else if (!is_ws(c)) {
            sio_buf_putc(out, (unsigned char)c);
        }
    }
}

static void test_valid_documents(void **state)
{
    (void)state;
    for (size_t k = 0; k < sizeof(valid_docs) / sizeof(valid_docs[0]); k++) {
        const doc_case *c = &valid_docs[k];
        if (parse_checked(c->s, c->n, NULL) != JSON_OK)
            fail_msg("valid document %zu refused: %s", k, c->s);

        char *p = dup_exact(c->s, c->n);
        json_doc d;
        assert_int_equal(json_parse(&d, p, c->n, NULL), JSON_OK);
        assert_int_equal(walk(&d, 0), d.ntok);

        sio_buf want, got;
        sio_buf_init(&want, 0);
        sio_buf_init(&got, 0);
        strip_ws(c->s, c->n, &want);
        int next;
        emit(&d, 0, &got, &next);
        assert_int_equal(next, d.ntok);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);

        /* The root span is the value without surrounding whitespace. */
        const char *s;
        size_t len;
        json_value_span(&d, 0, &s, &len);
        size_t lead = 0;
        while (lead < c->n && is_ws(p[lead]))
            lead++;
        assert_ptr_equal(s, p + lead);
        assert_true(lead + len <= c->n);
        for (size_t k2 = lead + len; k2 < c->n; k2++)
            assert_true(is_ws(p[k2]));

        sio_buf_free(&want);
        sio_buf_free(&got);
        json_doc_free(&d);
        free(p);
    }
}

static void test_invalid_documents(void **state)
{
    (void)state;
    size_t count = sizeof(invalid_docs) / sizeof(invalid_docs[0]);
    assert_true(count >= 40);
    for (size_t k = 0; k < count; k++) {
        const doc_case *c = &invalid_docs[k];
        int rc = parse_checked(c->s, c->n, NULL);
        if (rc != c->rc)
            fail_msg("invalid document %zu (%s): got %d, want %d", k, c->s, rc, c->rc);
    }
}

/* Every proper prefix of every valid input: no crash, no over-read, and when
 * the prefix stops before the root value ends, refused. */
static void test_truncations(void **state)
{
    (void)state;
    size_t refused = 0, total = 0;
    for (size_t k = 0; k < sizeof(valid_docs) / sizeof(valid_docs[0]); k++) {
        const doc_case *c = &valid_docs[k];
        json_doc d;
        assert_int_equal(json_parse(&d, c->s, c->n, NULL), JSON_OK);
        const char *s;
        size_t len;
        json_value_span(&d, 0, &s, &len);
        size_t value_end = (size_t)(s - c->s) + len;
        json_type root = json_type_of(&d, 0);
        json_doc_free(&d);

        for (size_t n = 0; n < c->n; n++) {
            int rc = parse_checked(c->s, n, NULL);
            total++;
            if (rc != JSON_OK)
                refused++;
            /* A number's prefix may be a number ("12" of "123"); anything
             * else cut before its end is incomplete. */
            if (n < value_end && root != JSON_NUMBER && rc == JSON_OK)
                fail_msg("prefix %zu of valid document %zu accepted", n, k);
        }
    }
    assert_true(refused * 10 >= total * 9);
}

/* Mutations of valid documents (byte flips, insertions, deletions): no
 * crash, and parse and validate agree; an accepted document has a sound
 * layout. */
static void test_mutations(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]\",:\\u0123456789.eE+-tfnrl \t\n\x01\x80\xc3\xed\xf4\xff";
    unsigned seed = 12345;
    for (size_t k = 0; k < sizeof(valid_docs) / sizeof(valid_docs[0]); k++) {
        const doc_case *c = &valid_docs[k];
        for (int round = 0; round < 200; round++) {
            char tmp[256];
            size_t n = c->n;
            assert_true(n + 1 < sizeof(tmp));
            memcpy(tmp, c->s, n);
            seed = seed * 1103515245u + 12345u;
            size_t at = n ? (seed >> 8) % n : 0;
            char ch = alphabet[(seed >> 20) % (sizeof(alphabet) - 1)];
            switch ((seed >> 4) % 3) {
            case 0:
                if (n)
                    tmp[at] = ch;
                break;
            case 1:
                memmove(tmp + at + 1, tmp + at, n - at);
                tmp[at] = ch;
                n++;
                break;
            default:
                if (n) {
                    memmove(tmp + at, tmp + at + 1, n - at - 1);
                    n--;
                }
            }
            if (parse_checked(tmp, n, NULL) == JSON_OK) {
                char *p = dup_exact(tmp, n);
                json_doc d;
                assert_int_equal(json_parse(&d, p, n, NULL), JSON_OK);
                assert_int_equal(walk(&d, 0), d.ntok);
                json_doc_free(&d);
                free(p);
            }
        }
    }
}

static const char nav_doc[] =
    "{\"name\":\"x\",\"list\":[1,[2,3],{\"k\":\"v\"},4],"
    "\"nested\":{\"a\":{\"b\":true}},\"esc\\u0041pe\":5,"
    "\"dup\":1,\"dup\":2,\"n\":null,\"s\":\"a\\\"b\"}";

static void test_navigation(void **state)
{
    (void)state;
    json_doc d;
    assert_int_equal(json_parse(&d, nav_doc, sizeof(nav_doc) - 1, NULL), JSON_OK);
    assert_int_equal(json_type_of(&d, 0), JSON_OBJECT);
    assert_int_equal(json_size(&d, 0), 8);
    assert_int_equal(json_skip(&d, 0), d.ntok);

    int name = json_object_get(&d, 0, "name");
    assert_int_equal(json_type_of(&d, name), JSON_STRING);
    assert_true(json_string_eq(&d, name, "x"));
    assert_int_equal(json_tok_len(&d, name), 1);
    assert_memory_equal(json_tok_start(&d, name), "x", 1);

    int list = json_object_get(&d, 0, "list");
    assert_int_equal(json_type_of(&d, list), JSON_ARRAY);
    assert_int_equal(json_size(&d, list), 4);
    const char *raw = "[1,[2,3],{\"k\":\"v\"},4]";
    assert_int_equal(json_tok_len(&d, list), strlen(raw));
    assert_memory_equal(json_tok_start(&d, list), raw, strlen(raw));
    int64_t v;
    assert_true(json_get_int(&d, json_array_get(&d, list, 0), &v));
    assert_int_equal(v, 1);
    int inner = json_array_get(&d, list, 1);
    assert_int_equal(json_type_of(&d, inner), JSON_ARRAY);
    assert_true(json_get_int(&d, json_array_get(&d, inner, 1), &v));
    assert_int_equal(v, 3);
    int obj = json_array_get(&d, list, 2);
    assert_true(json_string_eq(&d, json_object_get(&d, obj, "k"), "v"));
    assert_true(json_get_int(&d, json_array_get(&d, list, 3), &v));
    assert_int_equal(v, 4);
    assert_int_equal(json_array_get(&d, list, 4), -1);
    assert_int_equal(json_array_get(&d, list, -1), -1);
    assert_int_equal(json_array_get(&d, 0, 0), -1); /* not an array */

    int nested = json_object_get(&d, 0, "nested");
    int b = json_object_get(&d, json_object_get(&d, nested, "a"), "b");
    assert_int_equal(json_type_of(&d, b), JSON_TRUE);

    /* Keys compare after unescaping. */
    assert_true(json_get_int(&d, json_object_get(&d, 0, "escApe"), &v));
    assert_int_equal(v, 5);
    assert_int_equal(json_object_get(&d, 0, "esc\\u0041pe"), -1);
    /* The last duplicate wins, as in JSON.parse. */
    assert_true(json_get_int(&d, json_object_get(&d, 0, "dup"), &v));
    assert_int_equal(v, 2);

    int n = json_object_get(&d, 0, "n");
    assert_true(n > 0);
    assert_int_equal(json_type_of(&d, n), JSON_NULL);
    assert_int_equal(json_object_get(&d, 0, "missing"), -1);
    assert_int_equal(json_object_get(&d, 0, ""), -1);
    assert_int_equal(json_object_get(&d, 0, "nam"), -1);
    assert_int_equal(json_object_get(&d, 0, "names"), -1);
    assert_int_equal(json_object_get(&d, list, "name"), -1); /* not an object */

    /* The span of a string includes its quotes; tok_start excludes them. */
    int s = json_object_get(&d, 0, "s");
    const char *sp;
    size_t sl;
    json_value_span(&d, s, &sp, &sl);
    assert_int_equal(sl, 6);
    assert_memory_equal(sp, "\"a\\\"b\"", 6);
    assert_int_equal(json_tok_len(&d, s), 4);
    assert_true(json_string_eq(&d, s, "a\"b"));

    /* Iterating the members with json_skip: from a key or from its value,
     * the next index is the next key. */
    int k = 1, members = 0;
    while (k < d.ntok) {
        assert_int_equal(json_type_of(&d, k), JSON_STRING);
        assert_int_equal(json_skip(&d, k), json_skip(&d, k + 1));
        k = json_skip(&d, k);
        members++;
    }
    assert_int_equal(members, 8);
    assert_int_equal(k, d.ntok);

    /* Out-of-range indexes read as absent. */
    assert_int_equal(json_type_of(&d, -1), JSON_NULL);
    assert_int_equal(json_type_of(&d, d.ntok), JSON_NULL);
    assert_null(json_tok_start(&d, -1));
    assert_int_equal(json_tok_len(&d, -1), 0);
    assert_int_equal(json_size(&d, -1), 0);
    assert_false(json_get_int(&d, -1, &v));
    assert_false(json_string_eq(&d, -1, ""));
    assert_int_equal(json_object_get(&d, -1, "name"), -1);
    json_value_span(&d, -1, &sp, &sl);
    assert_null(sp);
    assert_int_equal(sl, 0);

    json_doc_free(&d);
    json_doc_free(&d); /* safe twice */
}

static void test_scalar_roots(void **state)
{
    (void)state;
    json_doc d;
    assert_int_equal(json_parse(&d, "  \"a\\nb\" ", 9, NULL), JSON_OK);
    assert_int_equal(d.ntok, 1);
    assert_int_equal(json_type_of(&d, 0), JSON_STRING);
    assert_true(json_string_eq(&d, 0, "a\nb"));
    assert_int_equal(json_skip(&d, 0), 1);
    json_doc_free(&d);

    static const struct {
        const char *s;
        json_type t;
    } roots[] = {{"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL},
                 {"-12.5e3", JSON_NUMBER}, {"[]", JSON_ARRAY}, {"{}", JSON_OBJECT}};
    for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++) {
        assert_int_equal(json_parse(&d, roots[k].s, strlen(roots[k].s), NULL), JSON_OK);
        assert_int_equal(d.ntok, 1);
        assert_int_equal(json_type_of(&d, 0), roots[k].t);
        assert_int_equal(json_size(&d, 0), 0);
        assert_int_equal(json_tok_len(&d, 0), strlen(roots[k].s));
        json_doc_free(&d);
    }
    /* A failed parse leaves the document empty and freeable. */
    d.ntok = 99;
    assert_int_equal(json_parse(&d, "[1,]", 4, NULL), JSON_E_SYNTAX);
    assert_null(d.tok);
    assert_int_equal(d.ntok, 0);
    json_doc_free(&d);
    assert_int_equal(json_parse(&d, NULL, 0, NULL), JSON_E_SYNTAX);
    json_doc_free(&d);
}

static void check_decode(const char *doc, const char *want, size_t want_len)
{
    json_doc d;
    assert_int_equal(json_parse(&d, doc, strlen(doc), NULL), JSON_OK);
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(sio_buf_puts(&b, ">"), 0); /* decode appends */
    assert_int_equal(json_string_decode(&d, 0, &b), 0);
    assert_int_equal(b.len, want_len + 1);
    assert_memory_equal(b.data + 1, want, want_len);
    sio_buf_free(&b);
    json_doc_free(&d);
}

#define CHECK_DECODE(doc, lit) check_decode(doc, lit, sizeof(lit) - 1)

static void test_string_decode(void **state)
{
    (void)state;
    CHECK_DECODE("\"\"", "");
    CHECK_DECODE("\"plain\"", "plain");
    CHECK_DECODE("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t");
    CHECK_DECODE("\"\\u0041\\u00e9\\u20AC\"", "A\xc3\xa9\xe2\x82\xac");
    CHECK_DECODE("\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
                 "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
    CHECK_DECODE("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
    CHECK_DECODE("\"\\uD800\\uDC00\\uDBFF\\uDFFF\"", "\xf0\x90\x80\x80\xf4\x8f\xbf\xbf");
    CHECK_DECODE("\"a\\u0000b\"", "a\0b");
    CHECK_DECODE("\"\xc3\xa9\\n\xf0\x9f\x98\x80\"", "\xc3\xa9\n\xf0\x9f\x98\x80");
    CHECK_DECODE("\"\\\\u0041\"", "\\u0041");

    /* Not a string. */
    json_doc d;
    assert_int_equal(json_parse(&d, "[1,{}]", 6, NULL), JSON_OK);
    sio_buf b;
    sio_buf_init(&b, 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(json_string_decode(&d, i, &b), -1);
    assert_int_equal(json_string_decode(&d, 3, &b), -1);
    assert_int_equal(b.len, 0);
    sio_buf_free(&b);
    json_doc_free(&d);
}

static void test_string_eq(void **state)
{
    (void)state;
    static const char doc[] = "[\"A\",\"\\u0041\",\"a\\u0000b\",\"\\ud83d\\ude00\",\"\",\"ab\",1]";
    json_doc d;
    assert_int_equal(json_parse(&d, doc, sizeof(doc) - 1, NULL), JSON_OK);
    int a = json_array_get(&d, 0, 0), ua = json_array_get(&d, 0, 1);
    int nul = json_array_get(&d, 0, 2), emoji = json_array_get(&d, 0, 3);
    int empty = json_array_get(&d, 0, 4), ab = json_array_get(&d, 0, 5);
    assert_true(json_string_eq(&d, a, "A"));
    assert_true(json_string_eq(&d, ua, "A"));
    assert_false(json_string_eq(&d, ua, "\\u0041"));
    assert_false(json_string_eq(&d, ua, "AA"));
    assert_false(json_string_eq(&d, ua, ""));
    assert_false(json_string_eq(&d, nul, "a"));
    assert_false(json_string_eq(&d, nul, "ab"));
    assert_true(json_string_eq(&d, emoji, "\xf0\x9f\x98\x80"));
    assert_false(json_string_eq(&d, emoji, "\xf0\x9f\x98"));
    assert_true(json_string_eq(&d, empty, ""));
    assert_false(json_string_eq(&d, empty, "a"));
    assert_false(json_string_eq(&d, ab, "a"));
    assert_false(json_string_eq(&d, ab, "abc"));
    assert_false(json_string_eq(&d, json_array_get(&d, 0, 6), "1")); /* a number */
    assert_false(json_string_eq(&d, 0, "[")); /* an array */
    json_doc_free(&d);
}

static void check_write(const char *in, size_t n, const char *want)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(json_write_string(&b, in, n), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    sio_buf_free(&b);
}

static void test_write_string(void **state)
{
    (void)state;
    check_write("", 0, "\"\"");
    check_write(NULL, 0, "\"\"");
    check_write("abc", 3, "\"abc\"");
    check_write("a\"b\\c/", 6, "\"a\\\"b\\\\c/\"");
    check_write("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    check_write("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"");
    check_write("a\0b", 3, "\"a\\u0000b\"");
    check_write("\xc3\xa9\xf0\x9f\x98\x80", 6, "\"\xc3\xa9\xf0\x9f\x98\x80\"");

    /* Appends after existing contents. */
    sio_buf b;
    sio_buf_init(&b, 0);
    assert_int_equal(sio_buf_puts(&b, "[1,"), 0);
    assert_int_equal(json_write_string(&b, "x", 1), 0);
    assert_int_equal(sio_buf_putc(&b, ']'), 0);
    assert_int_equal(json_validate((const char *)b.data, b.len, NULL), JSON_OK);
    sio_buf_free(&b);
}

/* Writes s, parses the result, decodes it, and expects s back. */
static void round_trip(const char *s, size_t n)
{
    sio_buf w, r;
    sio_buf_init(&w, 0);
    sio_buf_init(&r, 0);
    assert_int_equal(json_write_string(&w, s, n), 0);
    json_doc d;
    assert_int_equal(json_parse(&d, (const char *)w.data, w.len, NULL), JSON_OK);
    assert_int_equal(json_type_of(&d, 0), JSON_STRING);
    assert_int_equal(json_string_decode(&d, 0, &r), 0);
    assert_int_equal(r.len, n);
    if (n)
        assert_memory_equal(r.data, s, n);
    json_doc_free(&d);
    sio_buf_free(&w);
    sio_buf_free(&r);
}

static size_t put_cp(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xc0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xe0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (char)(0xf0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_round_trips(void **state)
{
    (void)state;
    /* Every ASCII byte, NUL and controls included. */
    char all[128];
    for (int c = 0; c < 128; c++)
        all[c] = (char)c;
    round_trip(all, sizeof(all));
    round_trip("", 0);

    /* Random valid UTF-8, biased towards the edges of each length. */
    static const uint32_t edges[] = {0x0,    0x1f,   0x22,    0x5c,    0x7f,    0x80,
                                     0x7ff,  0x800,  0xd7ff,  0xe000,  0xfffd,  0xffff,
                                     0x10000, 0x1f600, 0x10fffe, 0x10ffff};
    unsigned seed = 42;
    for (int round = 0; round < 500; round++) {
        char s[4 * 64];
        size_t n = 0;
        seed = seed * 1103515245u + 12345u;
        int count = (int)((seed >> 16) % 64);
        for (int k = 0; k < count; k++) {
            seed = seed * 1103515245u + 12345u;
            uint32_t cp;
            if ((seed >> 28) < 4) {
                cp = edges[(seed >> 8) % (sizeof(edges) / sizeof(edges[0]))];
            } else {
                cp = (seed >> 4) % 0x110000;
                if (cp >= 0xd800 && cp <= 0xdfff)
                    cp -= 0x800;
            }
            n += put_cp(s + n, cp);
        }
        round_trip(s, n);
    }
}

static void test_get_int(void **state)
{
    (void)state;
    static const char doc[] = "[0,-0,42,-7,9223372036854775807,-9223372036854775808,"
                              "9223372036854775808,-9223372036854775809,"
                              "12345678901234567890123,1.0,1e2,-1E0,0.5,\"1\",true,null]";
    json_doc d;
    assert_int_equal(json_parse(&d, doc, sizeof(doc) - 1, NULL), JSON_OK);
    int64_t v;
    static const struct {
        bool ok;
        int64_t v;
    } want[] = {{true, 0},         {true, 0},         {true, 42},        {true, -7},
                {true, INT64_MAX}, {true, INT64_MIN}, {false, 0},        {false, 0},
                {false, 0},        {false, 0},        {false, 0},        {false, 0},
                {false, 0},        {false, 0},        {false, 0},        {false, 0}};
    assert_int_equal(json_size(&d, 0), sizeof(want) / sizeof(want[0]));
    for (int k = 0; k < json_size(&d, 0); k++) {
        v = 12345;
        bool ok = json_get_int(&d, json_array_get(&d, 0, k), &v);
        if (ok != want[k].ok)
            fail_msg("element %d: got %d", k, ok);
        if (ok)
            assert_true(v == want[k].v);
        else
            assert_true(v == 12345); /* untouched */
    }
    json_doc_free(&d);
}

static void test_get_double(void **state)
{
    (void)state;
    char doc[512];
    /* A number longer than any small buffer: 0.000...0015 */
    int n = snprintf(doc, sizeof(doc), "[0.5e-3,1E+2,-0,3,-2.5,1e999,1e-999,0.%0200d15,\"1\",null]",
                     0);
    assert_true(n > 0 && (size_t)n < sizeof(doc));
    json_doc d;
    assert_int_equal(json_parse(&d, doc, (size_t)n, NULL), JSON_OK);
    double v;
    assert_true(json_get_double(&d, json_array_get(&d, 0, 0), &v));
    assert_true(v == 0.5e-3);
    assert_true(json_get_double(&d, json_array_get(&d, 0, 1), &v));
    assert_true(v == 100.0);
    assert_true(json_get_double(&d, json_array_get(&d, 0, 2), &v));
    assert_true(v == 0.0 && signbit(v));
    assert_true(json_get_double(&d, json_array_get(&d, 0, 3), &v));
    assert_true(v == 3.0);
    assert_true(json_get_double(&d, json_array_get(&d, 0, 4), &v));
    assert_true(v == -2.5);
    assert_false(json_get_double(&d, json_array_get(&d, 0, 5), &v)); /* not finite */
    assert_true(json_get_double(&d, json_array_get(&d, 0, 6), &v));
    assert_true(v == 0.0);
    assert_true(json_get_double(&d, json_array_get(&d, 0, 7), &v));
    assert_true(v == 15e-202);
    assert_false(json_get_double(&d, json_array_get(&d, 0, 8), &v));
    assert_false(json_get_double(&d, json_array_get(&d, 0, 9), &v));

    /* The application's locale does not change the decimal point. */
    static const char *const comma_locales[] = {"de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "fr_FR"};
    for (size_t k = 0; k < sizeof(comma_locales) / sizeof(comma_locales[0]); k++) {
        if (setlocale(LC_NUMERIC, comma_locales[k])) {
            assert_true(json_get_double(&d, json_array_get(&d, 0, 4), &v));
            assert_true(v == -2.5);
            setlocale(LC_NUMERIC, "C");
            break;
        }
    }
    json_doc_free(&d);
}

/* n nested arrays around a 1. */
static char *nested(int n, size_t *len)
{
    char *s = malloc((size_t)n * 2 + 2);
    assert_non_null(s);
    memset(s, '[', (size_t)n);
    s[n] = '1';
    memset(s + n + 1, ']', (size_t)n);
    *len = (size_t)n * 2 + 1;
    return s;
}

static void test_limits(void **state)
{
    (void)state;
    json_limits lim = {4, 0};
    assert_int_equal(json_validate("[1,2,3]", 7, &lim), JSON_OK);
    lim.max_tokens = 3;
    assert_int_equal(json_validate("[1,2,3]", 7, &lim), JSON_E_TOO_BIG);
    json_doc d;
    assert_int_equal(json_parse(&d, "[1,2,3]", 7, &lim), JSON_E_TOO_BIG);
    assert_null(d.tok);
    lim.max_tokens = 3; /* an object counts keys and values */
    assert_int_equal(json_validate("{\"a\":1}", 7, &lim), JSON_OK);
    assert_int_equal(json_validate("{\"a\":[]}", 8, &lim), JSON_OK);
    assert_int_equal(json_validate("{\"a\":[1]}", 9, &lim), JSON_E_TOO_BIG);
    lim.max_tokens = 1;
    assert_int_equal(json_validate("\"abc\"", 5, &lim), JSON_OK);
    assert_int_equal(json_validate("[]", 2, &lim), JSON_OK);
    assert_int_equal(json_validate("[1]", 3, &lim), JSON_E_TOO_BIG);

    /* Depth counts containers: a scalar is 0, "[1]" is 1. */
    lim = (json_limits){0, 2};
    assert_int_equal(json_validate("1", 1, &lim), JSON_OK);
    assert_int_equal(json_validate("[[1]]", 5, &lim), JSON_OK);
    assert_int_equal(json_validate("[[],[[]]]", 9, &lim), JSON_E_TOO_BIG);
    assert_int_equal(json_validate("[[[1]]]", 7, &lim), JSON_E_TOO_BIG);
    assert_int_equal(json_validate("{\"a\":{\"b\":1}}", 13, &lim), JSON_OK);
    assert_int_equal(json_validate("{\"a\":{\"b\":{}}}", 14, &lim), JSON_E_TOO_BIG);
    assert_int_equal(json_validate("[{\"a\":[]}]", 10, &lim), JSON_E_TOO_BIG);

    /* Defaults: 32 levels. */
    size_t len;
    char *s = nested(32, &len);
    assert_int_equal(parse_checked(s, len, NULL), JSON_OK);
    free(s);
    s = nested(33, &len);
    assert_int_equal(parse_checked(s, len, NULL), JSON_E_TOO_BIG);
    free(s);

    /* A large depth limit (past the scanner's on-stack array). */
    lim = (json_limits){0, 1000};
    s = nested(1000, &len);
    assert_int_equal(parse_checked(s, len, &lim), JSON_OK);
    assert_int_equal(json_parse(&d, s, len, &lim), JSON_OK);
    assert_int_equal(d.ntok, 1001);
    assert_int_equal(json_skip(&d, 0), 1001);
    json_doc_free(&d);
    free(s);
    s = nested(1001, &len);
    assert_int_equal(parse_checked(s, len, &lim), JSON_E_TOO_BIG);
    free(s);

    /* Hostile nesting is refused quickly, without deep recursion. */
    s = nested(200000, &len);
    assert_int_equal(json_validate(s, len, NULL), JSON_E_TOO_BIG);
    free(s);

    /* Defaults: 65536 tokens. */
    size_t cap = 65536 * 2 + 2;
    s = malloc(cap);
    assert_non_null(s);
    s[0] = '[';
    len = 1;
    for (int k = 0; k < 65535; k++) {
        s[len++] = '0';
        s[len++] = ',';
    }
    s[len - 1] = ']';
    assert_int_equal(json_parse(&d, s, len, NULL), JSON_OK);
    assert_int_equal(d.ntok, 65536);
    json_doc_free(&d);
    s[len - 1] = ',';
    s[len++] = '0';
    s[len++] = ']';
    assert_int_equal(json_parse(&d, s, len, NULL), JSON_E_TOO_BIG);
    lim = (json_limits){0}; /* zero fields mean the defaults */
    assert_int_equal(json_validate(s, len, &lim), JSON_E_TOO_BIG);
    free(s);
}

/* jsmn without parent links is quadratic on wide objects; this one must
 * parse (the timing is watched by the benchmarks, not asserted here). */
static void test_wide_object(void **state)
{
    (void)state;
    const int keys = 80000;
    size_t cap = 1 << 20;
    char *s = malloc(cap);
    assert_non_null(s);
    size_t len = 0;
    s[len++] = '{'; /* about 700 KB */
    for (int k = 0; k < keys; k++) {
        int w = snprintf(s + len, cap - len, "%s\"%x\":%d", k ? "," : "", k, k % 10);
        assert_true(w > 0 && (size_t)w < cap - len);
        len += (size_t)w;
    }
    s[len++] = '}';
    assert_true(len < cap);
    char *p = dup_exact(s, len);
    free(s);

    json_limits lim = {2 * keys + 1, 0};
    json_doc d;
    assert_int_equal(json_parse(&d, p, len, &lim), JSON_OK);
    assert_int_equal(d.ntok, 2 * keys + 1);
    assert_int_equal(json_size(&d, 0), keys);
    assert_int_equal(json_skip(&d, 0), d.ntok);
    int64_t v;
    assert_true(json_get_int(&d, json_object_get(&d, 0, "1387f"), &v)); /* 79999 */
    assert_int_equal(v, 9);
    assert_true(json_get_int(&d, json_object_get(&d, 0, "0"), &v));
    assert_int_equal(v, 0);
    assert_int_equal(json_object_get(&d, 0, "13880"), -1);
    json_doc_free(&d);
    lim.max_tokens--;
    assert_int_equal(json_parse(&d, p, len, &lim), JSON_E_TOO_BIG);
    free(p);
}

/* Documents under proto/json/: files named valid-* must parse, invalid-*
 * must not. Run from the repository root; skipped when the directory is not
 * there. */
static void test_fixtures(void **state)
{
    (void)state;
    static const char *const files[] = {
        "proto/json/valid-event.json",      "proto/json/valid-unicode.json",
        "proto/json/invalid-trailing.json", "proto/json/invalid-surrogate.json",
        "proto/json/invalid-utf8.json",
    };
    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
        FILE *f = fopen(files[k], "rb");
        if (!f) {
            if (k == 0)
                skip();
            fail_msg("missing fixture %s", files[k]);
        }
        char buf[4096];
        size_t n = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        bool want_ok = strstr(files[k], "/valid-") != NULL;
        int rc = parse_checked(buf, n, NULL);
        if ((rc == JSON_OK) != want_ok)
            fail_msg("%s: got %d", files[k], rc);
    }
}

int main(void)
{
    page_size = (size_t)sysconf(_SC_PAGESIZE);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_documents),
        cmocka_unit_test(test_invalid_documents),
        cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_navigation),
        cmocka_unit_test(test_scalar_roots),
        cmocka_unit_test(test_string_decode),
        cmocka_unit_test(test_string_eq),
        cmocka_unit_test(test_write_string),
        cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_get_int),
        cmocka_unit_test(test_get_double),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_wide_object),
        cmocka_unit_test(test_fixtures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
