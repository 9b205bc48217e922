/* Fuzz target: the strict JSON reader (util/json) every payload, auth object
 * and ack goes through: json_parse, json_validate and the accessors.
 *
 * Feeds: the input as one JSON document.
 * Checks, beyond memory safety:
 *   - json_parse and json_validate agree;
 *   - the token tree is consistent: json_skip moves forward and stays in
 *     the document, json_array_get finds every element of an array,
 *     json_object_get finds a value for every key (the last of duplicates),
 *     json_value_span lies in the input and is valid JSON on its own;
 *   - every string decodes (json_string_decode) to valid UTF-8 that
 *     json_write_string writes back as a JSON string decoding to the same
 *     bytes;
 *   - a number read by json_get_int reads as the same value with
 *     json_get_double;
 *   - the limits are exact: one token fewer, or one level of nesting fewer,
 *     than the document has is refused as too big. */
#include <stdbool.h>
#include <string.h>

#include "eio/eio_codec.h"
#include "fuzz_check.h"
#include "util/buf.h"
#include "util/json.h"

/* Tokens whose spans and strings are checked one by one (the rest is
 * walked only): keeps each run linear enough. */
#define CHECKED_TOKENS 256

static void check_string(const json_doc *d, int i)
{
    sio_buf dec;
    sio_buf_init(&dec, 0);
    FUZZ_CHECK(json_string_decode(d, i, &dec) == 0);
    FUZZ_CHECK(dec.len <= json_tok_len(d, i)); /* unescaping never lengthens */
    FUZZ_CHECK(eio_utf16_units(dec.data, dec.len) >= 0);

    sio_buf enc;
    sio_buf_init(&enc, 0);
    FUZZ_CHECK(json_write_string(&enc, dec.len ? (const char *)dec.data : "", dec.len) == 0);
    json_doc again;
    FUZZ_CHECK(json_parse(&again, (const char *)enc.data, enc.len, NULL) == JSON_OK);
    FUZZ_CHECK(again.ntok == 1 && json_type_of(&again, 0) == JSON_STRING);
    sio_buf dec2;
    sio_buf_init(&dec2, 0);
    FUZZ_CHECK(json_string_decode(&again, 0, &dec2) == 0);
    FUZZ_CHECK(dec2.len == dec.len && (dec.len == 0 || memcmp(dec2.data, dec.data, dec.len) == 0));
    /* Without a NUL, the decoded text compares equal to the token. */
    if (!memchr(dec.data ? (const void *)dec.data : "", 0, dec.len)) {
        FUZZ_CHECK(sio_buf_putc(&dec, 0) == 0);
        FUZZ_CHECK(json_string_eq(d, i, (const char *)dec.data));
    }
    json_doc_free(&again);
    sio_buf_free(&dec2);
    sio_buf_free(&enc);
    sio_buf_free(&dec);
}

static void check_number(const json_doc *d, int i)
{
    int64_t v;
    double x;
    bool is_double = json_get_double(d, i, &x);
    if (json_get_int(d, i, &v)) {
        FUZZ_CHECK(is_double && x == (double)v);
        FUZZ_CHECK(!memchr(json_tok_start(d, i), '.', json_tok_len(d, i)));
    }
}

static void check_container(const json_doc *d, int i)
{
    int end = json_skip(d, i);
    int n = json_size(d, i);
    if (json_type_of(d, i) == JSON_ARRAY) {
        int k = i + 1;
        for (int e = 0; e < n; e++) {
            FUZZ_CHECK(json_array_get(d, i, e) == k);
            FUZZ_CHECK(d->tok[k].parent == i);
            k = json_skip(d, k);
        }
        FUZZ_CHECK(k == end && json_array_get(d, i, n) == -1);
        return;
    }
    int k = i + 1;
    for (int e = 0; e < n; e++) {
        FUZZ_CHECK(json_type_of(d, k) == JSON_STRING && d->tok[k].parent == i);
        sio_buf key;
        sio_buf_init(&key, 0);
        FUZZ_CHECK(json_string_decode(d, k, &key) == 0 && sio_buf_putc(&key, 0) == 0);
        if (strlen((const char *)key.data) == key.len - 1) {
            int v = json_object_get(d, i, (const char *)key.data);
            /* the value of this key or of a later duplicate */
            FUZZ_CHECK(v >= k + 1 && v < end && d->tok[v].parent == v - 1);
            FUZZ_CHECK(json_string_eq(d, v - 1, (const char *)key.data));
        }
        sio_buf_free(&key);
        k = json_skip(d, k);
    }
    FUZZ_CHECK(k == end);
}

/* The deepest nesting of containers, from the parent links. */
static int depth_of(const json_doc *d)
{
    int max = 0;
    for (int i = 0; i < d->ntok; i++) {
        if (json_type_of(d, i) != JSON_OBJECT && json_type_of(d, i) != JSON_ARRAY)
            continue;
        int depth = 0;
        for (int p = i; p >= 0; p = d->tok[p].parent)
            depth += json_type_of(d, p) == JSON_OBJECT || json_type_of(d, p) == JSON_ARRAY;
        if (depth > max)
            max = depth;
    }
    return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_doc d;
    int rc = json_parse(&d, text, size, NULL);
    FUZZ_CHECK(json_validate(text, size, NULL) == rc);
    if (rc != JSON_OK) {
        FUZZ_CHECK(d.tok == NULL && d.ntok == 0);
        json_doc_free(&d); /* safe on failure, as documented */
        return 0;
    }
    FUZZ_CHECK(d.ntok >= 1 && json_skip(&d, 0) == d.ntok);
    for (int i = 0; i < d.ntok; i++) {
        int next = json_skip(&d, i);
        FUZZ_CHECK(next > i && next <= d.ntok);
        if (i >= CHECKED_TOKENS)
            continue;
        const char *span;
        size_t len;
        json_value_span(&d, i, &span, &len);
        FUZZ_CHECK(span >= text && span + len <= text + size && len > 0);
        if (d.tok[i].parent < 0 || json_type_of(&d, d.tok[i].parent) != JSON_OBJECT)
            FUZZ_CHECK(json_validate(span, len, NULL) == JSON_OK);
        switch (json_type_of(&d, i)) {
        case JSON_STRING: check_string(&d, i); break;
        case JSON_NUMBER: check_number(&d, i); break;
        case JSON_OBJECT:
        case JSON_ARRAY: check_container(&d, i); break;
        default: FUZZ_CHECK(len == 4 || len == 5); break;
        }
    }

    /* The limits: exactly as many tokens and levels as the document has. */
    if (d.ntok > 1) {
        json_limits l = {d.ntok - 1, 0};
        FUZZ_CHECK(json_validate(text, size, &l) == JSON_E_TOO_BIG);
        l.max_tokens = d.ntok;
        FUZZ_CHECK(json_validate(text, size, &l) == JSON_OK);
    }
    int depth = depth_of(&d);
    if (depth > 1 && depth <= 32) {
        json_limits l = {0, depth - 1};
        FUZZ_CHECK(json_parse(&(json_doc){0}, text, size, &l) == JSON_E_TOO_BIG);
        l.max_depth = depth;
        json_doc e;
        FUZZ_CHECK(json_parse(&e, text, size, &l) == JSON_OK && e.ntok == d.ntok);
        json_doc_free(&e);
    }
    json_doc_free(&d);
    return 0;
}
