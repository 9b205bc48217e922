/* Strict JSON on top of jsmn.
 *
 * This is the one file that compiles jsmn's implementation: <jsmn.h> is
 * included here without JSMN_HEADER, before util/json.h (which defines
 * JSMN_HEADER and includes it again; the include guard makes that a no-op).
 *
 * json_parse works in two linear passes:
 *   1. scan(): a validator for the RFC 8259 grammar over the raw bytes. It
 *      decides whether the document is valid (jsmn alone accepts "[1][2]",
 *      "{"a"}", "[1,,2]", "tx", "01", raw control characters, bad UTF-8 and
 *      stops at a NUL byte), enforces the token and depth limits before any
 *      allocation, and counts the tokens jsmn will produce.
 *   2. jsmn fills an array of exactly that many tokens. A scalar root is
 *      filled here instead, because strict jsmn wants a delimiter after a
 *      primitive and refuses a bare "1" at the end of input. The result is
 *      cross-checked against the scan (count, root span, key/value layout),
 *      so a disagreement between the two is refused rather than trusted.
 * json_validate runs only the scan and, with the default depth limit, does
 * not allocate. */
#include <jsmn.h>

#include "util/json.h"
#include "util/utf8.h"

#include <limits.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_TOKENS 65536
#define DEFAULT_MAX_DEPTH 32
/* Depth up to which scan() keeps its container stack on the C stack. */
#define SMALL_DEPTH 256

/* Limits with defaults applied: a NULL `lim`, or a field <= 0 (as in a
 * zero-initialised struct), means the default. Depth counts containers: a
 * scalar root has depth 0, "[]" depth 1, "[[]]" depth 2. */
static void effective_limits(const json_limits *lim, int *max_tokens, int *max_depth)
{
    *max_tokens = lim && lim->max_tokens > 0 ? lim->max_tokens : DEFAULT_MAX_TOKENS;
    *max_depth = lim && lim->max_depth > 0 ? lim->max_depth : DEFAULT_MAX_DEPTH;
}

/* ---- Pass 1: grammar, encoding and limits ---- */

typedef struct scanner {
    const unsigned char *p;
    const unsigned char *end;
    int ntok;
    int max_tokens;
} scanner;

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void skip_ws(scanner *s)
{
    while (s->p < s->end && is_ws(*s->p))
        s->p++;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits at p (the caller checked that they are in bounds).
 * Returns the code unit, or -1 if one is not a hex digit. */
static long hex4(const unsigned char *p)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hex_value(p[k]);
        if (h < 0)
            return -1;
        v = v << 4 | h;
    }
    return v;
}

/* The 4 hex digits of a \u escape at p: a syntax error if the input ends
 * first (a truncated document), an encoding error if one is not hex. */
static int scan_hex4(const unsigned char *p, const unsigned char *end, long *out)
{
    for (int k = 0; k < 4; k++) {
        if (end - p <= k)
            return JSON_E_SYNTAX;
        if (hex_value(p[k]) < 0)
            return JSON_E_ENCODING;
    }
    *out = hex4(p);
    return JSON_OK;
}

static int count_token(scanner *s)
{
    if (s->ntok >= s->max_tokens)
        return JSON_E_TOO_BIG;
    s->ntok++;
    return JSON_OK;
}


/* Scans a string whose opening quote is at s->p; leaves s->p after the
 * closing quote. Running out of input is a syntax error (an unterminated
 * string); bad contents are encoding errors. */
