/* The commands of the control API and of scenario files (testserver.h):
 * each takes a JSON object and answers an HTTP status and a JSON body.
 * The faults' commands are in faults.c. */
#include "testserver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary.h"
#include "commands.h"
#include "rules.h"
#include "sio_observer.h"
#include "sio_testing.h"

void ts_answer_error(ts_state *st, ts_done_fn done, void *user, unsigned status, const char *message)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_object(w);
    sio_jw_key(w, "error");
    sio_jw_string(w, message);
    sio_jw_object_end(w);
    const char *text = sio_jw_text(w, NULL);
    done(st, status, text ? text : "{\"error\":\"out of memory\"}", user);
    sio_jw_free(w);
}

void ts_answer_writer(ts_state *st, ts_done_fn done, void *user, sio_json_writer *w)
{
    const char *text = sio_jw_text(w, NULL);
    if (text)
        done(st, 200, text, user);
    else
        ts_answer_error(st, done, user, 500, "the answer could not be written");
    sio_jw_free(w);
}

void ts_answer_count(ts_state *st, ts_done_fn done, void *user, const char *key, int64_t n)
{
    char text[96];
    snprintf(text, sizeof(text), "{\"%s\":%lld}", key, (long long)n);
    done(st, 200, text, user);
}

char *ts_member(sio_json_value body, const char *key) { return sio_json_strdup(sio_json_get(body, key), NULL); }

bool ts_uint_member(sio_json_value body, const char *key, int64_t max, int64_t *out)
{
    sio_json_value v = sio_json_get(body, key);
    if (sio_json_is_missing(v))
        return true;
    return sio_json_int(v, out) && *out >= 0 && *out <= max;
}

ts_known *ts_target_socket(ts_state *st, sio_json_value body, const char **why)
{
    char *id = ts_member(body, "socket");
    char *nsp = ts_member(body, "namespace");
    ts_known *k = id ? ts_sockets_find(&st->sockets, id, nsp) : NULL;
    if (!id)
        *why = "socket (an id, or \"last\") is required";
    else if (!k)
        *why = "no such socket";
    else if (!k->s)
        *why = "that socket is disconnected";
    free(id);
    free(nsp);
    return k && k->s ? k : NULL;
}

/* --- rules ------------------------------------------------------------------------ */

static void add_rule(ts_state *st, ts_rule_kind kind, sio_json_value body, ts_done_fn done, void *user)
{
    const char *why = NULL;
    if (ts_rules_add(st, kind, body, &why))
        ts_answer_error(st, done, user, 400, why);
    else
        done(st, 200, "{\"ok\":true}", user);
}

/* --- actions ---------------------------------------------------------------------- */

/* {event, args, socket | room | namespace}: to one socket, a room of the
 * namespace, or all of it. */
static void cmd_emit(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    const char *why = NULL;
    char *event = ts_member(body, "event");
    ts_args args = {0};
    if (!event) {
        ts_answer_error(st, done, user, 400, "event (a string) is required");
        return;
    }
    if (ts_args_from_json(sio_json_get(body, "args"), &args, &why)) {
        free(event);
        ts_answer_error(st, done, user, 400, why);
        return;
    }
    int rc;
    if (!sio_json_is_missing(sio_json_get(body, "socket"))) {
        ts_known *k = ts_target_socket(st, body, &why);
        rc = k ? sio_emit_binary(k->s, event, args.json, args.bins, args.nbins) : SIO_ENOTFOUND;
        rc = rc == SIO_OK ? 1 : rc;
    } else {
        char *name = ts_member(body, "namespace");
        char *room = ts_member(body, "room");
        sio_namespace *nsp = sio_find_namespace(st->io, name ? name : "/");
        const char *rooms[1] = {room};
        sio_target to = {.rooms = room ? rooms : NULL, .n_rooms = room ? 1 : 0};
        rc = nsp ? sio_broadcast(nsp, &to, event, args.json, args.bins, args.nbins) : 0;
        free(name);
        free(room);
    }
    if (rc >= 0)
        ts_answer_count(st, done, user, "recipients", rc);
    else
        ts_answer_error(st, done, user, rc == SIO_ENOTFOUND ? 404 : 400, why ? why : sio_strerror(rc));
    free(event);
    ts_args_free(&args);
}

