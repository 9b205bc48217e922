/* What the admin UI is told as it happens (@socket.io/admin-ui 0.5's
 * "verbose listeners" and engine listeners), from an observer of every
 * namespace:
 *   socket_connected (socket, timestamp), socket_updated ({id, nsp,
 *   transport}) on an upgrade, socket_disconnected (nsp, id, reason,
 *   timestamp) then room_left for each of its rooms, room_joined and
 *   room_left (nsp, room, id, timestamp), event_received and event_sent
 *   (nsp, id, [event, ...args], timestamp) for sockets of other namespaces;
 * and the counts of server_stats' aggregatedEvents (rawConnection,
 * rawDisconnection by reason, packetsIn/Out, bytesIn/Out). In production
 * mode only the counts are kept. A socket is sent as the UI reads it
 * (admin_sockets.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"

int64_t admin_now_ms(bool wall)
{
    struct timespec ts;
    clock_gettime(wall ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void admin_timestamp(char out[32])
{
    int64_t ms = admin_now_ms(true);
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

void admin_count_add(admin *a, const char *type, const char *subtype, uint64_t n)
{
    int64_t second = admin_now_ms(true) / 1000 * 1000;
    if (!subtype)
        subtype = "";
    /* The latest entries are the likely ones. */
    for (size_t i = a->n_counts; i-- > 0;) {
        admin_count *c = &a->counts[i];
        if (c->second_ms == second && c->type == type && strncmp(c->subtype, subtype, sizeof(c->subtype) - 1) == 0) {
            c->count += n;
            return;
        }
    }
    if (a->n_counts == ADMIN_MAX_AGGREGATED)
        return; /* more distinct kinds than any UI draws: dropped until the next stats */
    admin_count *c = &a->counts[a->n_counts++];
    c->second_ms = second;
    c->type = type;
    snprintf(c->subtype, sizeof(c->subtype), "%s", subtype);
    c->count = n;
}

bool admin_heard(const admin *a)
{
    return sio_namespace_socket_count(a->nsp) || sio_server_clustered(a->srv);
}

/* Whether anyone may listen to the verbose events (development mode only). */
static admin *listening(void *user)
{
    admin *a = user;
    return !a->production && admin_heard(a) ? a : NULL;
}

char *admin_take_text(admin *a)
{
    const char *text = sio_jw_text(a->w, NULL);
    char *copy = text ? strdup(text) : NULL;
    sio_jw_reset(a->w);
    return copy;
}

void admin_broadcast(admin *a, const char *event)
{
    char *args = admin_take_text(a);
    if (args)
        sio_broadcast(a->nsp, NULL, event, args, NULL, 0);
    free(args);
}

static void write_timestamp(sio_json_writer *w)
{
    char ts[32];
    admin_timestamp(ts);
    sio_jw_string(w, ts);
}

/* --- the observer ------------------------------------------------------------ */

static void on_connection_open(sio_server *srv, const char *client_id, const char *transport, void *user)
{
    admin_count_add(user, "rawConnection", NULL, 1);
}

static void on_connection_close(sio_server *srv, const char *client_id, const char *transport, const char *reason,
                                void *user)
{
    admin_count_add(user, "rawDisconnection", reason, 1);
}

static void on_message(sio_server *srv, bool incoming, size_t bytes, void *user)
{
    admin_count_add(user, incoming ? "packetsIn" : "packetsOut", NULL, 1);
    admin_count_add(user, incoming ? "bytesIn" : "bytesOut", NULL, bytes);
}

static void on_socket_connect(sio_socket *s, void *user)
{
    admin *a = listening(user);
    if (!a)
        return;
    sio_jw_array(a->w);
    admin_write_socket(a->w, s);
    write_timestamp(a->w);
    sio_jw_array_end(a->w);
    admin_broadcast(a, "socket_connected");
}