static int scan_string(scanner *s)
{
    int rc = count_token(s);
    if (rc)
        return rc;
    const unsigned char *p = s->p + 1, *end = s->end;
    for (;;) {
        while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
            p++;
        if (p >= end)
            return JSON_E_SYNTAX;
        unsigned char c = *p;
        if (c == '"') {
            s->p = p + 1;
            return JSON_OK;
        }
        if (c < 0x20)
            return JSON_E_ENCODING;
        if (c >= 0x80) {
            bool truncated = false;
            uint32_t cp;
            size_t n = sio_utf8_decode(p, (size_t)(end - p), &cp, &truncated);
            if (n == 0)
                return truncated ? JSON_E_SYNTAX : JSON_E_ENCODING;
            p += n;
            continue;
        }
        /* A backslash. */
        if (end - p < 2)
            return JSON_E_SYNTAX;
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            p += 2;
            continue;
        case 'u':
            break;
        default:
            return JSON_E_ENCODING;
        }
        long u;
        if ((rc = scan_hex4(p + 2, end, &u)))
            return rc;
        p += 6;
        if (u >= 0xdc00 && u <= 0xdfff)
            return JSON_E_ENCODING; /* low surrogate without a high one */
        if (u >= 0xd800 && u <= 0xdbff) {
            /* A high surrogate must be followed at once by a low one. */
            if (p >= end || (*p == '\\' && p + 1 >= end))
                return JSON_E_SYNTAX;
            if (p[0] != '\\' || p[1] != 'u')
                return JSON_E_ENCODING;
            long lo;
            if ((rc = scan_hex4(p + 2, end, &lo)))
                return rc;
            if (lo < 0xdc00 || lo > 0xdfff)
                return JSON_E_ENCODING;
            p += 6;
        }
    }
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at s->p. What follows is
 * checked by the caller's grammar, which is what refuses "01" and "1.2.3". */
static int scan_number(scanner *s)
{
    int rc = count_token(s);
    if (rc)
        return rc;
    const unsigned char *p = s->p, *end = s->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return JSON_E_SYNTAX;
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        while (p < end && is_digit(*p))
            p++;
    } else {
        return JSON_E_SYNTAX;
    }
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return JSON_E_SYNTAX;
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return JSON_E_SYNTAX;
        while (p < end && is_digit(*p))
            p++;
    }
    s->p = p;
    return JSON_OK;
}

static int scan_literal(scanner *s, const char *word, size_t n)
{
    int rc = count_token(s);
    if (rc)
        return rc;
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
        return JSON_E_SYNTAX;
    s->p += n;
    return JSON_OK;
}

/* A scalar value at s->p (the caller has ruled out containers). */
static int scan_scalar(scanner *s)
{
    switch (*s->p) {
    case '"':
        return scan_string(s);
    case 't':
        return scan_literal(s, "true", 4);
    case 'f':
        return scan_literal(s, "false", 5);
    case 'n':
        return scan_literal(s, "null", 4);
    default:
        if (*s->p == '-' || is_digit(*s->p))
            return scan_number(s);
        return JSON_E_SYNTAX;
    }
}

/* The root value's span, for the cross-check with jsmn and for a scalar
 * root's token. */
typedef struct scan_result {
    int ntok;
    bool container;
    const unsigned char *root_start; /* first byte of the value */
    const unsigned char *root_end;   /* one past its last byte */
} scan_result;

/* Validates text[0..len) as one JSON value, iteratively (an explicit stack
 * of open containers, so hostile nesting cannot exhaust the C stack). */
