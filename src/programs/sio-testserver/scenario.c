/* Scenario files (testserver.h): a declared sequence of steps, each one
 * command of the control API ({"<command>": {body}}) or an expectation
 * ({"expect": {criteria}}: a wait for a log entry after the one the
 * previous expectation matched), with a timeout per step:
 *
 *   {"timeout_ms": 5000,
 *    "steps": [{"on-event": {"event": "add", "ack": [3]}},
 *              {"expect": {"kind": "connect"}, "timeout_ms": 10000},
 *              {"expect": {"event": "add", "args": [1, 2]}},
 *              {"emit": {"socket": "last", "event": "done"}}]}
 *
 * The first step that fails ends the run: the server stops and the exit
 * status is 1, after a diff on stderr of what the step expected against
 * what the clients did since the previous expectation. */
#include "testserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ts_scenario {
    char *path;
    sio_json *doc;
    size_t n, next; /* steps, and the one to run */
    unsigned default_timeout;
    uint64_t last_seq; /* the entry the latest expectation matched */
    ts_state *st;
    bool running;      /* inside run(): a step that ends at once lets it go on */
    bool step_done;
    int status;        /* -1 while running */
};

static sio_json_value step_at(const ts_scenario *sc, size_t i)
{
    return sio_json_at(sio_json_get(sio_json_root(sc->doc), "steps"), i);
}

/* The step's command: its one member other than timeout_ms. */
static bool step_command(sio_json_value step, char *name, size_t cap, sio_json_value *body)
{
    size_t pos = 0;
    sio_json_value k, v;
    bool found = false;
    while (sio_json_next(step, &pos, &k, &v)) {
        if (sio_json_string_eq(k, "timeout_ms"))
            continue;
        if (found)
            return false;
        found = sio_json_string(k, name, cap) < cap;
        *body = v;
    }
    return found;
}

static int fail_load(const char *path, const char *why, sio_json *doc, char *text)
{
    fprintf(stderr, "sio-testserver: scenario %s: %s\n", path, why);
    sio_json_free(doc);
    free(text);
    return -1;
}

ts_scenario *ts_scenario_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "sio-testserver: scenario %s: cannot be read\n", path);
        return NULL;
    }
    char *text = malloc(1 << 20);
    size_t len = text ? fread(text, 1, 1 << 20, f) : 0;
    bool big = text && len == 1 << 20;
    fclose(f);
    if (!text || big) {
        fail_load(path, big ? "larger than 1 MiB" : "out of memory", NULL, text);
        return NULL;
    }
    sio_json *doc = sio_json_parse(text, len, NULL);
    if (!doc) {
        fail_load(path, "not JSON", NULL, text);
        return NULL;
    }
    sio_json_value steps = sio_json_get(sio_json_root(doc), "steps");
    int64_t timeout = 5000;
    sio_json_value t = sio_json_get(sio_json_root(doc), "timeout_ms");
    if (sio_json_typeof(steps) != SIO_JSON_ARRAY) {
        fail_load(path, "\"steps\" must be an array", doc, text);
        return NULL;
    }
    if (!sio_json_is_missing(t) && (!sio_json_int(t, &timeout) || timeout < 1 || timeout > 600000)) {
        fail_load(path, "\"timeout_ms\" must be an integer in [1, 600000]", doc, text);
        return NULL;
    }
    for (size_t i = 0, n = sio_json_count(steps); i < n; i++) {
        char name[64], why[160];
        sio_json_value body, step = sio_json_at(steps, i), st = sio_json_get(step, "timeout_ms");
        int64_t ms;
        if (sio_json_typeof(step) != SIO_JSON_OBJECT || !step_command(step, name, sizeof(name), &body) ||
            sio_json_typeof(body) != SIO_JSON_OBJECT ||
            (!sio_json_is_missing(st) && (!sio_json_int(st, &ms) || ms < 1 || ms > 600000))) {
            snprintf(why, sizeof(why),
                     "step %zu must be {\"<command>\": {...}} with an optional \"timeout_ms\" in [1, 600000]",
                     i + 1);
            fail_load(path, why, doc, text);
            return NULL;
        }
    }
    ts_scenario *sc = calloc(1, sizeof(*sc));
    if (!sc || !(sc->path = strdup(path))) {
        free(sc);
        fail_load(path, "out of memory", doc, text);
        return NULL;
    }
    free(text);
    sc->doc = doc;
    sc->n = sio_json_count(steps);
    sc->default_timeout = (unsigned)timeout;
    sc->status = -1;
    return sc;
}