/* {socket, room}: join or leave. */
static void cmd_rooms(ts_state *st, sio_json_value body, bool join, ts_done_fn done, void *user)
{
    const char *why = NULL;
    ts_known *k = ts_target_socket(st, body, &why);
    char *room = ts_member(body, "room");
    if (!k || !room) {
        ts_answer_error(st, done, user, k ? 400 : 404, k ? "room (a string) is required" : why);
    } else {
        int rc = join ? sio_join(k->s, room) : sio_leave(k->s, room);
        if (rc == SIO_OK) {
            sio_json_writer *w = sio_jw_new();
            ts_socket_write(w, k->s);
            ts_answer_writer(st, done, user, w);
        } else {
            ts_answer_error(st, done, user, 400, sio_strerror(rc));
        }
    }
    free(room);
}

/* {socket, mode}: "server" (a Socket.IO disconnect: the client does not
 * reconnect), "close" (the connection closed without the goodbye: it
 * does). Without a socket: every socket. */
static void cmd_disconnect(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    sio_json_value mode = sio_json_get(body, "mode");
    bool close = sio_json_string_eq(mode, "close");
    if (!sio_json_is_missing(mode) && !close && !sio_json_string_eq(mode, "server")) {
        ts_answer_error(st, done, user, 400, "mode must be \"server\" or \"close\"");
        return;
    }
    const char *why = NULL;
    int n = 0;
    if (!sio_json_is_missing(sio_json_get(body, "socket"))) {
        ts_known *k = ts_target_socket(st, body, &why);
        if (!k) {
            ts_answer_error(st, done, user, 404, why);
            return;
        }
        sio_socket *s = sio_socket_ref(k->s);
        close ? sio_close_connection(s) : sio_disconnect(s, false);
        sio_socket_unref(s);
        n = 1;
    } else {
        for (size_t i = 0; i < st->sockets.n; i++) {
            sio_socket *s = st->sockets.k[i].s;
            if (!s)
                continue;
            s = sio_socket_ref(s);
            close ? sio_close_connection(s) : sio_disconnect(s, false);
            sio_socket_unref(s);
            n++;
        }
    }
    ts_answer_count(st, done, user, "disconnected", n);
}

/* --- inspection ------------------------------------------------------------------- */

static void cmd_sockets(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    char *nsp = ts_member(body, "namespace");
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    for (size_t i = 0; i < st->sockets.n; i++) {
        ts_known *k = &st->sockets.k[i];
        if (k->s && (!nsp || strcmp(nsp, k->nsp) == 0))
            ts_socket_write(w, k->s);
    }
    sio_jw_array_end(w);
    free(nsp);
    ts_answer_writer(st, done, user, w);
}

/* {socket} or {connection}: the packets, in order. */
static void cmd_packets(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    char *conn = ts_member(body, "connection");
    char *id = ts_member(body, "socket");
    const char *nsp = NULL;
    if (id) {
        ts_known *k = ts_sockets_find(&st->sockets, id, NULL);
        if (!k) {
            free(id);
            free(conn);
            ts_answer_error(st, done, user, 404, "no such socket");
            return;
        }
        free(conn);
        conn = strdup(k->conn);
        nsp = k->nsp;
    }
    sio_json_writer *w = sio_jw_new();
    ts_journal_write(st->journal, w, conn, nsp);
    free(conn);
    free(id);
    ts_answer_writer(st, done, user, w);
}

/* {after}: the log's entries after that sequence number. */
static void cmd_log(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    int64_t after = 0;
    if (!ts_uint_member(body, "after", INT64_MAX, &after)) {
        ts_answer_error(st, done, user, 400, "after must be a sequence number");
        return;
    }
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    for (size_t i = 0; i < ts_log_count(&st->log); i++) {
        const ts_entry *e = ts_log_at(&st->log, i);
        if (e->seq > (uint64_t)after)
            ts_entry_write(w, e);
    }
    sio_jw_array_end(w);
    ts_answer_writer(st, done, user, w);
}