static int scan(const char *text, size_t len, int max_tokens, int max_depth, scan_result *res)
{
    if (len == 0)
        return JSON_E_SYNTAX;
    if (memchr(text, '\0', len))
        return JSON_E_ENCODING;

    unsigned char small[SMALL_DEPTH];
    unsigned char *stack = small; /* '{' or '[' per open container */
    if (max_depth > SMALL_DEPTH) {
        stack = malloc((size_t)max_depth);
        if (!stack)
            return JSON_E_NOMEM;
    }
    int depth = 0;
    int rc = JSON_OK;
    scanner s = {(const unsigned char *)text, (const unsigned char *)text + len, 0, max_tokens};

    skip_ws(&s);
    res->root_start = s.p;
    res->container = s.p < s.end && (*s.p == '{' || *s.p == '[');

    /* Each iteration starts at a value (after skipping whitespace), parses it
     * (or opens a container), then consumes what may follow: closers, then
     * one separator, leaving s.p at the next value or key. */
    for (;;) {
        skip_ws(&s);
        if (s.p >= s.end) {
            rc = JSON_E_SYNTAX;
            goto out;
        }
        unsigned char c = *s.p;
        if (c == '{' || c == '[') {
            if ((rc = count_token(&s)))
                goto out;
            if (depth >= max_depth) {
                rc = JSON_E_TOO_BIG;
                goto out;
            }
            stack[depth++] = c;
            s.p++;
            skip_ws(&s);
            if (s.p < s.end && *s.p == (c == '{' ? '}' : ']')) {
                depth--;
                s.p++;
            } else {
                if (c == '{')
                    goto key;
                continue;
            }
        } else if ((rc = scan_scalar(&s))) {
            goto out;
        }
        if (depth == 0)
            res->root_end = s.p;

        /* After a value: close containers, then expect ',' or the end. */
        for (;;) {
            skip_ws(&s);
            if (depth == 0) {
                /* Only whitespace may follow the root. */
                rc = s.p == s.end ? JSON_OK : JSON_E_SYNTAX;
                goto out;
            }
            if (s.p >= s.end) {
                rc = JSON_E_SYNTAX;
                goto out;
            }
            unsigned char open = stack[depth - 1];
            if (*s.p == (open == '{' ? '}' : ']')) {
                depth--;
                s.p++;
                if (depth == 0)
                    res->root_end = s.p;
                continue;
            }
            if (*s.p != ',') {
                rc = JSON_E_SYNTAX;
                goto out;
            }
            s.p++;
            if (open == '[')
                break; /* to the next element */
            goto key;
        }
        continue;

    key:
        /* An object member: "key" ws ':' then the value on the next turn. */
        skip_ws(&s);
        if (s.p >= s.end || *s.p != '"') {
            rc = JSON_E_SYNTAX;
            goto out;
        }
        if ((rc = scan_string(&s)))
            goto out;
        skip_ws(&s);
        if (s.p >= s.end || *s.p != ':') {
            rc = JSON_E_SYNTAX;
            goto out;
        }
        s.p++;
    }

out:
    if (stack != small)
        free(stack);
    res->ntok = s.ntok;
    return rc;
}

/* ---- Pass 2: tokens ---- */

/* Checks jsmn's tokens against the layout the accessors rely on: parents
 * precede children, object children are string keys with exactly one value,
 * a key's child is its value, primitives have no children. */
