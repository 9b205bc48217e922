/* sio-server: the project's main program. A Socket.IO server that
 *   - serves the socket.io browser client (<path>/socket.io.js, .min.js,
 *     .msgpack.min.js, .esm.min.js and their source maps) from the pinned
 *     socket.io-client package, with an ETag and 304s like Node's serveClient;
 *   - serves static files (by default the chat demo in tools/demo/);
 *   - runs a room chat on the namespace "/":
 *       "name"    (name, ack)          sets the sender name (1-32 bytes)
 *       "join"    (room, ack)          joins a room
 *       "leave"   (room, ack)          leaves a room
 *       "message" ({room, text}, ack)  sends `message` {room, from, text, at}
 *                                      to every socket of a room it is in
 *     each ack carries {ok:true} or {ok:false,error:"..."}; room names are
 *     1-64 characters of [A-Za-z0-9 _.-], not shaped like a socket id (20
 *     characters of [A-Za-z0-9_-]: those rooms are private to their socket);
 *     a socket is in at most MAX_ROOMS rooms;
 *   - lets other backends emit: POST /api/emit with a bearer token and
 *     {"namespace","rooms","except","event","data"} answers {"recipients":N}.
 * Logs go to stderr, one line each, with a UTC timestamp and a level. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sio.h"

#define MAX_ROOMS 16         /* chat rooms per socket */
#define MAX_ROOM_LEN 64
#define MAX_NAME_LEN 32
#define MAX_TEXT_LEN 2000    /* bytes of a chat message */
#define MAX_JSON_DEPTH 32
#define MAX_API_ROOMS 1024   /* entries of "rooms" or "except" */
#define MAX_STATIC_FILE (32u << 20)

enum { L_ERROR, L_WARN, L_INFO, L_DEBUG };
static const char *const level_names[] = {"error", "warn", "info", "debug"};

static sio_server *server;
static int log_level = L_INFO;

/* --- logging --------------------------------------------------------------- */

/* Writes "<UTC time> <level> <message>" to stderr. Control characters in the
 * message (a decoded request path may hold a newline) are printed as '?', so
 * one call is always one line. */
__attribute__((format(printf, 2, 3))) static void logmsg(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (unsigned char *c = (unsigned char *)msg; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s %s\n", when, ts.tv_nsec / 1000000, level_names[level], msg);
}

static void on_lib_log(int level, const char *line, void *user)
{
    logmsg(level < L_ERROR ? L_ERROR : level > L_DEBUG ? L_DEBUG : level, "%s", line);
}

/* --- a growable text buffer ------------------------------------------------- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_putn(sbuf *b, const void *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

/* Appends `s` (valid UTF-8) as a JSON string. */
static void sb_json_str(sbuf *b, const char *s)
{
    sb_putn(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            sb_putn(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[8];
            snprintf(e, sizeof(e), "\\u%04x", c);
            sb_puts(b, e);
        } else {
            sb_putn(b, s, 1);
        }
    }
    sb_putn(b, "\"", 1);
}

/* --- a strict JSON reader ---------------------------------------------------- */

/* Reads JSON text in place (it need not be NUL-terminated). Strict RFC 8259:
 * no trailing data, no bad literals or numbers, no raw control characters,
 * valid UTF-8 and escapes. The first error is kept in `err`; `err_syntax`
 * tells a syntax error (reported with its offset) from a field error. */
typedef struct jr {
    const char *s, *p, *end;
    int depth;
    const char *err;
    bool err_syntax;
} jr;

static void jr_init(jr *j, const void *text, size_t len)
{
    /* An empty body may come as NULL: NULL + 0 is undefined. */
    *j = (jr){.s = text, .p = text, .end = len ? (const char *)text + len : text};
}

static bool jr_fail(jr *j, const char *msg)
{
    if (!j->err) {
        j->err = msg;
        j->err_syntax = true;
    }
    return false;
}

static bool jr_field_fail(jr *j, const char *msg)
{
    if (!j->err)
        j->err = msg;
    return false;
}

static void jr_ws(jr *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static bool jr_peek(jr *j, char c)
{
    jr_ws(j);
    return j->p < j->end && *j->p == c;
}

/* Length of the well-formed UTF-8 sequence at p (2-4 bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0], n, min;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, min = 0x10000;
    else
        return 0;
    if ((size_t)(end - p) < n)
        return 0;
    unsigned cp = c & (0x3f >> (n - 1));
    for (unsigned i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static void put_utf8(sbuf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | cp >> 18), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    sb_putn(b, u, n);
}

/* Reads a string. With `out`, appends its decoded text (and sets *nul when
 * it holds U+0000, which a C string cannot carry). */
static bool jr_string(jr *j, sbuf *out, bool *nul)
{
    jr_ws(j);
    if (j->p >= j->end || *j->p != '"')
        return jr_fail(j, "expected a string");
    j->p++;
    for (;;) {
        if (j->p >= j->end)
            return jr_fail(j, "unterminated string");
        unsigned char c = (unsigned char)*j->p;
        if (c == '"') {
            j->p++;
            return true;
        }
        if (c < 0x20)
            return jr_fail(j, "control character in a string");
        if (c >= 0x80) {
            size_t n = utf8_seq((const unsigned char *)j->p, (const unsigned char *)j->end);
            if (!n)
                return jr_fail(j, "invalid UTF-8");
            if (out)
                sb_putn(out, j->p, n);
            j->p += n;
            continue;
        }
        if (c != '\\') {
            if (out)
                sb_putn(out, j->p, 1);
            j->p++;
            continue;
        }
        if (j->end - j->p < 2)
            return jr_fail(j, "unterminated string");
        char e = j->p[1];
        j->p += 2;
        static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
        const char *k = e ? strchr(from, e) : NULL;
        if (k) {
            if (out)
                sb_putn(out, &to[k - from], 1);
            continue;
        }
        if (e != 'u' || j->end - j->p < 4)
            return jr_fail(j, "bad escape in a string");
        int cp = hex4(j->p);
        if (cp < 0)
            return jr_fail(j, "bad escape in a string");
        j->p += 4;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return jr_fail(j, "lone surrogate in a string");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            int lo = j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' ? hex4(j->p + 2) : -1;
            if (lo < 0xdc00 || lo > 0xdfff)
                return jr_fail(j, "lone surrogate in a string");
            j->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        }
        if (cp == 0 && nul)
            *nul = true;
        if (out)
            put_utf8(out, (unsigned)cp);
    }
}

static bool is_digit(const jr *j) { return j->p < j->end && *j->p >= '0' && *j->p <= '9'; }

static bool jr_number(jr *j)
{
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (!is_digit(j))
        return jr_fail(j, "bad number");
    if (*j->p++ != '0')
        while (is_digit(j))
            j->p++;
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (!is_digit(j))
            return jr_fail(j, "bad number");
        while (is_digit(j))
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (!is_digit(j))
            return jr_fail(j, "bad number");
        while (is_digit(j))
            j->p++;
    }
    return true;
}

