/* The public JSON helpers (include/sio_json.h): the reader is the project's
 * one JSON reader (util/json.c, jsmn plus validation) behind value handles;
 * the writer keeps a stack of open containers so that separators are
 * always right. */
#include "sio_json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"
#include "util/utf8.h"

/* ---- reading ---- */

struct sio_json {
    json_doc d;
    char text[]; /* the document's own copy of the text */
};

static const sio_json_value missing = {NULL, -1};

sio_json *sio_json_parse(const char *text, size_t len, int *err)
{
    if (err)
        *err = 0;
    if ((!text && len) || len > SIZE_MAX - sizeof(sio_json) - 1) {
        if (err)
            *err = SIO_EINVAL;
        return NULL;
    }
    sio_json *doc = malloc(sizeof(*doc) + len + 1);
    if (!doc) {
        if (err)
            *err = SIO_ENOMEM;
        return NULL;
    }
    if (len)
        memcpy(doc->text, text, len);
    doc->text[len] = '\0';
    int rc = json_parse(&doc->d, doc->text, len, NULL);
    if (rc != JSON_OK) {
        free(doc);
        if (err)
            *err = rc == JSON_E_NOMEM ? SIO_ENOMEM : SIO_EINVAL;
        return NULL;
    }
    return doc;
}

void sio_json_free(sio_json *doc)
{
    if (!doc)
        return;
    json_doc_free(&doc->d);
    free(doc);
}

static bool present(sio_json_value v)
{
    return v.doc && v.index >= 0 && v.index < v.doc->d.ntok;
}

static sio_json_value value_of(const sio_json *doc, int index)
{
    return index >= 0 ? (sio_json_value){doc, index} : missing;
}

sio_json_value sio_json_root(const sio_json *doc)
{
    return doc ? value_of(doc, 0) : missing;
}

sio_json_type sio_json_typeof(sio_json_value v)
{
    if (!present(v))
        return SIO_JSON_MISSING;
    switch (json_type_of(&v.doc->d, v.index)) {
    case JSON_OBJECT: return SIO_JSON_OBJECT;
    case JSON_ARRAY: return SIO_JSON_ARRAY;
    case JSON_STRING: return SIO_JSON_STRING;
    case JSON_NUMBER: return SIO_JSON_NUMBER;
    case JSON_TRUE: return SIO_JSON_TRUE;
    case JSON_FALSE: return SIO_JSON_FALSE;
    default: return SIO_JSON_NULL;
    }
}

bool sio_json_is_missing(sio_json_value v)
{
    return !present(v);
}

sio_json_value sio_json_get(sio_json_value object, const char *key)
{
    if (!present(object) || !key)
        return missing;
    return value_of(object.doc, json_object_get(&object.doc->d, object.index, key));
}

sio_json_value sio_json_at(sio_json_value array, size_t index)
{
    if (!present(array) || index > (size_t)array.doc->d.ntok)
        return missing;
    return value_of(array.doc, json_array_get(&array.doc->d, array.index, (int)index));
}

/* One reference token of a pointer, unescaped into `out`; false when it is
 * malformed ("~" not followed by 0 or 1) or too long for the buffer. */
static bool pointer_token(const char *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '~') {
            if (i + 1 >= n || (p[i + 1] != '0' && p[i + 1] != '1'))
                return false;
            c = p[++i] == '0' ? '~' : '/';
        }
        if (o + 1 >= cap)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

/* An array index of a pointer: "0" or digits without a leading zero. */
static bool pointer_index(const char *t, size_t *out)
{
    if (!t[0] || (t[0] == '0' && t[1]))
        return false;
    size_t v = 0;
    for (; *t; t++) {
        if (*t < '0' || *t > '9' || v > (SIZE_MAX - 9) / 10)
            return false;
        v = v * 10 + (size_t)(*t - '0');
    }
    *out = v;
    return true;
}

sio_json_value sio_json_pointer(sio_json_value v, const char *pointer)
{
    if (!present(v) || !pointer || (pointer[0] && pointer[0] != '/'))
        return missing;
    const char *p = pointer;
    while (*p == '/' && present(v)) {
        p++;
        size_t n = strcspn(p, "/");
        char small[256];
        char *token = n < sizeof(small) ? small : malloc(n + 1);
        if (!token || !pointer_token(p, n, token, n + 1)) {
            if (token != small)
                free(token);
            return missing;
        }
        size_t index;
        if (sio_json_typeof(v) == SIO_JSON_ARRAY)
            v = pointer_index(token, &index) ? sio_json_at(v, index) : missing;
        else
            v = sio_json_get(v, token);
        if (token != small)
            free(token);
        p += n;
    }
    return v;
}

size_t sio_json_count(sio_json_value v)
{
    return present(v) ? (size_t)json_size(&v.doc->d, v.index) : 0;
}

/* *pos holds the token index of the next child (0 before the first). The
 * children of a container are the tokens after it that start before it ends,
 * each followed by its own subtree (a key by its value). */
