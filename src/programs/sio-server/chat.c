/* The room chat (chat.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chat.h"
#include "log.h"
#include "sio_json.h"

#define MAX_ROOMS 16 /* chat rooms per socket */
#define MAX_ROOM_LEN 64
#define MAX_NAME_LEN 32
#define MAX_TEXT_LEN 2000 /* bytes of a chat message */

typedef struct chat_user {
    char name[MAX_NAME_LEN + 1];
} chat_user;

static void ack_ok(sio_ack *ack)
{
    if (ack)
        sio_ack_send(ack, "[{\"ok\":true}]", NULL, 0);
}

/* A debug line about the socket: `msg`, its id, and one more field. */
static void log_socket(sio_socket *s, const char *msg, const char *key, const char *value)
{
    sio_log_field f[] = {{"socket", sio_socket_id(s), 0}, {key, value, 0}};
    log_fields(L_DEBUG, msg, f, 2);
}

/* Answers an ack {ok: false, error}. */
static void ack_refuse(sio_ack *ack, const char *error)
{
    if (!ack)
        return;
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "ok");
    sio_jw_bool(w, false);
    sio_jw_key(w, "error");
    sio_jw_string(w, error);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *args = sio_jw_text(w, NULL);
    if (args)
        sio_ack_send(ack, args, NULL, 0);
    else
        sio_ack_discard(ack);
    sio_jw_free(w);
}

/* An event refused, said in the log and to its ack. */
static void ack_error(sio_socket *s, sio_ack *ack, const char *event, const char *error)
{
    sio_log_field f[] = {{"socket", sio_socket_id(s), 0}, {"event", event, 0}, {"reason", error, 0}};
    log_fields(L_DEBUG, "event refused", f, 3);
    ack_refuse(ack, error);
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
        log_socket(s, "name", "name", u->name);
        ack_ok(ack);
    }
    free(name);
}

static void on_join_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    bool join = strcmp(event, "join") == 0;
    char *room = sio_arg_string(args, 0);
    const char *why = room_problem(room);
    if (!why) {
        bool in = sio_in_room(s, room);
        /* Counted from the socket's rooms (less its own): the admin UI may
         * make it join or leave rooms too. */
        size_t chat_rooms = sio_room_count(s) - (sio_in_room(s, sio_socket_id(s)) ? 1 : 0);
        if (join && !in && chat_rooms >= MAX_ROOMS)
            why = "too many rooms (at most 16)";
        else if (!join && !in)
            why = "not in this room";
        else if (join != in && (join ? sio_join(s, room) : sio_leave(s, room)) != SIO_OK)
            why = "out of memory";
    }
    if (why) {
        ack_error(s, ack, event, why);
    } else {
        log_socket(s, event, "room", room);
        ack_ok(ack);
    }
    free(room);
}

/* A member of an object that must be a string without U+0000, as a new C
 * string; NULL when it is not. */
static char *string_member(sio_json_value obj, const char *key)
{
    size_t len;
    char *v = sio_json_strdup(sio_json_get(obj, key), &len);
    if (v && strlen(v) != len) {
        free(v);
        v = NULL;
    }
    return v;
}

static void on_message(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    chat_user *u = sio_socket_data(s);
    size_t len;
    const char *json = sio_arg_type(args, 0) == SIO_T_OBJECT ? sio_arg_json(args, 0, &len) : NULL;
    sio_json *doc = json ? sio_json_parse(json, len, NULL) : NULL;
    sio_json_value msg = sio_json_root(doc);
    char *room = string_member(msg, "room"), *text = string_member(msg, "text");
    const char *why = NULL;
    if (!room || !text)
        why = "expected {room, text}";
    else if ((why = room_problem(room)))
        ;
    else if (!sio_in_room(s, room))
        why = "not in this room";
    else if (!text[0] || strlen(text) > MAX_TEXT_LEN)
        why = "text must be 1 to 2000 bytes";
    if (why) {
        ack_error(s, ack, event, why);
        goto out;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "room");
    sio_jw_string(w, room);
    sio_jw_key(w, "from");
    sio_jw_string(w, u->name);
    sio_jw_key(w, "text");
    sio_jw_string(w, text);
    sio_jw_key(w, "at");
    sio_jw_int(w, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *out_args = sio_jw_text(w, NULL);
    const char *rooms[] = {room};
    sio_target to = {.rooms = rooms, .n_rooms = 1};
    int n = out_args ? sio_broadcast(sio_socket_namespace(s), &to, "message", out_args, NULL, 0)
                     : sio_jw_error(w);
    sio_jw_free(w);
    if (n < 0) {
        ack_error(s, ack, event, sio_strerror(n));
    } else {
        sio_log_field f[] = {{"socket", sio_socket_id(s), 0}, {"room", room, 0}, {"recipients", NULL, n}};
        log_fields(L_DEBUG, "message", f, 3);
        ack_ok(ack);
    }
out:
    free(room);
    free(text);
    sio_json_free(doc);
}

static void on_connection(sio_socket *s, void *user)
{
    chat_user *u = calloc(1, sizeof(*u));
    if (!u) {
        sio_log_field f = {"socket", sio_socket_id(s), 0};
        log_fields(L_ERROR, "out of memory, disconnecting", &f, 1);
        sio_disconnect(s, true);
        return;
    }
    snprintf(u->name, sizeof(u->name), "guest-%.4s", sio_socket_id(s));
    /* The auth object's "name", when it is a good one. */
    const char *auth = sio_socket_auth(s);
    sio_json *doc = sio_json_parse(auth, strlen(auth), NULL);
    char *name = string_member(sio_json_root(doc), "name");
    if (name && !name_problem(name))
        snprintf(u->name, sizeof(u->name), "%s", name);
    free(name);
    sio_json_free(doc);
    sio_socket_set_data(s, u);
    /* The library logs the connection; the chat adds the name. */
    log_socket(s, "name", "name", u->name);
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    free(sio_socket_data(s));
    sio_socket_set_data(s, NULL);
}

static void on_other(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_log_field f[] = {{"socket", sio_socket_id(s), 0},
                         {"namespace", sio_namespace_name(sio_socket_namespace(s)), 0},
                         {"event", event, 0}};
    log_fields(L_DEBUG, "unknown event", f, 3);
    ack_refuse(ack, "unknown event"); /* said once above, not again as a refusal */
}

bool chat_install(sio_server *srv)
{
    sio_namespace *nsp = sio_of(srv, "/");
    if (!nsp)
        return false;
    sio_on_connection(nsp, on_connection, NULL);
    sio_on_disconnect(nsp, on_disconnect, NULL);
    sio_on_any(nsp, on_other, NULL);
    return sio_on(nsp, "name", on_name, NULL) == SIO_OK && sio_on(nsp, "join", on_join_leave, NULL) == SIO_OK &&
           sio_on(nsp, "leave", on_join_leave, NULL) == SIO_OK && sio_on(nsp, "message", on_message, NULL) == SIO_OK;
}
