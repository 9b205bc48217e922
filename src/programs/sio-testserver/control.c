/* The control API (testserver.h): HTTP/JSON on its own port. POST
 * /<command> with a JSON object runs the command; GET /<command>?k=v&...
 * runs it with the query as the object (numbers as numbers). A command
 * that answers later (wait) holds its request through a deferred
 * response (sio_deferred.h). */
#include "testserver.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "sio_deferred.h"

typedef struct ts_pending {
    ts_state *st;
    bool in_handler; /* the command runs inside the HTTP handler */
    bool answered;   /* ... and answered there */
    unsigned status;
    char *body;
    sio_http_deferred *d;
    struct ts_pending *next;
} ts_pending;

static void unlink_pending(ts_pending *p)
{
    for (ts_pending **q = &p->st->pending; *q; q = &(*q)->next) {
        if (*q == p) {
            *q = p->next;
            return;
        }
    }
}

static void on_done(ts_state *st, unsigned status, const char *json, void *user)
{
    ts_pending *p = user;
    if (p->in_handler) {
        p->answered = true;
        p->status = status;
        p->body = strdup(json);
        return;
    }
    unlink_pending(p);
    if (p->d)
        sio_http_deferred_reply(p->d, status, "application/json", json, strlen(json));
    free(p);
}

static int hexval(int c) { return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10; }

/* A query component, URL-decoded, as a JSON string or, all digits, number. */
static void write_component(sio_json_writer *w, const char *s, size_t n, bool key)
{
    char *d = malloc(n + 1);
    size_t k = 0;
    bool digits = n > 0 && n < 16;
    for (size_t i = 0; d && i < n; i++) {
        if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
            isxdigit((unsigned char)s[i + 2])) {
            d[k++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            d[k++] = s[i] == '+' ? ' ' : s[i];
        }
        digits = digits && isdigit((unsigned char)d[k - 1]);
    }
    if (key)
        sio_jw_keyn(w, d ? d : "", d ? k : 0);
    else if (digits)
        sio_jw_raw(w, d, k);
    else
        sio_jw_stringn(w, d ? d : "", d ? k : 0);
    free(d);
}

/* "a=1&b=x" as {"a":1,"b":"x"}. */
static char *query_object(const char *q)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_object(w);
    while (q && *q) {
        const char *end = strchr(q, '&');
        size_t n = end ? (size_t)(end - q) : strlen(q);
        const char *eq = memchr(q, '=', n);
        if (n) {
            write_component(w, q, eq ? (size_t)(eq - q) : n, true);
            if (eq)
                write_component(w, eq + 1, n - (size_t)(eq - q) - 1, false);
            else
                sio_jw_string(w, "");
        }
        q = end ? end + 1 : NULL;
    }
    sio_jw_object_end(w);
    const char *text = sio_jw_text(w, NULL);
    char *copy = text ? strdup(text) : NULL;
    sio_jw_free(w);
    return copy;
}

static bool reply_text(sio_http_response *res, unsigned status, const char *json)
{
    return sio_http_reply(res, status, "application/json", json, strlen(json)) == SIO_OK;
}

bool ts_control_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    ts_state *st = user;
    bool get = strcmp(req->method, "GET") == 0;
    if (!get && strcmp(req->method, "POST") != 0)
        return reply_text(res, 405, "{\"error\":\"GET or POST\"}");
    const char *name = req->path[0] == '/' ? req->path + 1 : req->path;
    char *query = get ? query_object(req->query) : NULL;
    const char *text = get ? query : req->body;
    size_t len = get ? (query ? strlen(query) : 0) : req->body_len;
    if (!get && len == 0)
        text = "{}", len = 2;
    sio_json *doc = text ? sio_json_parse(text, len, NULL) : NULL;
    free(query);
    if (!doc)
        return reply_text(res, 400, "{\"error\":\"the body is not JSON\"}");
    ts_pending *p = calloc(1, sizeof(*p));
    if (!p) {
        sio_json_free(doc);
        return reply_text(res, 500, "{\"error\":\"out of memory\"}");
    }
    p->st = st;
    p->in_handler = true;
    ts_command(st, name, sio_json_root(doc), on_done, p);
    sio_json_free(doc);
    p->in_handler = false;
    if (p->answered) {
        bool ok = reply_text(res, p->status, p->body ? p->body : "{\"error\":\"out of memory\"}");
        free(p->body);
        free(p);
        return ok;
    }
    /* Answered later (on_done); until then the request is held. */
    p->next = st->pending;
    st->pending = p;
    if (!(p->d = sio_http_defer(res)))
        return reply_text(res, 503, "{\"error\":\"out of memory\"}");
    return true;
}

void ts_control_finish(ts_state *st)
{
    ts_waits_cancel(st); /* every held request is a wait: it answers now */
}
