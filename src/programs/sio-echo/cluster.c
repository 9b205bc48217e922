/* sio-echo's "/cluster" (namespaces.h): the server-wide operations, each
 * asked for by an event whose ack carries the result. A target is an object
 * {rooms: [...], except: [...], local: bool, timeout: ms, notMe: bool}
 * (notMe: the asking socket is excluded, as socket.broadcast does). */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"
#include "sio_json.h"

/* A target read from an event's first argument, and the strings it holds. */
typedef struct target {
    sio_json *doc;
    sio_target to;
    char **names; /* rooms, then except, then the rooms to join or leave */
    size_t n_names;
    size_t rooms_at, except_at; /* where in names, until target_fix */
} target;

/* The strings of array `v` appended to t->names; *first is where they start. */
static size_t take_names(target *t, sio_json_value v, size_t *first)
{
    size_t n = sio_json_count(v);
    *first = t->n_names;
    char **names = realloc(t->names, (t->n_names + n + 1) * sizeof(*names));
    if (!names)
        return 0;
    t->names = names;
    for (size_t i = 0; i < n; i++) {
        char *s = sio_json_strdup(sio_json_at(v, i), NULL);
        if (s)
            t->names[t->n_names++] = s;
    }
    return t->n_names - *first;
}

static void target_read(target *t, sio_socket *s, const sio_args *args)
{
    memset(t, 0, sizeof(*t));
    size_t len;
    const char *json = sio_arg_json(args, 0, &len);
    t->doc = json ? sio_json_parse(json, len, NULL) : NULL;
    if (!t->doc)
        return;
    sio_json_value root = sio_json_root(t->doc);
    t->to.n_rooms = take_names(t, sio_json_get(root, "rooms"), &t->rooms_at);
    t->to.n_except = take_names(t, sio_json_get(root, "except"), &t->except_at);
    sio_json_bool(sio_json_get(root, "local"), &t->to.local);
    int64_t ms = 0;
    if (sio_json_int(sio_json_get(root, "timeout"), &ms) && ms > 0)
        t->to.timeout_ms = (unsigned)ms;
    bool not_me = false;
    if (sio_json_bool(sio_json_get(root, "notMe"), &not_me) && not_me)
        t->to.exclude = s;
}

/* Points the target into names, once no more are taken (realloc moves them). */
static void target_fix(target *t)
{
    t->to.rooms = t->to.n_rooms ? (const char *const *)t->names + t->rooms_at : NULL;
    t->to.except = t->to.n_except ? (const char *const *)t->names + t->except_at : NULL;
}

static void target_free(target *t)
{
    for (size_t i = 0; i < t->n_names; i++)
        free(t->names[i]);
    free(t->names);
    sio_json_free(t->doc);
}

/* Acks with one integer: a count or an error code. */
static void ack_int(sio_ack *ack, int v)
{
    if (!ack)
        return;
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_int(w, v);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    text ? sio_ack_send(ack, text, NULL, 0) : sio_ack_discard(ack);
    sio_jw_free(w);
}

static void send_or_discard(sio_ack *ack, sio_json_writer *w)
{
    const char *text = sio_jw_text(w, NULL);
    text ? sio_ack_send(ack, text, NULL, 0) : sio_ack_discard(ack);
    sio_jw_free(w);
}

/* --- the operations ----------------------------------------------------------------- */

void cluster_on_set_data(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    size_t len;
    const char *json = sio_arg_json(args, 0, &len);
    char *copy = json ? strndup(json, len) : NULL;
    int rc = copy ? sio_socket_set_data_json(s, copy) : SIO_EINVAL;
    free(copy);
    ack_int(ack, rc);
}

/* [{err, sockets: [{id, handshake, rooms, data}]}] */
static void fetched(sio_namespace *nsp, const sio_remote_socket *const *sockets, size_t n, int err, void *user)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "err");
    sio_jw_int(w, err);
    sio_jw_key(w, "sockets");
    sio_jw_array(w);
    for (size_t i = 0; i < n; i++) {
        const sio_remote_socket *r = sockets[i];
        sio_jw_object(w);
        sio_jw_key(w, "id");
        sio_jw_string(w, sio_remote_socket_id(r));
        sio_jw_key(w, "handshake");
        sio_jw_raw(w, sio_remote_socket_handshake(r), strlen(sio_remote_socket_handshake(r)));
        sio_jw_key(w, "rooms");
        sio_jw_array(w);
        for (size_t k = 0; k < sio_remote_socket_room_count(r); k++)
            sio_jw_string(w, sio_remote_socket_room(r, k));
        sio_jw_array_end(w);
        sio_jw_key(w, "data");
        sio_jw_raw(w, sio_remote_socket_data(r), strlen(sio_remote_socket_data(r)));
        sio_jw_key(w, "local");
        sio_jw_bool(w, sio_remote_socket_local(r) != NULL);
        sio_jw_object_end(w);
    }
    sio_jw_array_end(w);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    send_or_discard(user, w);
}

/* [{err, replies: [...]}] */
static void replied(sio_namespace *nsp, const char *const *replies, size_t n, int err, void *user)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "err");
    sio_jw_int(w, err);
    sio_jw_key(w, "replies");
    sio_jw_array(w);
    for (size_t i = 0; i < n; i++)
        sio_jw_raw(w, replies[i], strlen(replies[i]));
    sio_jw_array_end(w);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    send_or_discard(user, w);
}