/* nsp, then what follows it, then the timestamp. */
static void send_about(admin *a, const char *event, sio_socket *s, const char *first, const char *second)
{
    sio_jw_array(a->w);
    sio_jw_string(a->w, sio_namespace_name(sio_socket_namespace(s)));
    sio_jw_string(a->w, first);
    sio_jw_string(a->w, second);
    write_timestamp(a->w);
    sio_jw_array_end(a->w);
    admin_broadcast(a, event);
}

static void on_socket_disconnect(sio_socket *s, const char *reason, void *user)
{
    admin *a = listening(user);
    if (!a)
        return;
    send_about(a, "socket_disconnected", s, sio_socket_id(s), reason);
    /* Node's adapter tells of every room a socket leaves as it goes. */
    for (size_t i = 0; i < sio_room_count(s); i++)
        send_about(a, "room_left", s, sio_socket_room(s, i), sio_socket_id(s));
}

static void on_socket_upgrade(sio_socket *s, void *user)
{
    admin *a = listening(user);
    if (!a)
        return;
    sio_jw_array(a->w);
    sio_jw_object(a->w);
    sio_jw_key(a->w, "id");
    sio_jw_string(a->w, sio_socket_id(s));
    sio_jw_key(a->w, "nsp");
    sio_jw_string(a->w, sio_namespace_name(sio_socket_namespace(s)));
    sio_jw_key(a->w, "transport");
    sio_jw_string(a->w, sio_socket_transport(s));
    sio_jw_object_end(a->w);
    sio_jw_array_end(a->w);
    admin_broadcast(a, "socket_updated");
}

static void on_room_join(sio_socket *s, const char *room, void *user)
{
    admin *a = listening(user);
    if (a)
        send_about(a, "room_joined", s, room, sio_socket_id(s));
}

static void on_room_leave(sio_socket *s, const char *room, void *user)
{
    admin *a = listening(user);
    if (a)
        send_about(a, "room_left", s, room, sio_socket_id(s));
}

/* event_received / event_sent: nsp, id, [event, ...args], timestamp; not
 * for the admin namespace's own traffic. */
static void send_event(admin *a, const char *kind, sio_socket *s, const char *event, const char *args_json,
                       size_t args_len)
{
    sio_jw_array(a->w);
    sio_jw_string(a->w, sio_namespace_name(sio_socket_namespace(s)));
    sio_jw_string(a->w, sio_socket_id(s));
    sio_jw_array(a->w);
    sio_jw_string(a->w, event);
    sio_json *doc = sio_json_parse(args_json, args_len, NULL);
    size_t pos = 0;
    sio_json_value v;
    while (sio_json_next(sio_json_root(doc), &pos, NULL, &v)) {
        size_t len;
        const char *raw = sio_json_raw(v, &len);
        sio_jw_raw(a->w, raw, len);
    }
    sio_json_free(doc);
    sio_jw_array_end(a->w);
    write_timestamp(a->w);
    sio_jw_array_end(a->w);
    admin_broadcast(a, kind);
}

static void on_event_in(sio_socket *s, const char *event, const sio_args *args, void *user)
{
    admin *a = listening(user);
    if (!a || sio_socket_namespace(s) == a->nsp)
        return;
    size_t len;
    const char *json = sio_args_json(args, &len);
    if (json)
        send_event(a, "event_received", s, event, json, len);
}

static void on_event_out(sio_socket *s, const char *event, const char *args_json, void *user)
{
    admin *a = listening(user);
    if (!a || sio_socket_namespace(s) == a->nsp)
        return;
    send_event(a, "event_sent", s, event, args_json, strlen(args_json));
}

static void on_server_free(sio_server *srv, void *user) { admin_free(user); }

const sio_observer admin_observer_hooks = {
    .connection_open = on_connection_open,
    .connection_close = on_connection_close,
    .socket_connect = on_socket_connect,
    .socket_disconnect = on_socket_disconnect,
    .socket_upgrade = on_socket_upgrade,
    .room_join = on_room_join,
    .room_leave = on_room_leave,
    .event_in = on_event_in,
    .event_out = on_event_out,
    .message = on_message,
    .server_free = on_server_free,
};