bool sio_json_next(sio_json_value container, size_t *pos, sio_json_value *key, sio_json_value *value)
{
    sio_json_type t = sio_json_typeof(container);
    if ((t != SIO_JSON_ARRAY && t != SIO_JSON_OBJECT) || !pos)
        return false;
    const json_doc *d = &container.doc->d;
    size_t j = *pos ? *pos : (size_t)container.index + 1;
    if (j >= (size_t)d->ntok || d->tok[j].start >= d->tok[container.index].end)
        return false;
    int k = (int)j;
    if (t == SIO_JSON_OBJECT) {
        if (key)
            *key = value_of(container.doc, k);
        if (value)
            *value = value_of(container.doc, k + 1);
    } else {
        if (key)
            *key = missing;
        if (value)
            *value = value_of(container.doc, k);
    }
    *pos = (size_t)json_skip(d, k);
    return true;
}

bool sio_json_bool(sio_json_value v, bool *out)
{
    sio_json_type t = sio_json_typeof(v);
    if (t != SIO_JSON_TRUE && t != SIO_JSON_FALSE)
        return false;
    *out = t == SIO_JSON_TRUE;
    return true;
}

bool sio_json_int(sio_json_value v, int64_t *out)
{
    return present(v) && json_get_int(&v.doc->d, v.index, out);
}

bool sio_json_double(sio_json_value v, double *out)
{
    return present(v) && json_get_double(&v.doc->d, v.index, out);
}

char *sio_json_strdup(sio_json_value v, size_t *len)
{
    if (sio_json_typeof(v) != SIO_JSON_STRING)
        return NULL;
    sio_buf b;
    sio_buf_init(&b, 0);
    if (json_string_decode(&v.doc->d, v.index, &b) || sio_buf_putc(&b, '\0')) {
        sio_buf_free(&b);
        return NULL;
    }
    if (len)
        *len = b.len - 1;
    return (char *)b.data; /* headroom 0: data is the allocation itself */
}

size_t sio_json_string(sio_json_value v, char *out, size_t cap)
{
    if (sio_json_typeof(v) != SIO_JSON_STRING)
        return (size_t)-1;
    size_t len;
    char *s = sio_json_strdup(v, &len);
    if (!s)
        return (size_t)-1;
    if (cap) {
        size_t n = len < cap - 1 ? len : cap - 1;
        memcpy(out, s, n);
        out[n] = '\0';
    }
    free(s);
    return len;
}

bool sio_json_string_eq(sio_json_value v, const char *s)
{
    return present(v) && json_string_eq(&v.doc->d, v.index, s);
}

const char *sio_json_raw(sio_json_value v, size_t *len)
{
    const char *start = NULL;
    size_t n = 0;
    if (present(v))
        json_value_span(&v.doc->d, v.index, &start, &n);
    if (len)
        *len = n;
    return start;
}

/* ---- writing ---- */

#define JW_MAX_DEPTH 32

/* What comes next in the container being written. */
enum jw_expect { JW_VALUE, JW_KEY, JW_MEMBER_VALUE };

struct sio_json_writer {
    sio_buf out;
    int err;
    int depth;             /* open containers */
    bool done;             /* the top-level value is complete */
    bool nonempty[JW_MAX_DEPTH];
    bool object[JW_MAX_DEPTH];
    enum jw_expect expect; /* in the innermost container */
};

sio_json_writer *sio_jw_new(void)
{
    sio_json_writer *w = calloc(1, sizeof(*w));
    if (w)
        sio_buf_init(&w->out, 0);
    return w;
}

void sio_jw_free(sio_json_writer *w)
{
    if (!w)
        return;
    sio_buf_free(&w->out);
    free(w);
}

void sio_jw_reset(sio_json_writer *w)
{
    if (!w)
        return;
    sio_buf out = w->out;
    sio_buf_reset(&out);
    memset(w, 0, sizeof(*w));
    w->out = out;
}

static bool jw_fail(sio_json_writer *w, int err)
{
    if (!w->err)
        w->err = err;
    return false;
}

static bool jw_put(sio_json_writer *w, const void *p, size_t n)
{
    return sio_buf_append(&w->out, p, n) == 0 || jw_fail(w, SIO_ENOMEM);
}

/* Before a value: checks that one may come here and writes its separator. */
static bool jw_begin_value(sio_json_writer *w)
{
    if (!w || w->err)
        return false;
    if (w->depth == 0)
        return !w->done || jw_fail(w, SIO_EINVAL);
    int top = w->depth - 1;
    if (w->expect == JW_KEY)
        return jw_fail(w, SIO_EINVAL); /* an object member needs its key first */
    if (w->expect == JW_VALUE && w->nonempty[top] && !jw_put(w, ",", 1))
        return false;
    return true;
}

/* After a complete value. */
static void jw_end_value(sio_json_writer *w)
{
    if (w->depth == 0) {
        w->done = true;
        return;
    }
    w->nonempty[w->depth - 1] = true;
    if (w->object[w->depth - 1])
        w->expect = JW_KEY;
}