typedef struct wait_ctx {
    ts_done_fn done;
    void *user;
} wait_ctx;

static void wait_done(ts_state *st, const ts_entry *e, void *user)
{
    wait_ctx c = *(wait_ctx *)user;
    free(user);
    if (!e) {
        ts_answer_error(st, c.done, c.user, 408, "timed out");
        return;
    }
    sio_json_writer *w = sio_jw_new();
    ts_entry_write(w, e);
    ts_answer_writer(st, c.done, c.user, w);
}

/* {kind, event, namespace, socket, reason, args | auth, after, timeout_ms}. */
static void cmd_wait(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    int64_t after = 0, timeout = 5000;
    if (!ts_uint_member(body, "after", INT64_MAX, &after) || !ts_uint_member(body, "timeout_ms", 600000, &timeout)) {
        ts_answer_error(st, done, user, 400, "after and timeout_ms (at most 600000) must be integers");
        return;
    }
    wait_ctx *c = malloc(sizeof(*c));
    const char *why = "out of memory";
    if (!c || (*c = (wait_ctx){done, user}, ts_wait(st, body, (uint64_t)after, (unsigned)timeout, wait_done, c, &why))) {
        free(c);
        ts_answer_error(st, done, user, 400, why);
    }
}

/* {keep_connections}: rules, faults, log, journal and waits cleared; the
 * clients disconnected ("io server disconnect") unless kept. */
static void cmd_reset(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    bool keep = false;
    sio_json_bool(sio_json_get(body, "keep_connections"), &keep);
    ts_waits_cancel(st);
    ts_delays_cancel(st);
    ts_rules_clear(st->rules);
    sio_test_set_faults(st->io, NULL, 0, 0);
    for (size_t i = 0; i < st->sockets.n; i++) {
        sio_socket *s = st->sockets.k[i].s;
        const char *conn = s ? sio_socket_client_id(s) : NULL;
        if (conn)
            sio_test_set_faults(st->io, conn, 0, 0);
        if (s && !keep) {
            s = sio_socket_ref(s);
            sio_disconnect(s, true);
            sio_socket_unref(s);
        }
    }
    if (!keep)
        ts_sockets_clear(&st->sockets);
    ts_log_clear(&st->log);
    ts_journal_clear(st->journal);
    done(st, 200, "{\"ok\":true}", user);
}

static const struct {
    const char *name;
    void (*fn)(ts_state *st, sio_json_value body, ts_done_fn done, void *user);
} COMMANDS[] = {
    {"emit", cmd_emit},       {"disconnect", cmd_disconnect}, {"sockets", cmd_sockets},
    {"packets", cmd_packets}, {"log", cmd_log},               {"wait", cmd_wait},
    {"reset", cmd_reset},     {"fault", ts_cmd_fault},        {"drop", ts_cmd_drop},
    {"malformed", ts_cmd_malformed}, {"restart", ts_cmd_restart},
};

void ts_command(ts_state *st, const char *name, sio_json_value body, ts_done_fn done, void *user)
{
    if (sio_json_typeof(body) != SIO_JSON_OBJECT) {
        ts_answer_error(st, done, user, 400, "the body must be a JSON object");
        return;
    }
    if (strcmp(name, "on-connect") == 0)
        return add_rule(st, TS_ON_CONNECT, body, done, user);
    if (strcmp(name, "on-event") == 0)
        return add_rule(st, TS_ON_EVENT, body, done, user);
    if (strcmp(name, "refuse") == 0)
        return add_rule(st, TS_REFUSE, body, done, user);
    if (strcmp(name, "join") == 0 || strcmp(name, "leave") == 0)
        return cmd_rooms(st, body, strcmp(name, "join") == 0, done, user);
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++)
        if (strcmp(name, COMMANDS[i].name) == 0)
            return COMMANDS[i].fn(st, body, done, user);
    ts_answer_error(st, done, user, 404, "no such command");
}
