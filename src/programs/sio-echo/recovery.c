/* sio-echo's "/recovery" (namespaces.h): connection state recovery, with
 * the server started with --recovery (or --recovery-window MS, ...). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"
#include "sio_json.h"

/* What the middleware leaves on a socket it ran for (sio_socket_set_data). */
static const char middleware_ran = 1;

/* The socket that asked to be dropped: what it misses is sent when it has
 * gone (one at a time, as the tests run). */
static char dropping[128];

static bool mark_middleware(sio_socket *s, const char **message, const char **data_json, void *user)
{
    sio_socket_set_data(s, (void *)&middleware_ran);
    return true;
}

/* "hello" {id, recovered, middleware, rooms, data}: what the server
 * restored, and whether the middleware ran. An emit to the socket, so it
 * carries an offset when recovery is on. */
static void on_recovery_connection(sio_socket *s, void *user)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "id");
    sio_jw_string(w, sio_socket_id(s));
    sio_jw_key(w, "recovered");
    sio_jw_bool(w, sio_socket_recovered(s));
    sio_jw_key(w, "middleware");
    sio_jw_bool(w, sio_socket_data(s) == &middleware_ran);
    sio_jw_key(w, "rooms");
    rooms_write(w, s);
    sio_jw_key(w, "data");
    const char *data = sio_socket_data_json(s);
    sio_jw_raw(w, data, strlen(data));
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    if (text)
        sio_emit(s, "hello", text);
    sio_jw_free(w);
}

/* "drop": the server closes the connection without the Socket.IO goodbye
 * (sio_close_connection), as a network failure would end it; the client
 * reconnects by itself. */
static void on_drop(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    strncpy(dropping, sio_socket_id(s), sizeof(dropping) - 1);
    sio_close_connection(s);
}

/* "to" (id, value): "direct" [value] to that socket, by its room, as Node's
 * io.to(id).emit() reaches it; "to-room" (room, value): "room" [value]. */
static void send_to(sio_socket *s, const sio_args *args, const char *event)
{
    char *room = sio_arg_string(args, 0);
    size_t len;
    const char *value = sio_arg_json(args, 1, &len);
    if (!room || !value) {
        free(room);
        return;
    }
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_raw(w, value, len);
    sio_jw_array_end(w);
    const char *rooms[1] = {room};
    sio_target to = {.rooms = rooms, .n_rooms = 1};
    const char *text = sio_jw_text(w, NULL);
    if (text)
        sio_broadcast(sio_socket_namespace(s), &to, event, text, NULL, 0);
    sio_jw_free(w);
    free(room);
}

static void on_to(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    send_to(s, args, "direct");
    if (ack)
        sio_ack_send(ack, NULL, NULL, 0);
}

static void on_to_room(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    send_to(s, args, "room");
    if (ack)
        sio_ack_send(ack, NULL, NULL, 0);
}

/* The dropped socket is gone (its session kept): what it misses, "missed"
 * with a number for what it must get back, a string for what it must not:
 *   1 to the room "r1", 2 (with 3 bytes of binary) to its own room,
 *   "elsewhere" to a room it is not in, "excepted" to all but "r1",
 *   "volatile" to all as a volatile broadcast (not kept), 3 to all, then
 *   "reason" [the reason it went] to all. */
static void on_recovery_disconnect(sio_socket *s, const char *reason, void *user)
{
    if (strcmp(sio_socket_id(s), dropping) != 0)
        return;
    dropping[0] = 0;
    sio_namespace *nsp = sio_socket_namespace(s);
    static const unsigned char bytes[] = {1, 2, 3};
    sio_binary bin = {bytes, sizeof(bytes)};
    const char *r1[] = {"r1"}, *own[] = {sio_socket_id(s)}, *elsewhere[] = {"elsewhere"};
    sio_broadcast(nsp, &(sio_target){.rooms = r1, .n_rooms = 1}, "missed", "[1]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.rooms = own, .n_rooms = 1}, "missed",
                  "[2,{\"_placeholder\":true,\"num\":0}]", &bin, 1);
    sio_broadcast(nsp, &(sio_target){.rooms = elsewhere, .n_rooms = 1}, "missed", "[\"elsewhere\"]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.except = r1, .n_except = 1}, "missed", "[\"excepted\"]", NULL, 0);
    sio_broadcast(nsp, &(sio_target){.is_volatile = true}, "missed", "[\"volatile\"]", NULL, 0);
    sio_broadcast(nsp, NULL, "missed", "[3]", NULL, 0);
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_string(w, reason);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    if (text)
        sio_broadcast(nsp, NULL, "reason", text, NULL, 0);
    sio_jw_free(w);
}

void recovery_install(sio_server *srv)
{
    sio_namespace *nsp = sio_of(srv, "/recovery");
    echo_setup(nsp);
    sio_use(nsp, mark_middleware, NULL);
    sio_on_connection(nsp, on_recovery_connection, NULL);
    sio_on(nsp, "join", rooms_on_join, NULL); /* as /rooms */
    sio_on(nsp, "set-data", cluster_on_set_data, NULL); /* as /cluster */
    sio_on(nsp, "drop", on_drop, NULL);
    sio_on(nsp, "to", on_to, NULL);
    sio_on(nsp, "to-room", on_to_room, NULL);
    sio_on_disconnect(nsp, on_recovery_disconnect, NULL);
}
