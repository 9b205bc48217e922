/* Expectations and replies (testserver.h): what the server does when a
 * client connects to a namespace or emits an event, as the tests set it.
 * Every namespace is accepted and set up alike: its handlers log what the
 * client did, then apply the rules, the latest added first. */
#include "testserver.h"

#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "match.h"
#include "rules.h"

typedef struct emit_spec {
    char *event;
    ts_args args;
} emit_spec;

typedef struct rule {
    ts_rule_kind kind;
    char *nsp;        /* NULL: every namespace */
    char *event;      /* TS_ON_EVENT: the event's name */
    sio_json *match;  /* TS_ON_EVENT: a pattern for its arguments, or NULL */
    bool ack;         /* TS_ON_EVENT: answer the client's ack request with ack_args */
    ts_args ack_args;
    unsigned delay_ms;
    emit_spec *emits; /* TS_ON_CONNECT, TS_ON_EVENT: emitted to the socket */
    size_t n_emits;
    char *message;    /* TS_REFUSE */
    char *data;       /* TS_REFUSE: JSON, or NULL */
} rule;

struct ts_rules {
    rule *r;
    size_t n, cap;
};

/* An ack answered later. */
struct ts_delay {
    uv_timer_t timer;
    ts_state *st;
    sio_ack *ack;
    ts_args args;
    struct ts_delay *next;
};

ts_rules *ts_rules_new(void) { return calloc(1, sizeof(ts_rules)); }

static void rule_free(rule *r)
{
    free(r->nsp);
    free(r->event);
    sio_json_free(r->match);
    ts_args_free(&r->ack_args);
    for (size_t i = 0; i < r->n_emits; i++) {
        free(r->emits[i].event);
        ts_args_free(&r->emits[i].args);
    }
    free(r->emits);
    free(r->message);
    free(r->data);
}

void ts_rules_clear(ts_rules *rs)
{
    for (size_t i = 0; i < rs->n; i++)
        rule_free(&rs->r[i]);
    free(rs->r);
    memset(rs, 0, sizeof(*rs));
}

void ts_rules_free(ts_rules *rs)
{
    if (!rs)
        return;
    ts_rules_clear(rs);
    free(rs);
}

static char *string_member(sio_json_value o, const char *key)
{
    return sio_json_strdup(sio_json_get(o, key), NULL);
}

/* Reads "emit": [{event, args}...]. */
static int read_emits(rule *r, sio_json_value list, const char **why)
{
    if (sio_json_is_missing(list))
        return 0;
    if (sio_json_typeof(list) != SIO_JSON_ARRAY) {
        *why = "emit must be an array of {event, args}";
        return -1;
    }
    size_t n = sio_json_count(list);
    if (!(r->emits = calloc(n ? n : 1, sizeof(*r->emits)))) {
        *why = "out of memory";
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        sio_json_value e = sio_json_at(list, i);
        emit_spec *x = &r->emits[r->n_emits];
        if (!(x->event = string_member(e, "event"))) {
            *why = "each emit needs an event name";
            return -1;
        }
        r->n_emits++;
        if (ts_args_from_json(sio_json_get(e, "args"), &x->args, why))
            return -1;
    }
    return 0;
}

int ts_rules_add(ts_state *st, ts_rule_kind kind, sio_json_value body, const char **why)
{
    ts_rules *rs = st->rules;
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 8;
        rule *r = realloc(rs->r, cap * sizeof(*r));
        if (!r) {
            *why = "out of memory";
            return -1;
        }
        rs->r = r;
        rs->cap = cap;
    }
    rule r = {.kind = kind};
    sio_json_value nsp = sio_json_get(body, "namespace");
    if (!sio_json_is_missing(nsp) && !sio_json_string_eq(nsp, "*")) {
        r.nsp = sio_json_strdup(nsp, NULL);
        if (!r.nsp || r.nsp[0] != '/') {
            *why = "namespace must be a string starting with '/' (or \"*\")";
            goto fail;
        }
    }
    int64_t delay = 0;
    if (!sio_json_is_missing(sio_json_get(body, "delay_ms")) &&
        (!sio_json_int(sio_json_get(body, "delay_ms"), &delay) || delay < 0 || delay > 600000)) {
        *why = "delay_ms must be an integer in [0, 600000]";
        goto fail;
    }
    r.delay_ms = (unsigned)delay;
    if (kind == TS_REFUSE) {
        r.message = string_member(body, "message");
        if (!r.message && !(r.message = strdup("refused by the test"))) {
            *why = "out of memory";
            goto fail;
        }
        size_t len;
        const char *data = sio_json_raw(sio_json_get(body, "data"), &len);
        if (data && !(r.data = strndup(data, len))) {
            *why = "out of memory";
            goto fail;
        }
    } else {
        if (read_emits(&r, sio_json_get(body, "emit"), why))
            goto fail;
    }
    if (kind == TS_ON_EVENT) {
        if (!(r.event = string_member(body, "event"))) {
            *why = "event (a string) is required";
            goto fail;
        }
        size_t len;
        const char *m = sio_json_raw(sio_json_get(body, "match"), &len);
        if (m && !(r.match = sio_json_parse(m, len, NULL))) {
            *why = "out of memory";
            goto fail;
        }
        sio_json_value ack = sio_json_get(body, "ack");
        r.ack = !sio_json_is_missing(ack);
        if (r.ack && ts_args_from_json(ack, &r.ack_args, why))
            goto fail;
    }
    rs->r[rs->n++] = r;
    return 0;
