/* Values between MessagePack and JSON text with placeholders (see
 * mp_value.h). Recursion depth is bounded by the inputs' own limits:
 * msgpack-c nests at most 32 levels, the JSON reader as many. */
#include "msgpack/mp_value.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/json.h"
#include "util/utf8.h"

/* ---- MessagePack -> JSON ---- */

typedef struct to_json {
    sio_buf *json;
    sio_mp_bin **bins;
    size_t *nbins;
} to_json;

static int put(to_json *t, const char *s)
{
    return sio_buf_puts(t->json, s) ? SIO_MP_E_NOMEM : SIO_MP_OK;
}

static int put_string(to_json *t, const char *s, size_t n)
{
    if (!sio_utf8_valid((const unsigned char *)s, n))
        return SIO_MP_E_VALUE;
    return json_write_string(t->json, s, n) ? SIO_MP_E_NOMEM : SIO_MP_OK;
}

static int put_bin(to_json *t, const char *p, size_t n)
{
    size_t k = *t->nbins;
    sio_mp_bin *grown = realloc(*t->bins, (k + 1) * sizeof(**t->bins));
    if (!grown)
        return SIO_MP_E_NOMEM;
    *t->bins = grown;
    unsigned char *copy = malloc(n ? n : 1);
    if (!copy)
        return SIO_MP_E_NOMEM;
    if (n)
        memcpy(copy, p, n);
    grown[k] = (sio_mp_bin){copy, n};
    *t->nbins = k + 1;
    char text[64];
    snprintf(text, sizeof(text), "{\"_placeholder\":true,\"num\":%zu}", k);
    return put(t, text);
}

/* A timestamp as Date.toJSON writes it (milliseconds, UTC), or null outside
 * the years 0-9999, which it writes in another form. */
static int put_timestamp(to_json *t, const msgpack_timestamp *ts)
{
    struct tm tm;
    time_t sec = (time_t)ts->tv_sec;
    if (ts->tv_sec < -62167219200LL || ts->tv_sec > 253402300799LL || ts->tv_nsec >= 1000000000u ||
        !gmtime_r(&sec, &tm))
        return put(t, "null");
    char text[96];
    snprintf(text, sizeof(text), "\"%04d-%02d-%02dT%02d:%02d:%02d.%03uZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(ts->tv_nsec / 1000000u));
    return put(t, text);
}

/* The extension type 0 of notepack.io 2 (the socket.io-msgpack-parser's
 * encoder in Node): fixext 1 is undefined, fixext 8 a Date (milliseconds,
 * a signed 32-bit high word and an unsigned low word), and ext 8/16/32 an
 * ArrayBuffer or typed array. msgpack-c keeps no format byte, but an ext
 * object points into the input, right after its type byte: the byte before
 * that is the format byte of a fixext, or a length byte (never 0xd4 for one
 * byte of data, nor 0xd7 for eight) of an ext 8/16/32. */
static int notepack2_ext(to_json *t, const msgpack_object *o)
{
    const unsigned char *p = (const unsigned char *)o->via.ext.ptr;
    if (sio_mp_is_undefined(o))
        return put(t, "null"); /* as JSON.stringify writes undefined in an array */
    if (o->via.ext.size == 8 && p[-2] == 0xd7) {
        int64_t hi = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        uint32_t lo = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
        int64_t ms = hi * 4294967296LL + lo;
        /* Floored division, written so that no step overflows: ms can be
         * -2^63, whose negation (or sec * 1000) does not fit. */
        int64_t rem = ms % 1000;
        int64_t sec = ms / 1000 - (rem < 0);
        msgpack_timestamp ts = {.tv_sec = sec, .tv_nsec = (uint32_t)((rem + 1000) % 1000) * 1000000u};
        return put_timestamp(t, &ts);
    }
    return put_bin(t, o->via.ext.ptr, o->via.ext.size);
}

bool sio_mp_is_undefined(const msgpack_object *o)
{
    return o->type == MSGPACK_OBJECT_EXT && o->via.ext.type == 0 && o->via.ext.size == 1 &&
           (unsigned char)o->via.ext.ptr[-2] == 0xd4;
}

static int object_json(to_json *t, const msgpack_object *o)
{
    char text[32];
    int rc;
    switch (o->type) {
    case MSGPACK_OBJECT_NIL:
        return put(t, "null");
    case MSGPACK_OBJECT_BOOLEAN:
        return put(t, o->via.boolean ? "true" : "false");
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        snprintf(text, sizeof(text), "%" PRIu64, o->via.u64);
        return put(t, text);
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        snprintf(text, sizeof(text), "%" PRId64, o->via.i64);
        return put(t, text);
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: {
        double v = o->via.f64;
        if (!isfinite(v))
            return put(t, "null"); /* as JSON.stringify writes NaN and infinities */
        /* Integers in integer text, as pack_number reads them back (and as
         * JavaScript writes them): a value then reads the same after a round
         * trip, and -4.6e18 does not come back as -4611686018427387904. */
        if (floor(v) == v && v >= -9223372036854775808.0 && v < 9223372036854775808.0) {
            snprintf(text, sizeof(text), "%" PRId64, (int64_t)v);
            return put(t, text);
        }
        if (floor(v) == v && v >= 0 && v < 18446744073709551616.0) {
            snprintf(text, sizeof(text), "%" PRIu64, (uint64_t)v);
            return put(t, text);
        }
        return json_write_double(t->json, v) ? SIO_MP_E_NOMEM : SIO_MP_OK;
    }
    case MSGPACK_OBJECT_STR:
        return put_string(t, o->via.str.ptr, o->via.str.size);
    case MSGPACK_OBJECT_BIN:
        return put_bin(t, o->via.bin.ptr, o->via.bin.size);
    case MSGPACK_OBJECT_EXT: {
        msgpack_timestamp ts;
        if (o->via.ext.type == 0)
            return notepack2_ext(t, o);
        if (msgpack_object_to_timestamp(o, &ts))
            return put_timestamp(t, &ts);
        return put(t, "null");
    }
    case MSGPACK_OBJECT_ARRAY:
        if ((rc = put(t, "[")))
            return rc;
        for (uint32_t i = 0; i < o->via.array.size; i++)
            if ((i && (rc = put(t, ","))) || (rc = object_json(t, &o->via.array.ptr[i])))
                return rc;
        return put(t, "]");
    case MSGPACK_OBJECT_MAP:
        if ((rc = put(t, "{")))
            return rc;
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type != MSGPACK_OBJECT_STR)
                return SIO_MP_E_VALUE;
            if ((i && (rc = put(t, ","))) || (rc = put_string(t, kv->key.via.str.ptr, kv->key.via.str.size)) ||
                (rc = put(t, ":")) || (rc = object_json(t, &kv->val)))
                return rc;
        }
        return put(t, "}");
    }
    return SIO_MP_E_VALUE;
}