/* Called with each key of an object, positioned at its value, which it must
 * read (jr_value skips one). */
typedef bool (*jr_field_fn)(jr *j, const char *key, void *user);

static bool jr_value(jr *j);

static bool jr_object(jr *j, jr_field_fn field, void *user)
{
    if (!jr_peek(j, '{'))
        return jr_fail(j, "expected an object");
    if (++j->depth > MAX_JSON_DEPTH)
        return jr_fail(j, "nested too deeply");
    j->p++;
    if (jr_peek(j, '}')) {
        j->p++;
        j->depth--;
        return true;
    }
    sbuf key = {0};
    for (;;) {
        key.len = 0;
        bool nul = false;
        if (!jr_string(j, field ? &key : NULL, &nul))
            break;
        if (!jr_peek(j, ':')) {
            jr_fail(j, "expected ':'");
            break;
        }
        j->p++;
        jr_ws(j);
        if (field && (key.oom || nul)) {
            jr_field_fail(j, key.oom ? "out of memory" : "NUL in a key");
            break;
        }
        if (!(field ? field(j, key.p ? key.p : "", user) : jr_value(j)))
            break;
        if (jr_peek(j, ',')) {
            j->p++;
            continue;
        }
        if (jr_peek(j, '}')) {
            j->p++;
            j->depth--;
            free(key.p);
            return true;
        }
        jr_fail(j, "expected ',' or '}'");
        break;
    }
    free(key.p);
    return false;
}

static bool jr_array(jr *j)
{
    if (!jr_peek(j, '['))
        return jr_fail(j, "expected an array");
    if (++j->depth > MAX_JSON_DEPTH)
        return jr_fail(j, "nested too deeply");
    j->p++;
    if (jr_peek(j, ']')) {
        j->p++;
        j->depth--;
        return true;
    }
    for (;;) {
        if (!jr_value(j))
            return false;
        if (jr_peek(j, ',')) {
            j->p++;
            continue;
        }
        if (jr_peek(j, ']')) {
            j->p++;
            j->depth--;
            return true;
        }
        return jr_fail(j, "expected ',' or ']'");
    }
}

static bool jr_literal(jr *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
        return jr_fail(j, "unexpected character");
    j->p += n;
    return true;
}

/* Reads (validates and skips) any value. */
static bool jr_value(jr *j)
{
    jr_ws(j);
    if (j->p >= j->end)
        return jr_fail(j, "unexpected end");
    switch (*j->p) {
    case '{': return jr_object(j, NULL, NULL);
    case '[': return jr_array(j);
    case '"': return jr_string(j, NULL, NULL);
    case 't': return jr_literal(j, "true");
    case 'f': return jr_literal(j, "false");
    case 'n': return jr_literal(j, "null");
    default: return jr_number(j);
    }
}

/* After the top-level value: only whitespace may follow. */
static bool jr_finish(jr *j)
{
    jr_ws(j);
    return j->p == j->end || jr_fail(j, "trailing data");
}