fail:
    rule_free(&r);
    return -1;
}

/* The latest rule of `kind` for namespace `nsp` (and event, arguments). */
static const rule *find(const ts_rules *rs, ts_rule_kind kind, const char *nsp, const char *event,
                        const sio_args *args)
{
    for (size_t i = rs->n; i-- > 0;) {
        const rule *r = &rs->r[i];
        if (r->kind != kind || (r->nsp && strcmp(r->nsp, nsp) != 0))
            continue;
        if (kind == TS_ON_EVENT && strcmp(r->event, event) != 0)
            continue;
        if (kind == TS_ON_EVENT && r->match) {
            size_t len;
            const char *text = sio_args_json(args, &len);
            sio_json *doc = text ? sio_json_parse(text, len, NULL) : NULL;
            bool ok = doc && ts_json_match(sio_json_root(r->match), sio_json_root(doc));
            sio_json_free(doc);
            if (!ok)
                continue;
        }
        return r;
    }
    return NULL;
}

static void emit_all(sio_socket *s, const rule *r)
{
    for (size_t i = 0; i < r->n_emits; i++) {
        const emit_spec *e = &r->emits[i];
        sio_emit_binary(s, e->event, e->args.json, e->args.bins, e->args.nbins);
    }
}

/* --- delayed acks ---------------------------------------------------------------- */

static void delay_closed(uv_handle_t *h) { free(h->data); }

static void delay_unlink(struct ts_delay *d)
{
    for (struct ts_delay **p = &d->st->delays; *p; p = &(*p)->next) {
        if (*p == d) {
            *p = d->next;
            break;
        }
    }
    ts_args_free(&d->args);
    uv_close((uv_handle_t *)&d->timer, delay_closed);
}

static void delay_fire(uv_timer_t *t)
{
    struct ts_delay *d = t->data;
    sio_ack_send(d->ack, d->args.json, d->args.bins, d->args.nbins);
    delay_unlink(d);
}

static void answer_later(ts_state *st, sio_ack *ack, const rule *r)
{
    struct ts_delay *d = calloc(1, sizeof(*d));
    if (!d || ts_args_copy(&d->args, &r->ack_args)) {
        free(d);
        sio_ack_send(ack, r->ack_args.json, r->ack_args.bins, r->ack_args.nbins);
        return;
    }
    d->st = st;
    d->ack = sio_ack_retain(ack);
    uv_timer_init(st->loop, &d->timer);
    d->timer.data = d;
    d->next = st->delays;
    st->delays = d;
    uv_timer_start(&d->timer, delay_fire, r->delay_ms, 0);
}

void ts_delays_cancel(ts_state *st)
{
    while (st->delays) {
        struct ts_delay *d = st->delays;
        uv_timer_stop(&d->timer);
        sio_ack_discard(d->ack);
        delay_unlink(d);
    }
}

/* --- the namespaces' handlers ------------------------------------------------------ */

static bool refuse(sio_socket *s, const char **message, const char **data_json, void *user)
{
    ts_state *st = user;
    const char *nsp = sio_namespace_name(sio_socket_namespace(s));
    const rule *r = find(st->rules, TS_REFUSE, nsp, NULL, NULL);
    if (!r)
        return true;
    ts_log_add(st, "refused", sio_socket_id(s), nsp, NULL, NULL, r->message);
    *message = r->message;
    *data_json = r->data;
    return false;
}

static void on_connection(sio_socket *s, void *user)
{
    ts_state *st = user;
    const char *nsp = sio_namespace_name(sio_socket_namespace(s));
    ts_sockets_add(&st->sockets, s);
    ts_log_add(st, "connect", sio_socket_id(s), nsp, NULL, sio_socket_auth(s), NULL);
    const rule *r = find(st->rules, TS_ON_CONNECT, nsp, NULL, NULL);
    if (r)
        emit_all(s, r);
}

static void on_event(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    ts_state *st = user;
    const char *nsp = sio_namespace_name(sio_socket_namespace(s));
    sio_json_writer *w = sio_jw_new();
    ts_args_write(w, args);
    ts_log_add(st, "event", sio_socket_id(s), nsp, event, sio_jw_text(w, NULL), NULL);
    sio_jw_free(w);
    const rule *r = find(st->rules, TS_ON_EVENT, nsp, event, args);
    if (!r)
        return;
    if (ack && r->ack) {
        if (r->delay_ms)
            answer_later(st, ack, r);
        else
            sio_ack_send(ack, r->ack_args.json, r->ack_args.bins, r->ack_args.nbins);
    }
    emit_all(s, r);
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    ts_state *st = user;
    ts_log_add(st, "disconnect", sio_socket_id(s), sio_namespace_name(sio_socket_namespace(s)), NULL, NULL,
               reason);
    ts_sockets_gone(&st->sockets, s);
}

static void setup(sio_namespace *nsp, void *user)
{
    sio_use(nsp, refuse, user);
    sio_on_connection(nsp, on_connection, user);
    sio_on_any(nsp, on_event, user);
    sio_on_disconnect(nsp, on_disconnect, user);
}

static bool any_namespace(sio_server *srv, const char *name, const char *auth, void *user) { return true; }

int ts_rules_install(ts_state *st)
{
    sio_namespace *root = sio_of(st->io, "/");
    if (!root)
        return SIO_ENOMEM;
    setup(root, st);
    return sio_dynamic_namespaces(st->io, "*", any_namespace, setup, st);
}
