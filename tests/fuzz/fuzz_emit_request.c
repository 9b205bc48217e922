/* Fuzz target: the body reader of sio-server's HTTP emit API
 * (src/programs/sio-server/emit_request.c) and the public JSON helpers it
 * is built on (include/sio_json.h).
 *
 * Feeds: the input as a POST /api/emit body, and as JSON text to
 * sio_json_parse.
 * Checks, beyond memory safety:
 *   - a refusal has a status of 400 or 500 and a message; an accepted body
 *     has an event that is not empty, a namespace starting with '/', at most
 *     EMIT_MAX_ROOMS rooms and exceptions, strings without NUL, and "data"
 *     (when given) that parses as a JSON array;
 *   - a document the reader accepts, walked with the accessors (iteration,
 *     members by name, elements by index, JSON Pointers built from the
 *     walk) and written again with the writer, reads back as the same
 *     document: same types, counts, strings and number texts. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "programs/sio-server/emit_request.h"
#include "sio_json.h"

static void check_request(const uint8_t *data, size_t size)
{
    emit_request r;
    char why[192];
    unsigned status = emit_request_parse((const char *)data, size, &r, why, sizeof(why));
    if (status) {
        FUZZ_CHECK(status == 400 || status == 500);
        FUZZ_CHECK(why[0] != '\0');
        emit_request_free(&r);
        return;
    }
    FUZZ_CHECK(r.nsp && r.nsp[0] == '/');
    FUZZ_CHECK(r.event && r.event[0]);
    FUZZ_CHECK(r.n_rooms <= EMIT_MAX_ROOMS && r.n_except <= EMIT_MAX_ROOMS);
    for (size_t i = 0; i < r.n_rooms; i++)
        FUZZ_CHECK(r.rooms[i] != NULL);
    for (size_t i = 0; i < r.n_except; i++)
        FUZZ_CHECK(r.except[i] != NULL);
    if (r.data) {
        sio_json *d = sio_json_parse(r.data, strlen(r.data), NULL);
        FUZZ_CHECK(d && sio_json_typeof(sio_json_root(d)) == SIO_JSON_ARRAY);
        sio_json_free(d);
    }
    emit_request_free(&r);
}

/* Are a and b the same value of one document? */
static bool same_place(sio_json_value a, sio_json_value b)
{
    size_t la, lb;
    const char *ra = sio_json_raw(a, &la), *rb = sio_json_raw(b, &lb);
    return ra == rb && la == lb;
}

/* Writes v with the writer, from what the accessors say of it. */
static void rewrite(sio_json_value v, sio_json_writer *w)
{
    size_t pos = 0, len = 0;
    sio_json_value key, item;
    const char *raw;
    char *s;
    switch (sio_json_typeof(v)) {
    case SIO_JSON_OBJECT:
        sio_jw_object(w);
        while (sio_json_next(v, &pos, &key, &item)) {
            s = sio_json_strdup(key, &len);
            FUZZ_CHECK(s);
            sio_jw_keyn(w, s, len);
            free(s);
            /* The last member of a name is what a lookup finds. */
            FUZZ_CHECK(sio_json_typeof(item) != SIO_JSON_MISSING);
            rewrite(item, w);
        }
        sio_jw_object_end(w);
        break;
    case SIO_JSON_ARRAY: {
        sio_jw_array(w);
        size_t n = 0;
        while (sio_json_next(v, &pos, NULL, &item)) {
            FUZZ_CHECK(same_place(sio_json_at(v, n++), item));
            rewrite(item, w);
        }
        FUZZ_CHECK(n == sio_json_count(v));
        FUZZ_CHECK(sio_json_is_missing(sio_json_at(v, n)));
        sio_jw_array_end(w);
        break;
    }
    case SIO_JSON_STRING:
        s = sio_json_strdup(v, &len);
        FUZZ_CHECK(s);
        sio_jw_stringn(w, s, len);
        free(s);
        break;
    case SIO_JSON_NUMBER:
        raw = sio_json_raw(v, &len);
        sio_jw_raw(w, raw, len);
        break;
    case SIO_JSON_TRUE:
    case SIO_JSON_FALSE: {
        bool b;
        FUZZ_CHECK(sio_json_bool(v, &b));
        sio_jw_bool(w, b);
        break;
    }
    case SIO_JSON_NULL:
        sio_jw_null(w);
        break;
    case SIO_JSON_MISSING:
        FUZZ_CHECK(!"a present value reads as missing");
    }
}

