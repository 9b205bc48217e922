/* sio-echo's "/rooms" (namespaces.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"
#include "sio_json.h"

/* --- /rooms: the rooms a socket leaves --------------------------------------------------------- */

void rooms_write(sio_json_writer *w, const sio_socket *s)
{
    sio_jw_array(w);
    const char *room;
    for (size_t i = 0; (room = sio_socket_room(s, i)); i++)
        sio_jw_string(w, room);
    sio_jw_array_end(w);
}

/* Acknowledges with the list of the socket's rooms. */
static void ack_rooms(sio_ack *ack, const sio_socket *s)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    rooms_write(w, s);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    if (text)
        sio_ack_send(ack, text, NULL, 0);
    else
        sio_ack_discard(ack);
    sio_jw_free(w);
}

void rooms_on_join(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    char *room = sio_arg_string(args, 0);
    if (room)
        sio_join(s, room);
    free(room);
    if (ack)
        ack_rooms(ack, s);
}

static void on_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    char *room = sio_arg_string(args, 0);
    if (room)
        sio_leave(s, room);
    free(room);
    if (ack)
        ack_rooms(ack, s);
}

static void on_server_disconnect(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                                 void *user)
{
    bool close_client = false;
    sio_arg_bool(args, 0, &close_client);
    sio_disconnect(s, close_client);
}

/* Still in its rooms: tell the others there. */
static void on_rooms_disconnecting(sio_socket *s, const char *reason, void *user)
{
    size_t n = sio_room_count(s);
    const char **rooms = n ? calloc(n, sizeof(*rooms)) : NULL;
    if (!rooms)
        return;
    for (size_t i = 0; i < n; i++)
        rooms[i] = sio_socket_room(s, i);
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "id");
    sio_jw_string(w, sio_socket_id(s));
    sio_jw_key(w, "rooms");
    rooms_write(w, s);
    sio_jw_key(w, "reason");
    sio_jw_string(w, reason);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    sio_target to = {.rooms = rooms, .n_rooms = n, .exclude = s};
    if (text)
        sio_broadcast(sio_socket_namespace(s), &to, "leaving", text, NULL, 0);
    sio_jw_free(w);
    free(rooms);
}

void rooms_install(sio_server *srv)
{
    sio_namespace *rooms = sio_of(srv, "/rooms");
    echo_setup(rooms);
    sio_on(rooms, "join", rooms_on_join, NULL);
    sio_on(rooms, "leave", on_leave, NULL);
    sio_on(rooms, "server-disconnect", on_server_disconnect, NULL);
    sio_on_disconnecting(rooms, on_rooms_disconnecting, NULL);
}
