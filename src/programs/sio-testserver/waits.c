/* Waits (testserver.h): "tell me when a client has done this, or after
 * that long", for the control API's long poll and for scenario steps. A
 * wait first looks at the log (what happened after `after`), then at each
 * new entry, until its timer ends it. */
#include "testserver.h"

#include <stdlib.h>
#include <string.h>

#include "match.h"

typedef struct ts_waiter {
    uv_timer_t timer;
    ts_state *st;
    sio_json *criteria; /* a copy of the criteria object */
    ts_wait_fn fn;
    void *user;
    struct ts_waiter *next;
} ts_waiter;

static bool string_ok(sio_json_value v)
{
    sio_json_type t = sio_json_typeof(v);
    return t == SIO_JSON_MISSING || t == SIO_JSON_STRING;
}

/* A criterion that is absent matches anything; a string matches only the
 * same string. */
static bool same(sio_json_value want, const char *have)
{
    if (sio_json_is_missing(want))
        return true;
    return have && sio_json_string_eq(want, have);
}

bool ts_wait_matches(sio_json_value c, const ts_entry *e)
{
    sio_json_value kind = sio_json_get(c, "kind");
    if (sio_json_is_missing(kind) ? strcmp(e->kind, "event") != 0 : !sio_json_string_eq(kind, e->kind))
        return false;
    if (!same(sio_json_get(c, "event"), e->event) || !same(sio_json_get(c, "namespace"), e->nsp) ||
        !same(sio_json_get(c, "socket"), e->socket) || !same(sio_json_get(c, "reason"), e->reason))
        return false;
    sio_json_value args = sio_json_get(c, strcmp(e->kind, "connect") == 0 ? "auth" : "args");
    if (sio_json_is_missing(args))
        return true;
    if (!e->args)
        return false;
    sio_json *doc = sio_json_parse(e->args, strlen(e->args), NULL);
    bool ok = doc && ts_json_match(args, sio_json_root(doc));
    sio_json_free(doc);
    return ok;
}

static void waiter_closed(uv_handle_t *h)
{
    ts_waiter *w = h->data;
    sio_json_free(w->criteria);
    free(w);
}

/* Takes the waiter off the list, calls it back once, and lets it go. */
static void finish(ts_waiter *w, const ts_entry *e)
{
    for (ts_waiter **p = &w->st->waits; *p; p = &(*p)->next) {
        if (*p == w) {
            *p = w->next;
            break;
        }
    }
    uv_timer_stop(&w->timer);
    w->fn(w->st, e, w->user);
    uv_close((uv_handle_t *)&w->timer, waiter_closed);
}

static void timed_out(uv_timer_t *t) { finish(t->data, NULL); }

int ts_wait(ts_state *st, sio_json_value criteria, uint64_t after, unsigned timeout_ms, ts_wait_fn fn,
            void *user, const char **why)
{
    if (sio_json_typeof(criteria) != SIO_JSON_OBJECT) {
        *why = "the criteria must be an object";
        return -1;
    }
    static const char *const strings[] = {"kind", "event", "namespace", "socket", "reason"};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        if (!string_ok(sio_json_get(criteria, strings[i]))) {
            *why = "kind, event, namespace, socket and reason must be strings";
            return -1;
        }
    }
    for (size_t i = 0; i < ts_log_count(&st->log); i++) {
        const ts_entry *e = ts_log_at(&st->log, i);
        if (e->seq > after && ts_wait_matches(criteria, e)) {
            fn(st, e, user);
            return 0;
        }
    }
    ts_waiter *w = calloc(1, sizeof(*w));
    size_t len;
    const char *text = sio_json_raw(criteria, &len);
    if (!w || !(w->criteria = sio_json_parse(text, len, NULL))) {
        free(w);
        *why = "out of memory";
        return -1;
    }
    w->st = st;
    w->fn = fn;
    w->user = user;
    uv_timer_init(st->loop, &w->timer);
    w->timer.data = w;
    uv_timer_start(&w->timer, timed_out, timeout_ms, 0);
    w->next = st->waits;
    st->waits = w;
    return 0;
}

void ts_waits_notify(ts_state *st, const ts_entry *e)
{
    /* A callback may start or end waits: look again from the start after
     * each one that ends. */
    for (ts_waiter *w = st->waits; w;) {
        if (ts_wait_matches(sio_json_root(w->criteria), e)) {
            finish(w, e);
            w = st->waits;
        } else {
            w = w->next;
        }
    }
}

void ts_waits_cancel(ts_state *st)
{
    while (st->waits)
        finish(st->waits, NULL);
}