int sio_mp_json_from_object(const msgpack_object *o, sio_buf *json, sio_mp_bin **bins, size_t *nbins)
{
    to_json t = {json, bins, nbins};
    return object_json(&t, o);
}

void sio_mp_value_free(sio_mp_value *v)
{
    free(v->json);
    for (size_t i = 0; i < v->nbins; i++)
        free(v->bins[i].data);
    free(v->bins);
    memset(v, 0, sizeof(*v));
}

int sio_mp_value_from_object(const msgpack_object *o, sio_mp_value *v)
{
    memset(v, 0, sizeof(*v));
    sio_buf json;
    sio_buf_init(&json, 0);
    int rc = sio_mp_json_from_object(o, &json, &v->bins, &v->nbins);
    if (rc == SIO_MP_OK && sio_buf_putc(&json, 0))
        rc = SIO_MP_E_NOMEM;
    if (rc != SIO_MP_OK) {
        sio_buf_free(&json);
        sio_mp_value_free(v);
        return rc;
    }
    v->json = (char *)json.data; /* no headroom: data is the allocation */
    v->json_len = json.len - 1;
    return SIO_MP_OK;
}

/* ---- JSON -> MessagePack ---- */

static int write_buf(void *data, const char *p, size_t n)
{
    return sio_buf_append(data, p, n);
}

void sio_mp_packer_init(msgpack_packer *pk, sio_buf *out)
{
    msgpack_packer_init(pk, out, write_buf);
}

int sio_mp_pack_strn(msgpack_packer *pk, const char *s, size_t n)
{
    return msgpack_pack_str_with_body(pk, s, n) ? -1 : 0;
}

int sio_mp_pack_str(msgpack_packer *pk, const char *s)
{
    return sio_mp_pack_strn(pk, s, strlen(s));
}

typedef struct from_json {
    msgpack_packer *pk;
    const json_doc *d;
    const sio_mp_value *v;
    sio_buf scratch; /* unescaped strings */
} from_json;

#define TRY_PACK(call) \
    do { \
        if ((call) != 0) \
            return SIO_MP_E_NOMEM; \
    } while (0)

static int pack_string(from_json *f, int i)
{
    sio_buf_reset(&f->scratch);
    if (json_string_decode(f->d, i, &f->scratch))
        return SIO_MP_E_NOMEM;
    TRY_PACK(sio_mp_pack_strn(f->pk, (const char *)f->scratch.data, f->scratch.len));
    return SIO_MP_OK;
}