static void jw_open(sio_json_writer *w, bool object)
{
    if (!jw_begin_value(w))
        return;
    if (w->depth == JW_MAX_DEPTH) {
        jw_fail(w, SIO_EINVAL);
        return;
    }
    if (!jw_put(w, object ? "{" : "[", 1))
        return;
    w->object[w->depth] = object;
    w->nonempty[w->depth] = false;
    w->depth++;
    w->expect = object ? JW_KEY : JW_VALUE;
}

static void jw_close(sio_json_writer *w, bool object)
{
    if (!w || w->err)
        return;
    if (w->depth == 0 || w->object[w->depth - 1] != object ||
        (object && w->expect == JW_MEMBER_VALUE)) {
        jw_fail(w, SIO_EINVAL);
        return;
    }
    if (!jw_put(w, object ? "}" : "]", 1))
        return;
    w->depth--;
    if (w->depth)
        w->expect = w->object[w->depth - 1] ? JW_KEY : JW_VALUE;
    jw_end_value(w);
}

void sio_jw_array(sio_json_writer *w) { jw_open(w, false); }
void sio_jw_array_end(sio_json_writer *w) { jw_close(w, false); }
void sio_jw_object(sio_json_writer *w) { jw_open(w, true); }
void sio_jw_object_end(sio_json_writer *w) { jw_close(w, true); }

/* A quoted, escaped string; the bytes must be valid UTF-8. */
static bool jw_quoted(sio_json_writer *w, const char *s, size_t n)
{
    if (!s && n)
        return jw_fail(w, SIO_EINVAL);
    if (n && !sio_utf8_valid((const unsigned char *)s, n))
        return jw_fail(w, SIO_EINVAL);
    return json_write_string(&w->out, s ? s : "", n) == 0 || jw_fail(w, SIO_ENOMEM);
}

void sio_jw_keyn(sio_json_writer *w, const char *key, size_t len)
{
    if (!w || w->err)
        return;
    if (w->depth == 0 || !w->object[w->depth - 1] || w->expect != JW_KEY) {
        jw_fail(w, SIO_EINVAL);
        return;
    }
    if (w->nonempty[w->depth - 1] && !jw_put(w, ",", 1))
        return;
    if (jw_quoted(w, key, len) && jw_put(w, ":", 1))
        w->expect = JW_MEMBER_VALUE;
}

void sio_jw_key(sio_json_writer *w, const char *key)
{
    if (w && !key) {
        jw_fail(w, SIO_EINVAL);
        return;
    }
    sio_jw_keyn(w, key, key ? strlen(key) : 0);
}

static void jw_scalar(sio_json_writer *w, const char *text, size_t n)
{
    if (jw_begin_value(w) && jw_put(w, text, n))
        jw_end_value(w);
}

void sio_jw_stringn(sio_json_writer *w, const char *s, size_t len)
{
    if (jw_begin_value(w) && jw_quoted(w, s, len))
        jw_end_value(w);
}

void sio_jw_string(sio_json_writer *w, const char *s)
{
    if (!s)
        sio_jw_null(w);
    else
        sio_jw_stringn(w, s, strlen(s));
}

void sio_jw_int(sio_json_writer *w, int64_t v)
{
    char text[24];
    int n = snprintf(text, sizeof(text), "%lld", (long long)v);
    jw_scalar(w, text, (size_t)n);
}

void sio_jw_double(sio_json_writer *w, double v)
{
    if (!isfinite(v)) {
        if (w)
            jw_fail(w, SIO_EINVAL);
        return;
    }
    sio_buf text;
    sio_buf_init(&text, 0);
    if (json_write_double(&text, v)) {
        if (w)
            jw_fail(w, SIO_ENOMEM);
    } else {
        jw_scalar(w, (const char *)text.data, text.len);
    }
    sio_buf_free(&text);
}

void sio_jw_bool(sio_json_writer *w, bool v)
{
    jw_scalar(w, v ? "true" : "false", v ? 4 : 5);
}

void sio_jw_null(sio_json_writer *w)
{
    jw_scalar(w, "null", 4);
}

void sio_jw_raw(sio_json_writer *w, const char *json, size_t len)
{
    if (!jw_begin_value(w))
        return;
    int rc = json ? json_validate(json, len, NULL) : JSON_E_SYNTAX;
    if (rc != JSON_OK) {
        jw_fail(w, rc == JSON_E_NOMEM ? SIO_ENOMEM : SIO_EINVAL);
        return;
    }
    if (jw_put(w, json, len))
        jw_end_value(w);
}

int sio_jw_error(const sio_json_writer *w)
{
    return w ? w->err : SIO_EINVAL;
}

const char *sio_jw_text(sio_json_writer *w, size_t *len)
{
    if (len)
        *len = 0;
    if (!w || w->err || !w->done || w->depth)
        return NULL;
    /* A NUL after the text, not counted in it. */
    if (sio_buf_putc(&w->out, '\0')) {
        w->err = SIO_ENOMEM;
        return NULL;
    }
    w->out.len--;
    if (len)
        *len = w->out.len;
    return (const char *)w->out.data;
}