static void on_fetch(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    if (!ack)
        return;
    target t;
    target_read(&t, s, args);
    target_fix(&t);
    int rc = sio_fetch_sockets(sio_socket_namespace(s), &t.to, fetched, sio_ack_retain(ack));
    if (rc < 0)
        ack_int(ack, rc);
    target_free(&t);
}

/* {..target, rooms to join or leave in "join"} */
static void join_or_leave(sio_socket *s, const sio_args *args, sio_ack *ack, bool join)
{
    target t;
    target_read(&t, s, args);
    size_t at = 0, n = 0;
    if (t.doc)
        n = take_names(&t, sio_json_get(sio_json_root(t.doc), "join"), &at);
    target_fix(&t);
    const char *const *rooms = (const char *const *)t.names + at;
    sio_namespace *nsp = sio_socket_namespace(s);
    int rc = join ? sio_sockets_join(nsp, &t.to, rooms, n) : sio_sockets_leave(nsp, &t.to, rooms, n);
    ack_int(ack, rc);
    target_free(&t);
}

static void on_join(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    join_or_leave(s, args, ack, true);
}

static void on_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    join_or_leave(s, args, ack, false);
}

/* {..target, close}: answered first, since the asker may be among them. */
static void on_disconnect_all(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                              void *user)
{
    target t;
    target_read(&t, s, args);
    target_fix(&t);
    bool close = false;
    if (t.doc)
        sio_json_bool(sio_json_get(sio_json_root(t.doc), "close"), &close);
    ack_int(ack, SIO_OK);
    sio_disconnect_sockets(sio_socket_namespace(s), &t.to, close);
    target_free(&t);
}

/* {..target, event, args: [...]}: a broadcast with acks, or without
 * ("broadcast", acked with the local count). */
static void broadcast(sio_socket *s, const sio_args *args, sio_ack *ack, bool with_acks)
{
    target t;
    target_read(&t, s, args);
    target_fix(&t);
    char *ev = NULL, *ev_args = NULL;
    if (t.doc) {
        sio_json_value root = sio_json_root(t.doc);
        ev = sio_json_strdup(sio_json_get(root, "event"), NULL);
        size_t len;
        const char *raw = sio_json_raw(sio_json_get(root, "args"), &len);
        ev_args = raw ? strndup(raw, len) : NULL;
    }
    sio_namespace *nsp = sio_socket_namespace(s);
    if (with_acks) {
        int rc = sio_broadcast_with_ack(nsp, &t.to, ev, ev_args, NULL, 0, replied, ack);
        if (rc >= 0)
            sio_ack_retain(ack);
        else
            ack_int(ack, rc);
    } else {
        ack_int(ack, sio_broadcast(nsp, &t.to, ev, ev_args, NULL, 0));
    }
    free(ev);
    free(ev_args);
    target_free(&t);
}

static void on_broadcast(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    broadcast(s, args, ack, false);
}

static void on_broadcast_ack(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                             void *user)
{
    if (ack)
        broadcast(s, args, ack, true);
}

/* (event, ...args): to the other servers, with their replies. */
static void on_server_emit(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    if (!ack)
        return;
    char *ev = sio_arg_string(args, 0);
    size_t len;
    const char *all = sio_args_json(args, &len);
    /* The arguments after the name: the array without its first element. */
    sio_json *doc = all ? sio_json_parse(all, len, NULL) : NULL;
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    for (size_t i = 1; doc && i < sio_json_count(sio_json_root(doc)); i++) {
        size_t n;
        const char *raw = sio_json_raw(sio_json_at(sio_json_root(doc), i), &n);
        sio_jw_raw(w, raw, n);
    }
    sio_jw_array_end(w);
    int rc = sio_server_side_emit_with_ack(sio_socket_namespace(s), ev, sio_jw_text(w, NULL), replied, ack);
    if (rc == SIO_OK)
        sio_ack_retain(ack);
    else
        ack_int(ack, rc);
    sio_jw_free(w);
    sio_json_free(doc);
    free(ev);
}

/* Another server's server-side event: answered with ["pong", its args]
 * when it asks for an answer; else passed on to this server's sockets of
 * the namespace as "server-event" with its name and args. */
static void on_server_event(sio_namespace *nsp, const char *event, const sio_args *args, sio_server_ack *ack,
                            void *user)
{
    size_t len;
    const char *all = sio_args_json(args, &len);
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_string(w, ack ? "pong" : event);
    sio_jw_raw(w, all, len);
    sio_jw_array_end(w);
    if (ack) {
        sio_server_ack_send(ack, sio_jw_text(w, NULL));
    } else {
        sio_target here = {.local = true};
        sio_broadcast(nsp, &here, "server-event", sio_jw_text(w, NULL), NULL, 0);
    }
    sio_jw_free(w);
}

void cluster_install(sio_server *srv)
{
    sio_namespace *nsp = sio_of(srv, "/cluster");
    if (!nsp)
        return;
    sio_on(nsp, "set-data", cluster_on_set_data, NULL);
    sio_on(nsp, "fetch", on_fetch, NULL);
    sio_on(nsp, "join", on_join, NULL);
    sio_on(nsp, "leave", on_leave, NULL);
    sio_on(nsp, "disconnect-all", on_disconnect_all, NULL);
    sio_on(nsp, "broadcast", on_broadcast, NULL);
    sio_on(nsp, "broadcast-ack", on_broadcast_ack, NULL);
    sio_on(nsp, "server-emit", on_server_emit, NULL);
    sio_on_server_event(nsp, "ping", on_server_event, NULL);
}