/* Reads a string value into a new C string; NULL (with a field error
 * `what`) when the value is not a string or holds U+0000. */
static char *jr_string_dup(jr *j, const char *what)
{
    if (!jr_peek(j, '"')) {
        jr_field_fail(j, what);
        return NULL;
    }
    sbuf b = {0};
    bool nul = false;
    if (!jr_string(j, &b, &nul) || nul || b.oom) {
        if (nul || b.oom)
            jr_field_fail(j, b.oom ? "out of memory" : what);
        free(b.p);
        return NULL;
    }
    return b.p ? b.p : strdup("");
}

typedef struct strlist {
    char **v;
    size_t n;
} strlist;

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    *l = (strlist){0};
}

static bool jr_string_array(jr *j, strlist *out, const char *what)
{
    if (!jr_peek(j, '['))
        return jr_field_fail(j, what);
    j->p++;
    if (jr_peek(j, ']')) {
        j->p++;
        return true;
    }
    for (;;) {
        if (out->n == MAX_API_ROOMS)
            return jr_field_fail(j, "too many rooms");
        char *s = jr_string_dup(j, what);
        if (!s)
            return false;
        char **v = realloc(out->v, (out->n + 1) * sizeof(*v));
        if (!v) {
            free(s);
            return jr_field_fail(j, "out of memory");
        }
        out->v = v;
        out->v[out->n++] = s;
        if (jr_peek(j, ',')) {
            j->p++;
            continue;
        }
        if (jr_peek(j, ']')) {
            j->p++;
            return true;
        }
        return jr_fail(j, "expected ',' or ']'");
    }
}

/* --- HTTP helpers -------------------------------------------------------- */

static bool reply_text(sio_http_response *res, unsigned status, const char *ctype, const char *body)
{
    sio_http_reply(res, status, ctype, body, strlen(body));
    return true;
}

/* A JSON error answer {"error": msg}, logged as a refused request. */
static bool reply_error(const sio_http_request *req, sio_http_response *res, unsigned status,
                        const char *msg)
{
    logmsg(L_WARN, "refused %u %s %s: %s", status, req->method, req->path, msg);
    sbuf b = {0};
    sb_puts(&b, "{\"error\":");
    sb_json_str(&b, msg);
    sb_puts(&b, "}");
    if (b.oom)
        reply_text(res, 500, "application/json", "{\"error\":\"out of memory\"}");
    else
        sio_http_reply(res, status, "application/json", b.p, b.len);
    free(b.p);
    return true;
}

/* Does the If-None-Match header (a list, weak tags allowed) match `etag`? */
static bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    const char *tag = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    size_t n = strlen(tag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = p, *te = e;
        while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if (te - t == 1 && *t == '*')
            return true;
        if (te - t > 2 && strncmp(t, "W/", 2) == 0)
            t += 2;
        if ((size_t)(te - t) == n && memcmp(t, tag, n) == 0)
            return true;
        p = e;
    }
    return false;
}

static bool is_get(const sio_http_request *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

/* A 200 with `data`, or a 304 when the request's If-None-Match holds the
 * ETag already set on `res`. A HEAD answer carries no body: the transport
 * sends whatever body it is given. */
static int reply_content(const sio_http_request *req, sio_http_response *res, const char *etag,
                         const char *ctype, const void *data, size_t len)
{
    if (etag_matches(req->if_none_match, etag))
        return sio_http_reply(res, 304, ctype, NULL, 0);
    bool head = strcmp(req->method, "HEAD") == 0;
    return sio_http_reply(res, 200, ctype, head ? NULL : data, head ? 0 : len);
}

/* --- the socket.io client bundle --------------------------------------------- */

typedef struct asset {
    char url[PATH_MAX];
    char *data;
    size_t len;
    const char *ctype;
} asset;

static asset client_assets[8];
static size_t n_client_assets;
static char client_etag[64];

/* Reads a whole file (at most `max` bytes); NULL when it cannot. */
static char *read_file(const char *path, size_t max, size_t *len, struct stat *st_out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    char *data = NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max)
        goto out;
    data = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (data && got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            free(data);
            data = NULL;
            break;
        }
        got += (size_t)n;
    }
    if (data) {
        data[got] = 0;
        *len = got;
        if (st_out)
            *st_out = st;
    }
out:
    close(fd);
    return data;
}

static bool version_field(jr *j, const char *key, void *user)
{
    if (strcmp(key, "version") != 0 || !jr_peek(j, '"'))
        return jr_value(j);
    char *v = jr_string_dup(j, "version");
    if (!v)
        return false;
    snprintf(user, 48, "%s", v);
    free(v);
    return true;
}