static bool layout_ok(const jsmntok_t *t, int n)
{
    for (int i = 1; i < n; i++) {
        int p = t[i].parent;
        if (p < 0 || p >= i)
            return false;
        switch (t[p].type) {
        case JSMN_OBJECT:
            if (t[i].type != JSMN_STRING || t[i].size != 1)
                return false;
            break;
        case JSMN_ARRAY:
            if (t[i].type == JSMN_STRING && t[i].size != 0)
                return false;
            break;
        case JSMN_STRING:
            if (p != i - 1 || t[p].parent < 0 || t[t[p].parent].type != JSMN_OBJECT)
                return false;
            if (t[i].type == JSMN_STRING && t[i].size != 0)
                return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

int json_parse(json_doc *d, const char *text, size_t len, const json_limits *lim)
{
    memset(d, 0, sizeof(*d));
    if (!text && len)
        return JSON_E_SYNTAX;
    /* jsmn keeps offsets in int. */
    if (len >= INT_MAX)
        return JSON_E_TOO_BIG;
    int max_tokens, max_depth;
    effective_limits(lim, &max_tokens, &max_depth);
    scan_result res;
    int rc = scan(text, len, max_tokens, max_depth, &res);
    if (rc)
        return rc;

    jsmntok_t *tok = malloc((size_t)res.ntok * sizeof(*tok));
    if (!tok)
        return JSON_E_NOMEM;
    int start = (int)(res.root_start - (const unsigned char *)text);
    int end = (int)(res.root_end - (const unsigned char *)text);
    if (res.container) {
        jsmn_parser parser;
        jsmn_init(&parser);
        int r = jsmn_parse(&parser, text, len, tok, (unsigned)res.ntok);
        if (r != res.ntok || tok[0].start != start || tok[0].end != end ||
            !layout_ok(tok, res.ntok)) {
            free(tok);
            return JSON_E_SYNTAX;
        }
    } else {
        bool str = text[start] == '"';
        tok[0].type = str ? JSMN_STRING : JSMN_PRIMITIVE;
        tok[0].start = str ? start + 1 : start;
        tok[0].end = str ? end - 1 : end;
        tok[0].size = 0;
        tok[0].parent = -1;
    }
    d->text = text;
    d->len = len;
    d->tok = tok;
    d->ntok = res.ntok;
    return JSON_OK;
}

void json_doc_free(json_doc *d)
{
    free(d->tok);
    memset(d, 0, sizeof(*d));
}

int json_validate(const char *text, size_t len, const json_limits *lim)
{
    if (!text && len)
        return JSON_E_SYNTAX;
    if (len >= INT_MAX)
        return JSON_E_TOO_BIG;
    int max_tokens, max_depth;
    effective_limits(lim, &max_tokens, &max_depth);
    scan_result res;
    return scan(text, len, max_tokens, max_depth, &res);
}

/* ---- Navigation ----
 * Every accessor tolerates an index out of range (such as the -1 from a
 * failed lookup): it then answers as for an absent value. */

static bool valid_index(const json_doc *d, int i)
{
    return d && i >= 0 && i < d->ntok;
}

/* A string token whose parent is an object: jsmn makes the value its child. */
static bool is_key(const json_doc *d, int i)
{
    return d->tok[i].type == JSMN_STRING && d->tok[i].size == 1;
}

/* An out-of-range index reads as JSON_NULL, so that a missing value and a
 * null one can be handled alike; test the index to tell them apart. */
json_type json_type_of(const json_doc *d, int i)
{
    if (!valid_index(d, i))
        return JSON_NULL;
    const jsmntok_t *t = &d->tok[i];
    switch (t->type) {
    case JSMN_OBJECT:
        return JSON_OBJECT;
    case JSMN_ARRAY:
        return JSON_ARRAY;
    case JSMN_STRING:
        return JSON_STRING;
    default:
        switch (d->text[t->start]) {
        case 't':
            return JSON_TRUE;
        case 'f':
            return JSON_FALSE;
        case 'n':
            return JSON_NULL;
        default:
            return JSON_NUMBER;
        }
    }
}

const char *json_tok_start(const json_doc *d, int i)
{
    return valid_index(d, i) ? d->text + d->tok[i].start : NULL;
}

size_t json_tok_len(const json_doc *d, int i)
{
    return valid_index(d, i) ? (size_t)(d->tok[i].end - d->tok[i].start) : 0;
}

void json_value_span(const json_doc *d, int i, const char **start, size_t *len)
{
    if (!valid_index(d, i)) {
        *start = NULL;
        *len = 0;
        return;
    }
    const jsmntok_t *t = &d->tok[i];
    int quote = t->type == JSMN_STRING ? 1 : 0;
    *start = d->text + t->start - quote;
    *len = (size_t)(t->end - t->start + 2 * quote);
}

int json_size(const json_doc *d, int i)
{
    if (!valid_index(d, i))
        return 0;
    const jsmntok_t *t = &d->tok[i];
    return t->type == JSMN_OBJECT || t->type == JSMN_ARRAY ? t->size : 0;
}

/* Tokens are in document order, so a container's subtree is exactly the
 * tokens after it that start before it ends: O(subtree). A key's subtree
 * is itself and its value. */
int json_skip(const json_doc *d, int i)
{
    if (!valid_index(d, i))
        return d ? d->ntok : 0;
    const jsmntok_t *t = d->tok;
    if (is_key(d, i))
        return i + 1 < d->ntok ? json_skip(d, i + 1) : d->ntok;
    if (t[i].type != JSMN_OBJECT && t[i].type != JSMN_ARRAY)
        return i + 1;
    int j = i + 1;
    while (j < d->ntok && t[j].start < t[i].end)
        j++;
    return j;
}

int json_array_get(const json_doc *d, int arr, int n)
{
    if (!valid_index(d, arr) || d->tok[arr].type != JSMN_ARRAY || n < 0 || n >= d->tok[arr].size)
        return -1;
    int j = arr + 1;
    while (n-- > 0)
        j = json_skip(d, j);
    return j;
}

/* With duplicate keys the last one wins, as in JavaScript's JSON.parse, so
 * that this server reads a document the way the Node reference does. */
int json_object_get(const json_doc *d, int obj, const char *key)
{
    if (!valid_index(d, obj) || d->tok[obj].type != JSMN_OBJECT)
        return -1;
    int found = -1;
    int k = obj + 1;
    for (int n = 0; n < d->tok[obj].size; n++) {
        if (json_string_eq(d, k, key))
            found = k + 1;
        k = json_skip(d, k);
    }
    return found;
}

/* ---- Strings ---- */

static int put_utf8(unsigned char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xc0 | cp >> 6);
        o[1] = (unsigned char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xe0 | cp >> 12);
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (unsigned char)(0x80 | (cp & 0x3f));
        return 3;
    }
    o[0] = (unsigned char)(0xf0 | cp >> 18);
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
    o[3] = (unsigned char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes the escape at p (a backslash, validated by the scan) into o.
 * Returns the number of bytes written (1..4) and advances *pp past it. The
 * bounds checks only guard against a json_doc not made by json_parse. */
static int decode_escape(const unsigned char **pp, const unsigned char *end, unsigned char *o)
{
    const unsigned char *p = *pp;
    if (end - p < 2) {
        *pp = end;
        return 0;
    }
    unsigned char e = p[1];
    *pp = p + 2;
    switch (e) {
    case 'b': o[0] = '\b'; return 1;
    case 'f': o[0] = '\f'; return 1;
    case 'n': o[0] = '\n'; return 1;
    case 'r': o[0] = '\r'; return 1;
    case 't': o[0] = '\t'; return 1;
    case 'u': break;
    default: o[0] = e; return 1; /* " \ / */
    }
    if (end - p < 6) {
        *pp = end;
        return 0;
    }
    long u = hex4(p + 2);
    *pp = p + 6;
    if (u < 0)
        return 0;
    uint32_t cp = (uint32_t)u;
    if (u >= 0xd800 && u <= 0xdbff && end - p >= 12 && p[6] == '\\' && p[7] == 'u') {
        long lo = hex4(p + 8);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
            cp = 0x10000 + (((uint32_t)u - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
            *pp = p + 12;
        }
    }
    return put_utf8(o, cp);
}

/* The decoded text may contain NUL bytes (from "\u0000"): use b->len, not
 * strlen. On failure the buffer is unchanged. */
int json_string_decode(const json_doc *d, int i, sio_buf *b)
{
    if (!valid_index(d, i) || d->tok[i].type != JSMN_STRING)
        return -1;
    const unsigned char *p = (const unsigned char *)d->text + d->tok[i].start;
    const unsigned char *end = (const unsigned char *)d->text + d->tok[i].end;
    /* Unescaping never lengthens: "\n" 2 -> 1, "\uXXXX" 6 -> at most 3,
     * a surrogate pair 12 -> 4. One reservation covers the whole string. */
    size_t n = (size_t)(end - p);
    if (sio_buf_reserve(b, n ? n : 1))
        return -1;
    unsigned char *o = b->data + b->len;
    while (p < end) {
        const unsigned char *bs = memchr(p, '\\', (size_t)(end - p));
        const unsigned char *run_end = bs ? bs : end;
        memcpy(o, p, (size_t)(run_end - p));
        o += run_end - p;
        p = run_end;
        if (bs)
            o += decode_escape(&p, end, o);
    }
    b->len = (size_t)(o - b->data);
    return 0;
}

bool json_string_eq(const json_doc *d, int i, const char *s)
{
    if (!valid_index(d, i) || d->tok[i].type != JSMN_STRING || !s)
        return false;
    const unsigned char *p = (const unsigned char *)d->text + d->tok[i].start;
    const unsigned char *end = (const unsigned char *)d->text + d->tok[i].end;
    const unsigned char *q = (const unsigned char *)s;
    while (p < end) {
        if (*p != '\\') {
            if (*q == '\0' || *q != *p)
                return false;
            p++;
            q++;
            continue;
        }
        unsigned char u[4];
        int n = decode_escape(&p, end, u);
        for (int k = 0; k < n; k++) {
            /* A decoded NUL never matches: it would end the C string. */
            if (*q == '\0' || *q != u[k])
                return false;
            q++;
        }
    }
    return *q == '\0';
}

/* ---- Numbers ---- */

static bool is_number(const json_doc *d, int i)
{
    return valid_index(d, i) && json_type_of(d, i) == JSON_NUMBER;
}

bool json_get_int(const json_doc *d, int i, int64_t *out)
{
    if (!is_number(d, i))
        return false;
    const char *p = d->text + d->tok[i].start;
    const char *end = d->text + d->tok[i].end;
    bool neg = *p == '-';
    if (neg)
        p++;
    /* Accumulate negatively so INT64_MIN fits. */
    int64_t v = 0;
    for (; p < end; p++) {
        if (!is_digit((unsigned char)*p))
            return false; /* fraction or exponent */
        int digit = *p - '0';
        if (v < (INT64_MIN + digit) / 10)
            return false;
        v = v * 10 - digit;
    }
    if (!neg) {
        if (v == INT64_MIN)
            return false;
        v = -v;
    }
    *out = v;
    return true;
}

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/* strtod follows the process locale's decimal point; JSON always uses '.',
 * so convert in the C locale whatever the application set. A value too
 * large for a double is refused rather than returned as infinity. */
bool json_get_double(const json_doc *d, int i, double *out)
{
    if (!is_number(d, i))
        return false;
    size_t n = json_tok_len(d, i);
    char small[64];
    char *copy = n < sizeof(small) ? small : malloc(n + 1);
    if (!copy)
        return false;
    memcpy(copy, d->text + d->tok[i].start, n);
    copy[n] = '\0';

    pthread_once(&c_locale_once, make_c_locale);
    char *endp;
    double v = c_locale ? strtod_l(copy, &endp, c_locale) : strtod(copy, &endp);
    bool ok = endp == copy + n && isfinite(v);
    if (copy != small)
        free(copy);
    if (ok)
        *out = v;
    return ok;
}

/* ---- Writer ---- */

/* Bytes >= 0x20 other than '"' and '\\' are copied unchanged, so the output
 * is valid JSON only if s is valid UTF-8 (the caller's contract). On failure
 * the buffer's contents are unchanged. */
int json_write_string(sio_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t orig = b->len;
    const unsigned char *p = (const unsigned char *)s;
    /* The common case, nothing to escape, then needs one allocation. */
    if (n > SIZE_MAX - 2 || sio_buf_reserve(b, n + 2) || sio_buf_putc(b, '"'))
        return -1;
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t k = 0; k < n; k++) {
        unsigned char c = p[k];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        char esc[6] = {'\\', 0, 0, 0, 0, 0};
        size_t elen = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            elen = 6;
        }
        if ((k > run && sio_buf_append(b, p + run, k - run)) || sio_buf_append(b, esc, elen))
            goto fail;
        run = k + 1;
    }
    if ((n > run && sio_buf_append(b, p + run, n - run)) || sio_buf_putc(b, '"'))
        goto fail;
    return 0;
fail:
    b->len = orig;
    return -1;
}

int json_write_double(sio_buf *b, double v)
{
    if (!isfinite(v))
        return -1;
    /* %.17g always reads back exactly; a shorter form often does too. The
     * text is read back the way the JSON reader reads numbers, in the C
     * locale whatever the application's locale says. */
    char text[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(text, sizeof(text), "%.*g", prec, v);
        for (char *c = text; *c; c++)
            if (*c == ',')
                *c = '.'; /* a locale's decimal comma */
        json_doc d;
        double back;
        bool same = json_parse(&d, text, strlen(text), NULL) == JSON_OK && json_get_double(&d, 0, &back) &&
                    back == v;
        json_doc_free(&d);
        if (same)
            break;
    }
    return sio_buf_puts(b, text);
}
