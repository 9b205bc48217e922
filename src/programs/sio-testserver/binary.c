/* Binary arguments as {"$binary": base64} (binary.h). */
#include "binary.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *ts_base64(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out = malloc(4 * ((len + 2) / 3) + 1), *q = out;
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < len ? p[i + 2] : 0);
        *q++ = B64[v >> 18 & 63];
        *q++ = B64[v >> 12 & 63];
        *q++ = i + 1 < len ? B64[v >> 6 & 63] : '=';
        *q++ = i + 2 < len ? B64[v & 63] : '=';
    }
    *q = 0;
    return out;
}

/* Decodes base64 (padding optional); -1 for anything else. */
static int unbase64(const char *s, size_t n, unsigned char **out, size_t *len)
{
    while (n && s[n - 1] == '=')
        n--;
    if (n % 4 == 1)
        return -1;
    unsigned char *b = malloc(n * 3 / 4 + 1);
    if (!b)
        return -1;
    size_t k = 0;
    uint32_t acc = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = s[i] ? strchr(B64, s[i]) : NULL;
        if (!c) {
            free(b);
            return -1;
        }
        acc = acc << 6 | (uint32_t)(c - B64);
        if (i % 4 == 3) {
            b[k++] = (unsigned char)(acc >> 16);
            b[k++] = (unsigned char)(acc >> 8);
            b[k++] = (unsigned char)acc;
            acc = 0;
        }
    }
    if (n % 4 == 2)
        b[k++] = (unsigned char)(acc >> 4);
    else if (n % 4 == 3) {
        b[k++] = (unsigned char)(acc >> 10);
        b[k++] = (unsigned char)(acc >> 2);
    }
    *out = b;
    *len = k;
    return 0;
}

static bool is_marker(sio_json_value v)
{
    return sio_json_typeof(v) == SIO_JSON_OBJECT && sio_json_count(v) == 1 &&
           sio_json_typeof(sio_json_get(v, "$binary")) == SIO_JSON_STRING;
}

/* Writes v into w as it is, except the values `leaf` writes itself (it
 * returns 1 for those, 0 for the others, -1 to stop on an error). Returns
 * 0 or -1. */
typedef int (*leaf_fn)(sio_json_writer *w, sio_json_value v, void *ctx);
static int copy_json(sio_json_writer *w, sio_json_value v, leaf_fn leaf, void *ctx)
{
    size_t pos = 0, n;
    sio_json_value k, x;
    int done = leaf(w, v, ctx);
    if (done)
        return done < 0 ? -1 : 0;
    switch (sio_json_typeof(v)) {
    case SIO_JSON_OBJECT:
        sio_jw_object(w);
        while (sio_json_next(v, &pos, &k, &x)) {
            char *key = sio_json_strdup(k, &n);
            sio_jw_keyn(w, key ? key : "", key ? n : 0);
            free(key);
            if (copy_json(w, x, leaf, ctx))
                return -1;
        }
        sio_jw_object_end(w);
        return 0;
    case SIO_JSON_ARRAY:
        sio_jw_array(w);
        while (sio_json_next(v, &pos, NULL, &x))
            if (copy_json(w, x, leaf, ctx))
                return -1;
        sio_jw_array_end(w);
        return 0;
    default: {
        const char *raw = sio_json_raw(v, &n);
        sio_jw_raw(w, raw, n);
        return 0;
    }
    }
}

typedef struct in_ctx {
    ts_args *out;
    const char **why;
} in_ctx;

/* A {"$binary": ...} marker becomes a placeholder, its bytes go to out. */
static int marker_in(sio_json_writer *w, sio_json_value v, void *ctx)
{
    in_ctx *c = ctx;
    if (!is_marker(v))
        return 0;
    size_t n;
    char *text = sio_json_strdup(sio_json_get(v, "$binary"), &n);
    unsigned char *bytes = NULL;
    size_t len = 0;
    int rc = text ? unbase64(text, n, &bytes, &len) : -1;
    free(text);
    sio_binary *bins = rc ? NULL : realloc(c->out->bins, (c->out->nbins + 1) * sizeof(*bins));
    if (!bins) {
        free(bytes);
        *c->why = "a $binary value is not base64";
        return -1;
    }
    c->out->bins = bins;
    c->out->bins[c->out->nbins] = (sio_binary){bytes, len};
    sio_jw_object(w);
    sio_jw_key(w, "_placeholder");
    sio_jw_bool(w, true);
    sio_jw_key(w, "num");
    sio_jw_int(w, (int64_t)c->out->nbins++);
    sio_jw_object_end(w);
    return 1;
}

int ts_args_from_json(sio_json_value args, ts_args *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    if (sio_json_is_missing(args)) {
        out->json = strdup("[]");
        return out->json ? 0 : (*why = "out of memory", -1);
    }
    if (sio_json_typeof(args) != SIO_JSON_ARRAY) {
        *why = "args must be an array";
        return -1;
    }
    sio_json_writer *w = sio_jw_new();
    in_ctx c = {out, why};
    int rc = copy_json(w, args, marker_in, &c);
    const char *text = rc ? NULL : sio_jw_text(w, NULL);
    if (!rc && !(text && (out->json = strdup(text)))) {
        *why = "bad arguments";
        rc = -1;
    }
    sio_jw_free(w);
    if (rc)
        ts_args_free(out);
    return rc;
}

void ts_args_free(ts_args *a)
{
    for (size_t i = 0; i < a->nbins; i++)
        free((void *)a->bins[i].data);
    free(a->bins);
    free(a->json);
    memset(a, 0, sizeof(*a));
}

int ts_args_copy(ts_args *dst, const ts_args *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!(dst->json = strdup(src->json ? src->json : "[]")))
        return -1;
    if (src->nbins && !(dst->bins = calloc(src->nbins, sizeof(*dst->bins)))) {
        ts_args_free(dst);
        return -1;
    }
    for (size_t i = 0; i < src->nbins; i++, dst->nbins++) {
        void *p = malloc(src->bins[i].len ? src->bins[i].len : 1);
        if (!p) {
            ts_args_free(dst);
            return -1;
        }
        memcpy(p, src->bins[i].data, src->bins[i].len);
        dst->bins[i] = (sio_binary){p, src->bins[i].len};
    }
    return 0;
}

/* A placeholder becomes a {"$binary": ...} marker of its attachment. */
static int placeholder_out(sio_json_writer *w, sio_json_value v, void *ctx)
{
    const sio_args *a = ctx;
    bool placeholder = false;
    int64_t num;
    if (!sio_json_bool(sio_json_get(v, "_placeholder"), &placeholder) || !placeholder ||
        !sio_json_int(sio_json_get(v, "num"), &num) || num < 0 || (size_t)num >= sio_args_binary_count(a))
        return 0;
    size_t len;
    const void *p = sio_args_binary(a, (size_t)num, &len);
    char *b = ts_base64(p, len);
    sio_jw_object(w);
    sio_jw_key(w, "$binary");
    sio_jw_string(w, b ? b : "");
    sio_jw_object_end(w);
    free(b);
    return 1;
}

void ts_args_write(sio_json_writer *w, const sio_args *a)
{
    size_t len;
    const char *text = a ? sio_args_json(a, &len) : NULL;
    sio_json *doc = text ? sio_json_parse(text, len, NULL) : NULL;
    if (!doc) {
        sio_jw_array(w);
        sio_jw_array_end(w);
        return;
    }
    copy_json(w, sio_json_root(doc), placeholder_out, (void *)a);
    sio_json_free(doc);
}