/* The client's version from <dir>/../package.json, or "" when unknown. */
static void client_version(const char *dir, char out[48])
{
    out[0] = 0;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/../package.json", dir);
    size_t len;
    char *text = read_file(path, 1u << 20, &len, NULL);
    if (!text)
        return;
    jr j;
    jr_init(&j, text, len);
    if (!jr_object(&j, version_field, out) || !jr_finish(&j) ||
        strspn(out, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-") != strlen(out))
        out[0] = 0;
    free(text);
}

/* Loads the client files found in `dir` once; their ETag is the client
 * version, as Node's serveClient does (a content hash when unknown). */
static void load_client(const char *dir, const char *sio_path)
{
    static const char *const names[] = {"socket.io.js", "socket.io.min.js", "socket.io.msgpack.min.js",
                                        "socket.io.esm.min.js"};
    size_t plen = strlen(sio_path);
    while (plen && sio_path[plen - 1] == '/')
        plen--;
    uint64_t hash = 1469598103934665603u; /* FNV-1a over every file */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        for (int map = 0; map < 2; map++) {
            char file[PATH_MAX];
            snprintf(file, sizeof(file), "%s/%s%s", dir, names[i], map ? ".map" : "");
            asset *a = &client_assets[n_client_assets];
            a->data = read_file(file, 64u << 20, &a->len, NULL);
            if (!a->data)
                continue;
            snprintf(a->url, sizeof(a->url), "%.*s/%s%s", (int)plen, sio_path, names[i], map ? ".map" : "");
            a->ctype = map ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8";
            for (size_t k = 0; k < a->len; k++)
                hash = (hash ^ (unsigned char)a->data[k]) * 1099511628211u;
            n_client_assets++;
        }
    }
    if (!n_client_assets) {
        logmsg(L_WARN, "socket.io client not found in %s: %.*s/socket.io.js will answer 404", dir, (int)plen,
               sio_path);
        return;
    }
    char version[48];
    client_version(dir, version);
    if (version[0])
        snprintf(client_etag, sizeof(client_etag), "\"%s\"", version);
    else
        snprintf(client_etag, sizeof(client_etag), "\"%016llx\"", (unsigned long long)hash);
    logmsg(L_INFO, "serving the socket.io client %s from %s (%zu files)", version[0] ? version : "(unknown version)",
           dir, n_client_assets);
}

static bool serve_client(const sio_http_request *req, sio_http_response *res)
{
    for (size_t i = 0; i < n_client_assets; i++) {
        const asset *a = &client_assets[i];
        if (strcmp(req->path, a->url) != 0)
            continue;
        if (!is_get(req))
            return reply_error(req, res, 405, "method not allowed");
        sio_http_set_etag(res, client_etag);
        sio_http_set_cache_control(res, "public, max-age=0");
        if (reply_content(req, res, client_etag, a->ctype, a->data, a->len) != SIO_OK)
            reply_text(res, 500, "text/plain", "Internal error");
        return true;
    }
    return false;
}

/* --- static files ------------------------------------------------------------ */

static char static_root[PATH_MAX]; /* resolved; "" when there is none */

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "application/javascript; charset=utf-8"},
        {".mjs", "application/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcasecmp(dot, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

/* Checks a decoded request path: 0 when it may name a file under the root,
 * else the status to refuse it with (403 for a traversal attempt, 404 for a
 * hidden file). */
static unsigned static_path_status(const char *path)
{
    if (path[0] != '/' || strlen(path) > 1024)
        return 403;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            return 403;
    for (const char *seg = path + 1; *seg;) {
        size_t n = strcspn(seg, "/");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 403;
        if (n && seg[0] == '.')
            return 404;
        seg += n + (seg[n] == '/');
    }
    return 0;
}

static bool serve_static(const sio_http_request *req, sio_http_response *res)
{
    if (!static_root[0])
        return false;
    unsigned refuse = static_path_status(req->path);
    if (refuse == 403)
        return reply_error(req, res, 403, "forbidden path");
    if (refuse)
        return false;
    if (!is_get(req))
        return reply_error(req, res, 405, "method not allowed");
    char file[PATH_MAX], real[PATH_MAX];
    size_t plen = strlen(req->path);
    if (snprintf(file, sizeof(file), "%s%s%s", static_root, req->path,
                 req->path[plen - 1] == '/' ? "index.html" : "") >= (int)sizeof(file))
        return false;
    /* Symbolic links may not lead outside the root. */
    size_t rlen = strcmp(static_root, "/") == 0 ? 0 : strlen(static_root);
    if (!realpath(file, real) || strncmp(real, static_root, rlen) != 0 || real[rlen] != '/')
        return false;
    size_t len;
    struct stat st;
    char *data = read_file(real, MAX_STATIC_FILE, &len, &st);
    if (!data)
        return false;
    char etag[64];
    snprintf(etag, sizeof(etag), "W/\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000 + (unsigned long long)st.st_mtim.tv_nsec / 1000000);
    sio_http_set_etag(res, etag);
    sio_http_set_cache_control(res, "public, max-age=0");
    if (reply_content(req, res, etag, content_type(real), data, len) != SIO_OK)
        reply_text(res, 500, "text/plain", "Internal error");
    free(data);
    return true;
}

/* --- the HTTP emit API ---------------------------------------------------------- */

static const char *api_token; /* NULL: the API is off */

/* Compares in time that depends only on the expected token's length. */
static bool token_equal(const char *given, size_t glen, const char *want)
{
    size_t wlen = strlen(want);
    unsigned char diff = glen != wlen;
    for (size_t i = 0; i < wlen; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? given[i] : 0);
    return diff == 0;
}

/* Is the request's "Authorization: Bearer <token>" the API token? */
static bool authorized(const char *auth)
{
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    return n && token_equal(t, n, api_token);
}

static bool reserved_event(const char *name)
{
    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

typedef struct emit_req {
    char *nsp, *event;
    strlist rooms, except;
    const char *data; /* the raw text of the args array, or NULL */
    size_t data_len;
    unsigned seen;
    char why[128]; /* an error naming a field */
} emit_req;

static bool emit_field(jr *j, const char *key, void *user)
{
    static const char *const keys[] = {"namespace", "rooms", "except", "event", "data"};
    emit_req *r = user;
    unsigned k = 0;
    while (k < 5 && strcmp(key, keys[k]) != 0)
        k++;
    if (k == 5 || r->seen & (1u << k)) {
        snprintf(r->why, sizeof(r->why), "%s field \"%.64s\"", k == 5 ? "unknown" : "duplicate", key);
        return jr_field_fail(j, r->why);
    }
    r->seen |= 1u << k;
    switch (k) {
    case 0:
        r->nsp = jr_string_dup(j, "\"namespace\" must be a string starting with '/'");
        if (r->nsp && r->nsp[0] != '/')
            return jr_field_fail(j, "\"namespace\" must be a string starting with '/'");
        return r->nsp != NULL;
    case 1: return jr_string_array(j, &r->rooms, "\"rooms\" must be an array of strings");
    case 2: return jr_string_array(j, &r->except, "\"except\" must be an array of strings");
    case 3: r->event = jr_string_dup(j, "\"event\" must be a string"); return r->event != NULL;
    default:
        if (!jr_peek(j, '['))
            return jr_field_fail(j, "\"data\" must be an array");
        r->data = j->p;
        if (!jr_value(j))
            return false;
        r->data_len = (size_t)(j->p - r->data);
        return true;
    }
}

static bool handle_emit(const sio_http_request *req, sio_http_response *res)
{
    if (strcmp(req->method, "POST") != 0)
        return reply_error(req, res, 405, "method not allowed: use POST");
    if (!authorized(req->authorization))
        return reply_error(req, res, 401, req->authorization ? "invalid token" : "missing bearer token");

    emit_req r = {0};
    jr j;
    jr_init(&j, req->body, req->body_len);
    char msg[192];
    bool done;
    char *data = NULL;
    if (!jr_object(&j, emit_field, &r) || !jr_finish(&j)) {
        if (j.err_syntax)
            snprintf(msg, sizeof(msg), "invalid JSON: %s at byte %zu", j.err, (size_t)(j.p - j.s));
        else
            snprintf(msg, sizeof(msg), "%s", j.err);
        done = reply_error(req, res, 400, msg);
        goto out;
    }
    if (!r.event || !r.event[0] || reserved_event(r.event)) {
        done = reply_error(req, res, 400, !r.event ? "\"event\" is required"
                                                   : "\"event\" may not be empty or a reserved name");
        goto out;
    }
    if (r.data && !(data = strndup(r.data, r.data_len))) {
        done = reply_error(req, res, 500, "out of memory");
        goto out;
    }
    const char *nsp_name = r.nsp ? r.nsp : "/";
    int n = 0;
    /* Only namespaces that exist: sio_of would create a new one. */
    if (strcmp(nsp_name, "/") == 0) {
        sio_target to = {(const char *const *)r.rooms.v, r.rooms.n, (const char *const *)r.except.v,
                         r.except.n, NULL, false};
        n = sio_broadcast(sio_of(server, "/"), &to, r.event, data, NULL, 0);
    }
    if (n < 0) {
        done = reply_error(req, res, n == SIO_EINVAL ? 400 : 500,
                           n == SIO_EINVAL ? "\"data\" is not valid event arguments" : sio_strerror(n));
        goto out;
    }
    logmsg(L_DEBUG, "api emit \"%s\" on %s to %zu room(s) except %zu: %d recipient(s)", r.event, nsp_name,
           r.rooms.n, r.except.n, n);
    snprintf(msg, sizeof(msg), "{\"recipients\":%d}", n);
    done = reply_text(res, 200, "application/json", msg);
out:
    free(data);
    free(r.nsp);
    free(r.event);
    strlist_free(&r.rooms);
    strlist_free(&r.except);
    return done;
}

/* Every HTTP request outside the Socket.IO path. Returning false answers 404
 * (the library logs it). */
static bool on_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    if (strcmp(req->path, "/api/emit") == 0)
        return api_token ? handle_emit(req, res) : false;
    if (serve_client(req, res))
        return true;
    return serve_static(req, res);
}

/* --- the chat -------------------------------------------------------------------- */

typedef struct chat_user {
    char name[MAX_NAME_LEN + 1];
    unsigned rooms; /* chat rooms joined */
} chat_user;

static void ack_ok(sio_ack *ack)
{
    if (ack)
        sio_ack_send(ack, "[{\"ok\":true}]", NULL, 0);
}

static void ack_error(sio_socket *s, sio_ack *ack, const char *event, const char *error)
{
    logmsg(L_DEBUG, "%s: \"%s\" refused: %s", sio_socket_id(s), event, error);
    if (!ack)
        return;
    sbuf b = {0};
    sb_puts(&b, "[{\"ok\":false,\"error\":");
    sb_json_str(&b, error);
    sb_puts(&b, "}]");
    if (b.oom)
        sio_ack_discard(ack);
    else
        sio_ack_send(ack, b.p, NULL, 0);
    free(b.p);
}

/* A socket id: 20 characters of the URL-safe base64 alphabet. */
static bool id_shaped(const char *s)
{
    return strlen(s) == 20 &&
           strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 20;
}

/* NULL when `room` may be a chat room, else why not. */
static const char *room_problem(const char *room)
{
    if (!room)
        return "room must be a string";
    size_t n = strlen(room);
    if (n < 1 || n > MAX_ROOM_LEN)
        return "room name must be 1 to 64 characters";
    if (strspn(room, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.-") != n)
        return "room name may only hold letters, digits, space, '_', '.' and '-'";
    if (id_shaped(room))
        return "reserved room name";
    return NULL;
}

static const char *name_problem(const char *name)
{
    if (!name)
        return "name must be a string";
    size_t n = strlen(name);
    if (n < 1 || n > MAX_NAME_LEN)
        return "name must be 1 to 32 bytes";
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return "name may not hold control characters";
    return NULL;
}

static void on_name(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    chat_user *u = sio_socket_data(s);
    char *name = sio_arg_string(args, 0);
    const char *why = name_problem(name);
    if (why) {
        ack_error(s, ack, event, why);
    } else {
        snprintf(u->name, sizeof(u->name), "%s", name);
        logmsg(L_DEBUG, "%s: name %s", sio_socket_id(s), u->name);
        ack_ok(ack);
    }
    free(name);
}

static void on_join_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    chat_user *u = sio_socket_data(s);
    bool join = strcmp(event, "join") == 0;
    char *room = sio_arg_string(args, 0);
    const char *why = room_problem(room);
    if (!why) {
        bool in = sio_in_room(s, room);
        if (join && !in && u->rooms >= MAX_ROOMS)
            why = "too many rooms (at most 16)";
        else if (!join && !in)
            why = "not in this room";
        else if (join != in && (join ? sio_join(s, room) : sio_leave(s, room)) != SIO_OK)
            why = "out of memory";
        else if (join != in)
            u->rooms += join ? 1 : (unsigned)-1;
    }
    if (why) {
        ack_error(s, ack, event, why);
    } else {
        logmsg(L_DEBUG, "%s: %s %s", sio_socket_id(s), event, room);
        ack_ok(ack);
    }
    free(room);
}

typedef struct chat_msg {
    char *room, *text;
} chat_msg;

static bool message_field(jr *j, const char *key, void *user)
{
    chat_msg *m = user;
    char **slot = strcmp(key, "room") == 0 ? &m->room : strcmp(key, "text") == 0 ? &m->text : NULL;
    if (!slot)
        return jr_value(j);
    free(*slot);
    *slot = jr_string_dup(j, "room and text must be strings");
    return *slot != NULL;
}

static void on_message(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    chat_user *u = sio_socket_data(s);
    chat_msg m = {0};
    const char *why = NULL;
    size_t len;
    const char *json = sio_arg_type(args, 0) == SIO_T_OBJECT ? sio_arg_json(args, 0, &len) : NULL;
    jr j;
    if (json)
        jr_init(&j, json, len);
    if (!json)
        why = "expected {room, text}";
    else if (!jr_object(&j, message_field, &m))
        why = j.err_syntax ? "expected {room, text}" : j.err;
    else if (!m.room || !m.text)
        why = "expected {room, text}";
    else if ((why = room_problem(m.room)))
        ;
    else if (!sio_in_room(s, m.room))
        why = "not in this room";
    else if (!m.text[0] || strlen(m.text) > MAX_TEXT_LEN)
        why = "text must be 1 to 2000 bytes";
    if (why) {
        ack_error(s, ack, event, why);
        goto out;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char at[32];
    snprintf(at, sizeof(at), "%lld", (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    sbuf b = {0};
    sb_puts(&b, "[{\"room\":");
    sb_json_str(&b, m.room);
    sb_puts(&b, ",\"from\":");
    sb_json_str(&b, u->name);
    sb_puts(&b, ",\"text\":");
    sb_json_str(&b, m.text);
    sb_puts(&b, ",\"at\":");
    sb_puts(&b, at);
    sb_puts(&b, "}]");
    const char *rooms[] = {m.room};
    sio_target to = {rooms, 1, NULL, 0, NULL, false};
    int n = b.oom ? SIO_ENOMEM : sio_broadcast(sio_socket_namespace(s), &to, "message", b.p, NULL, 0);
    free(b.p);
    if (n < 0) {
        ack_error(s, ack, event, sio_strerror(n));
    } else {
        logmsg(L_DEBUG, "%s: message to %s: %d recipient(s)", sio_socket_id(s), m.room, n);
        ack_ok(ack);
    }
out:
    free(m.room);
    free(m.text);
}

static bool auth_field(jr *j, const char *key, void *user)
{
    if (strcmp(key, "name") != 0 || !jr_peek(j, '"'))
        return jr_value(j);
    char *name = jr_string_dup(j, "name");
    if (name && !name_problem(name))
        snprintf(user, MAX_NAME_LEN + 1, "%s", name);
    free(name);
    return true;
}

static void on_connection(sio_socket *s, void *user)
{
    chat_user *u = calloc(1, sizeof(*u));
    if (!u) {
        logmsg(L_ERROR, "%s: out of memory, disconnecting", sio_socket_id(s));
        sio_disconnect(s, true);
        return;
    }
    snprintf(u->name, sizeof(u->name), "guest-%.4s", sio_socket_id(s));
    const char *auth = sio_socket_auth(s);
    jr j;
    jr_init(&j, auth, strlen(auth));
    jr_object(&j, auth_field, u->name); /* a bad auth object just keeps the default name */
    sio_socket_set_data(s, u);
    sio_stats st;
    sio_server_stats(server, &st);
    logmsg(L_INFO, "connect %s on %s as %s (%zu client(s))", sio_socket_id(s),
           sio_namespace_name(sio_socket_namespace(s)), u->name, st.clients);
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    logmsg(L_INFO, "disconnect %s (%s)", sio_socket_id(s), reason);
    free(sio_socket_data(s));
    sio_socket_set_data(s, NULL);
}

static void on_other(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    logmsg(L_DEBUG, "%s: unknown event \"%s\" ignored", sio_socket_id(s), event);
    if (ack)
        ack_error(s, ack, event, "unknown event");
}

/* --- options and main ------------------------------------------------------------ */

static void on_signal(int sig)
{
    (void)sig;
    if (server)
        sio_server_stop(server);
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sio-server [options]\n"
            "A Socket.IO v4 server with a room chat, the socket.io client, static files\n"
            "and an HTTP emit API.\n"
            "  --host ADDR            address to listen on (default: all)\n"
            "  --port N               port (default 3000; 0 picks a free one)\n"
            "  --path PATH            Socket.IO path (default /socket.io/)\n"
            "  --ping-interval MS     default 25000\n"
            "  --ping-timeout MS      default 20000\n"
            "  --upgrade-timeout MS   default 10000\n"
            "  --connect-timeout MS   default 45000\n"
            "  --max-payload BYTES    largest message (maxHttpBufferSize), default 1000000\n"
            "  --cors-origin ORIGIN   allow this origin (repeatable; * for any)\n"
            "  --cors-credentials     allow credentials on CORS requests\n"
            "  --client-dir DIR       socket.io-client dist/ folder served under PATH\n"
            "                         (default tests/node_modules/socket.io-client/dist)\n"
            "  --no-serve-client      do not serve the socket.io client\n"
            "  --static DIR           static files (default tools/demo, the chat demo)\n"
            "  --no-static            serve no static files\n"
            "  --api-token TOKEN      enable POST /api/emit with this bearer token\n"
            "                         (or set SIO_API_TOKEN; without one the API is off)\n"
            "  --max-http-body BYTES  largest /api/emit body, default 1048576\n"
            "  --request-timeout MS   time to receive a request body, default 300000\n"
            "  --keep-alive-timeout MS  idle keep-alive connections closed after, default 5000\n"
            "  --max-connections N    connections at once (default: what the fd limit allows)\n"
            "  --max-queue-bytes N    one client's send queue, default 16777216\n"
            "  --max-total-queue-bytes N  all send queues together, default 1073741824\n"
            "  --log-level LEVEL      error, warn, info (default) or debug\n"
            "  --help                 this text\n");
}

static long number_arg(const char *name, const char *v, long min, long max)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < min || n > max) {
        fprintf(stderr, "sio-server: bad value for --%s: %s\n", name, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    o.max_http_body = 1u << 20;
    static const char *origins[64];
    const char *client_dir = "tests/node_modules/socket.io-client/dist", *static_dir = "tools/demo";
    bool serve_client_files = true;
    api_token = getenv("SIO_API_TOKEN");
    static const struct option opts[] = {
        {"host", required_argument, 0, 'H'},
        {"port", required_argument, 0, 'p'},
        {"path", required_argument, 0, 'P'},
        {"ping-interval", required_argument, 0, 'i'},
        {"ping-timeout", required_argument, 0, 't'},
        {"upgrade-timeout", required_argument, 0, 'u'},
        {"connect-timeout", required_argument, 0, 'T'},
        {"max-payload", required_argument, 0, 'm'},
        {"cors-origin", required_argument, 0, 'c'},
        {"cors-credentials", no_argument, 0, 'C'},
        {"client-dir", required_argument, 0, 'd'},
        {"no-serve-client", no_argument, 0, 'N'},
        {"static", required_argument, 0, 's'},
        {"no-static", no_argument, 0, 'S'},
        {"api-token", required_argument, 0, 'a'},
        {"max-http-body", required_argument, 0, 'b'},
        {"request-timeout", required_argument, 0, 'R'},
        {"keep-alive-timeout", required_argument, 0, 'K'},
        {"max-connections", required_argument, 0, 'M'},
        {"max-queue-bytes", required_argument, 0, 'Q'},
        {"max-total-queue-bytes", required_argument, 0, 'G'},
        {"log-level", required_argument, 0, 'l'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'H': o.bind_addr = optarg; break;
        case 'p': o.port = (int)number_arg("port", optarg, 0, 65535); break;
        case 'P':
            if (optarg[0] != '/') {
                fprintf(stderr, "sio-server: --path must start with '/'\n");
                return 2;
            }
            o.path = optarg;
            break;
        case 'i': o.ping_interval = (unsigned)number_arg("ping-interval", optarg, 1, 1L << 30); break;
        case 't': o.ping_timeout = (unsigned)number_arg("ping-timeout", optarg, 1, 1L << 30); break;
        case 'u': o.upgrade_timeout = (unsigned)number_arg("upgrade-timeout", optarg, 1, 1L << 30); break;
        case 'T': o.connect_timeout = (unsigned)number_arg("connect-timeout", optarg, 1, 1L << 30); break;
        case 'm': o.max_http_buffer_size = (size_t)number_arg("max-payload", optarg, 1, 1L << 30); break;
        case 'c':
            if (o.n_cors_origins == sizeof(origins) / sizeof(origins[0])) {
                fprintf(stderr, "sio-server: too many --cors-origin\n");
                return 2;
            }
            origins[o.n_cors_origins++] = optarg;
            break;
        case 'C': o.cors_credentials = true; break;
        case 'd': client_dir = optarg; break;
        case 'N': serve_client_files = false; break;
        case 's': static_dir = optarg; break;
        case 'S': static_dir = NULL; break;
        case 'a': api_token = optarg; break;
        case 'b': o.max_http_body = (size_t)number_arg("max-http-body", optarg, 1, 1L << 30); break;
        case 'R': o.request_timeout = (unsigned)number_arg("request-timeout", optarg, 1, 1L << 30); break;
        case 'K': o.keep_alive_timeout = (unsigned)number_arg("keep-alive-timeout", optarg, 1, 1L << 30); break;
        case 'M': o.max_connections = (unsigned)number_arg("max-connections", optarg, 1, 1L << 30); break;
        case 'Q': o.max_queue_bytes = (size_t)number_arg("max-queue-bytes", optarg, 1, LONG_MAX); break;
        case 'G': o.max_total_queue_bytes = (size_t)number_arg("max-total-queue-bytes", optarg, 1, LONG_MAX); break;
        case 'l':
            for (log_level = L_DEBUG; log_level >= 0 && strcmp(optarg, level_names[log_level]) != 0;)
                log_level--;
            if (log_level < 0) {
                fprintf(stderr, "sio-server: --log-level must be error, warn, info or debug\n");
                return 2;
            }
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "sio-server: unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (api_token && !api_token[0])
        api_token = NULL;
    o.cors_origins = origins;
    o.http_handler = on_http;
    o.log = on_lib_log;

    if (serve_client_files)
        load_client(client_dir, o.path);
    if (static_dir && !realpath(static_dir, static_root)) {
        logmsg(L_WARN, "static directory %s: %s: static files will answer 404", static_dir, strerror(errno));
        static_root[0] = 0;
    }

    char why[256];
    if (sio_server_create(&o, &server, why, sizeof(why)) != SIO_OK) {
        logmsg(L_ERROR, "%s", why);
        return 1;
    }
    sio_namespace *nsp = sio_of(server, "/");
    sio_on_connection(nsp, on_connection, NULL);
    sio_on_disconnect(nsp, on_disconnect, NULL);
    if (sio_on(nsp, "name", on_name, NULL) || sio_on(nsp, "join", on_join_leave, NULL) ||
        sio_on(nsp, "leave", on_join_leave, NULL) || sio_on(nsp, "message", on_message, NULL)) {
        logmsg(L_ERROR, "out of memory");
        return 1;
    }
    sio_on_any(nsp, on_other, NULL);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second signal ends the process at once */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    fprintf(stderr, "sio-server listening on port %d\n", sio_server_port(server));
    logmsg(L_INFO, "path %s, static files %s, emit API %s", o.path, static_root[0] ? static_root : "off",
           api_token ? "on" : "off");
    int rc = sio_server_run(server);
    logmsg(L_INFO, "stopped");
    sio_server_free(server);
    server = NULL;
    for (size_t i = 0; i < n_client_assets; i++)
        free(client_assets[i].data);
    return rc;
}