/* A number token made of digits only that fits in 64 bits unsigned. */
static bool get_uint64(const json_doc *d, int i, uint64_t *out)
{
    const char *p = json_tok_start(d, i);
    size_t n = json_tok_len(d, i);
    uint64_t v = 0;
    for (size_t k = 0; k < n; k++) {
        if (p[k] < '0' || p[k] > '9' || v > (UINT64_MAX - (uint64_t)(p[k] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(p[k] - '0');
    }
    *out = v;
    return n > 0;
}

/* Integers as integers, whatever their spelling (2.0 and 2e0 are 2 to
 * JavaScript, so notepack writes them as integers too); other numbers as
 * float 64. */
static int pack_number(from_json *f, int i)
{
    int64_t iv;
    double dv;
    if (json_get_int(f->d, i, &iv)) {
        TRY_PACK(msgpack_pack_int64(f->pk, iv));
        return SIO_MP_OK;
    }
    uint64_t uv;
    if (get_uint64(f->d, i, &uv)) { /* 2^63 and more: MessagePack holds them exactly, so do we */
        TRY_PACK(msgpack_pack_uint64(f->pk, uv));
        return SIO_MP_OK;
    }
    if (!json_get_double(f->d, i, &dv))
        return SIO_MP_E_VALUE;
    if (floor(dv) == dv && dv >= -9223372036854775808.0 && dv < 9223372036854775808.0)
        TRY_PACK(msgpack_pack_int64(f->pk, (int64_t)dv));
    else if (floor(dv) == dv && dv >= 0 && dv < 18446744073709551616.0)
        TRY_PACK(msgpack_pack_uint64(f->pk, (uint64_t)dv));
    else
        TRY_PACK(msgpack_pack_double(f->pk, dv));
    return SIO_MP_OK;
}

/* With attachments, an object whose _placeholder is true is a placeholder:
 * sets *bin to its attachment, or returns SIO_MP_E_VALUE for a bad num. */
static int placeholder(from_json *f, int obj, const sio_mp_bin **bin)
{
    *bin = NULL;
    if (f->v->nbins == 0)
        return SIO_MP_OK;
    int mark = json_object_get(f->d, obj, "_placeholder");
    if (mark < 0 || json_type_of(f->d, mark) != JSON_TRUE)
        return SIO_MP_OK;
    int num = json_object_get(f->d, obj, "num");
    int64_t n;
    if (num < 0 || !json_get_int(f->d, num, &n) || n < 0 || (uint64_t)n >= f->v->nbins)
        return SIO_MP_E_VALUE;
    *bin = &f->v->bins[n];
    return SIO_MP_OK;
}

/* Packs the value at token i; sets *next to the token after it. */
static int pack_tok(from_json *f, int i, int *next)
{
    const json_doc *d = f->d;
    int rc, n, k;
    *next = json_skip(d, i);
    switch (json_type_of(d, i)) {
    case JSON_NULL:
        TRY_PACK(msgpack_pack_nil(f->pk));
        return SIO_MP_OK;
    case JSON_TRUE:
        TRY_PACK(msgpack_pack_true(f->pk));
        return SIO_MP_OK;
    case JSON_FALSE:
        TRY_PACK(msgpack_pack_false(f->pk));
        return SIO_MP_OK;
    case JSON_NUMBER:
        return pack_number(f, i);
    case JSON_STRING:
        return pack_string(f, i);
    case JSON_ARRAY:
        n = json_size(d, i);
        TRY_PACK(msgpack_pack_array(f->pk, (size_t)n));
        for (k = 0, i++; k < n; k++)
            if ((rc = pack_tok(f, i, &i)))
                return rc;
        return SIO_MP_OK;
    case JSON_OBJECT: {
        const sio_mp_bin *bin;
        if ((rc = placeholder(f, i, &bin)))
            return rc;
        if (bin) {
            TRY_PACK(msgpack_pack_bin_with_body(f->pk, bin->data, bin->len));
            return SIO_MP_OK;
        }
        n = json_size(d, i);
        TRY_PACK(msgpack_pack_map(f->pk, (size_t)n));
        for (k = 0, i++; k < n; k++) {
            if ((rc = pack_string(f, i)) || (rc = pack_tok(f, i + 1, &i)))
                return rc;
        }
        return SIO_MP_OK;
    }
    }
    return SIO_MP_E_JSON;
}

int sio_mp_pack_value(msgpack_packer *pk, const sio_mp_value *v)
{
    if (!v->json)
        return SIO_MP_E_JSON;
    json_limits lim = {.max_tokens = v->json_len < 65536 ? 65536 : (int)(v->json_len > INT32_MAX ? INT32_MAX : v->json_len + 1),
                       .max_depth = 32};
    json_doc d;
    int rc = json_parse(&d, v->json, v->json_len, &lim);
    if (rc != JSON_OK) {
        json_doc_free(&d);
        return rc == JSON_E_NOMEM ? SIO_MP_E_NOMEM : SIO_MP_E_JSON;
    }
    from_json f = {.pk = pk, .d = &d, .v = v};
    sio_buf_init(&f.scratch, 0);
    int next;
    rc = pack_tok(&f, 0, &next);
    sio_buf_free(&f.scratch);
    json_doc_free(&d);
    return rc;
}