/* Do a and b hold the same JSON (member order kept)? */
static bool same(sio_json_value a, sio_json_value b)
{
    sio_json_type t = sio_json_typeof(a);
    if (t != sio_json_typeof(b) || sio_json_count(a) != sio_json_count(b))
        return false;
    size_t pa = 0, pb = 0, la, lb;
    sio_json_value ka, kb, va, vb;
    if (t == SIO_JSON_OBJECT || t == SIO_JSON_ARRAY) {
        while (sio_json_next(a, &pa, &ka, &va)) {
            if (!sio_json_next(b, &pb, &kb, &vb) || !same(ka, kb) || !same(va, vb))
                return false;
        }
        return !sio_json_next(b, &pb, NULL, NULL);
    }
    if (t == SIO_JSON_STRING) {
        char *sa = sio_json_strdup(a, &la), *sb = sio_json_strdup(b, &lb);
        bool eq = sa && sb && la == lb && memcmp(sa, sb, la) == 0;
        free(sa);
        free(sb);
        return eq;
    }
    if (t == SIO_JSON_NUMBER) {
        const char *ra = sio_json_raw(a, &la), *rb = sio_json_raw(b, &lb);
        return la == lb && memcmp(ra, rb, la) == 0;
    }
    return true;
}

/* The first member names and indexes on the way down, as a JSON Pointer
 * (escaped), must lead where the lookups by name and index lead. */
static void check_pointer(sio_json_value root)
{
    char ptr[512] = "";
    size_t plen = 0;
    sio_json_value v = root;
    for (int depth = 0; depth < 8; depth++) {
        size_t pos = 0;
        sio_json_value key, item;
        sio_json_type t = sio_json_typeof(v);
        if ((t != SIO_JSON_OBJECT && t != SIO_JSON_ARRAY) || !sio_json_next(v, &pos, &key, &item))
            break;
        char token[128];
        size_t n = 0;
        if (t == SIO_JSON_ARRAY) {
            FUZZ_CHECK(same_place(item, sio_json_at(v, 0)));
            n = (size_t)snprintf(token, sizeof(token), "/0");
        } else {
            size_t klen;
            char *k = sio_json_strdup(key, &klen);
            FUZZ_CHECK(k);
            bool usable = klen < 40 && strlen(k) == klen;
            if (usable) {
                item = sio_json_get(v, k); /* with a repeated name, the last one */
                FUZZ_CHECK(!sio_json_is_missing(item));
                token[n++] = '/';
                for (size_t i = 0; i < klen; i++) {
                    if (k[i] == '~' || k[i] == '/') {
                        token[n++] = '~';
                        token[n++] = k[i] == '~' ? '0' : '1';
                    } else {
                        token[n++] = k[i];
                    }
                }
                token[n] = 0;
            }
            free(k);
            if (!usable)
                break;
        }
        if (plen + n >= sizeof(ptr))
            break;
        memcpy(ptr + plen, token, n + 1);
        plen += n;
        FUZZ_CHECK(same_place(sio_json_pointer(root, ptr), item));
        v = item;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_request(data, size);

    sio_json *doc = sio_json_parse((const char *)data, size, NULL);
    if (!doc)
        return 0;
    sio_json_writer *w = sio_jw_new();
    FUZZ_CHECK(w);
    rewrite(sio_json_root(doc), w);
    size_t len;
    const char *text = sio_jw_text(w, &len);
    FUZZ_CHECK(text);
    sio_json *again = sio_json_parse(text, len, NULL);
    FUZZ_CHECK(again);
    FUZZ_CHECK(same(sio_json_root(doc), sio_json_root(again)));
    check_pointer(sio_json_root(doc));
    sio_json_free(again);
    sio_jw_free(w);
    sio_json_free(doc);
    return 0;
}