static void finish(ts_scenario *sc, int status)
{
    sc->status = status;
    if (status == 0)
        fprintf(stderr, "sio-testserver: scenario %s: all %zu steps met\n", sc->path, sc->n);
    sio_server_stop(sc->st->io);
}

static void print_json(const char *prefix, const char *text, size_t len)
{
    fprintf(stderr, "%s%.*s\n", prefix, (int)len, text);
}

/* What the step expected against what the clients did since the previous
 * expectation, as a diff. */
static void print_diff(ts_scenario *sc, const char *what, sio_json_value expected, unsigned timeout)
{
    ts_state *st = sc->st;
    size_t len;
    const char *text = sio_json_raw(expected, &len);
    fprintf(stderr, "sio-testserver: scenario %s: step %zu of %zu %s\n", sc->path, sc->next + 1, sc->n, what);
    fprintf(stderr, "--- expected (step %zu, within %u ms)\n", sc->next + 1, timeout);
    fprintf(stderr, "+++ what the clients did after the previous expectation\n");
    print_json("- ", text, len);
    size_t shown = 0;
    for (size_t i = 0; i < ts_log_count(&st->log); i++) {
        const ts_entry *e = ts_log_at(&st->log, i);
        if (e->seq <= sc->last_seq)
            continue;
        sio_json_writer *w = sio_jw_new();
        ts_entry_write(w, e);
        const char *line = sio_jw_text(w, &len);
        if (line)
            print_json("+ ", line, len);
        sio_jw_free(w);
        shown++;
    }
    if (!shown)
        fprintf(stderr, "+ (nothing)\n");
}

static void run(ts_scenario *sc);

static void step_finished(ts_scenario *sc)
{
    sc->next++;
    if (sc->running)
        sc->step_done = true;
    else
        run(sc);
}

static unsigned step_timeout(const ts_scenario *sc, sio_json_value step)
{
    int64_t ms;
    return sio_json_int(sio_json_get(step, "timeout_ms"), &ms) ? (unsigned)ms : sc->default_timeout;
}

static void expect_done(ts_state *st, const ts_entry *e, void *user)
{
    ts_scenario *sc = user;
    if (st->stopping)
        return;
    if (e) {
        sc->last_seq = e->seq;
        step_finished(sc);
        return;
    }
    char name[64];
    sio_json_value body, step = step_at(sc, sc->next);
    step_command(step, name, sizeof(name), &body);
    print_diff(sc, "was not met", body, step_timeout(sc, step));
    finish(sc, 1);
}

static void command_done(ts_state *st, unsigned status, const char *json, void *user)
{
    ts_scenario *sc = user;
    if (status == 200) {
        step_finished(sc);
        return;
    }
    char name[64];
    sio_json_value body;
    step_command(step_at(sc, sc->next), name, sizeof(name), &body);
    fprintf(stderr, "sio-testserver: scenario %s: step %zu of %zu (%s) failed: %u %s\n", sc->path, sc->next + 1,
            sc->n, name, status, json);
    finish(sc, 1);
}

/* Runs steps until one waits or the last has run. */
static void run(ts_scenario *sc)
{
    sc->running = true;
    while (sc->status < 0 && sc->next < sc->n) {
        char name[64];
        sio_json_value body, step = step_at(sc, sc->next);
        step_command(step, name, sizeof(name), &body);
        sc->step_done = false;
        if (strcmp(name, "expect") == 0) {
            const char *why = NULL;
            if (ts_wait(sc->st, body, sc->last_seq, step_timeout(sc, step), expect_done, sc, &why)) {
                fprintf(stderr, "sio-testserver: scenario %s: step %zu: %s\n", sc->path, sc->next + 1, why);
                finish(sc, 2);
            }
        } else {
            ts_command(sc->st, name, body, command_done, sc);
        }
        if (!sc->step_done)
            break; /* it goes on from its callback */
    }
    sc->running = false;
    if (sc->status < 0 && sc->next == sc->n)
        finish(sc, 0);
}

void ts_scenario_start(ts_state *st, ts_scenario *sc)
{
    sc->st = st;
    run(sc);
}

int ts_scenario_status(const ts_scenario *sc) { return sc->status < 0 ? 1 : sc->status; }

void ts_scenario_free(ts_scenario *sc)
{
    if (!sc)
        return;
    sio_json_free(sc->doc);
    free(sc->path);
    free(sc);
}
