/* Sockets as the admin UI reads them (@socket.io/admin-ui 0.5's
 * serialize): id, clientId (the first 12 characters of the Engine.IO id),
 * transport, nsp, data, handshake (without auth, which holds the admin's
 * password) and rooms; and all_sockets, the list a UI gets when it
 * connects.
 *
 * A server alone lists its own sockets at once. A node of a cluster asks
 * every node for the sockets of each of its namespaces (sio_fetch_sockets,
 * as Node's admin UI calls nsp.fetchSockets()) and sends the list when the
 * last namespace has its answers, without blocking the loop. Another
 * node's socket has clientId and transport when that node keeps them in
 * the socket's data under "_admin", as Node's admin UI does and
 * sio_admin_instrument makes this library do; without them they are left
 * out, as Node leaves them out. A node that does not answer within the
 * server's requests_timeout is left out of the list, which still comes
 * with what arrived (Node's admin UI sends no list then: its fetch rejects). */
#include <stdlib.h>
#include <string.h>

#include "admin.h"

/* The members of a JSON object but `skip`; the value itself when it is not
 * an object, `fallback` when it is missing or not JSON. */
static void write_object_without(sio_json_writer *w, const char *json, const char *skip, const char *fallback)
{
    sio_json *doc = json ? sio_json_parse(json, strlen(json), NULL) : NULL;
    sio_json_value root = sio_json_root(doc);
    size_t len;
    if (sio_json_typeof(root) != SIO_JSON_OBJECT) {
        const char *raw = doc ? sio_json_raw(root, &len) : NULL;
        if (raw)
            sio_jw_raw(w, raw, len);
        else
            sio_jw_raw(w, fallback, strlen(fallback));
        sio_json_free(doc);
        return;
    }
    sio_jw_object(w);
    size_t pos = 0;
    sio_json_value k, v;
    while (sio_json_next(root, &pos, &k, &v)) {
        if (sio_json_string_eq(k, skip))
            continue;
        size_t klen;
        char *key = sio_json_strdup(k, &klen);
        const char *val = sio_json_raw(v, &len);
        if (key) {
            sio_jw_keyn(w, key, klen);
            sio_jw_raw(w, val, len);
        }
        free(key);
    }
    sio_jw_object_end(w);
    sio_json_free(doc);
}

static void write_rooms_end(sio_json_writer *w)
{
    sio_jw_array_end(w);
    sio_jw_object_end(w);
}

void admin_write_socket(sio_json_writer *w, sio_socket *s)
{
    const char *client = sio_socket_client_id(s);
    sio_jw_object(w);
    sio_jw_key(w, "id");
    sio_jw_string(w, sio_socket_id(s));
    sio_jw_key(w, "clientId");
    if (client)
        sio_jw_stringn(w, client, strlen(client) < 12 ? strlen(client) : 12);
    else
        sio_jw_null(w);
    sio_jw_key(w, "transport");
    sio_jw_string(w, sio_socket_transport(s));
    sio_jw_key(w, "nsp");
    sio_jw_string(w, sio_namespace_name(sio_socket_namespace(s)));
    sio_jw_key(w, "data");
    /* Never with the UI's _admin here: that is added as other nodes fetch it. */
    const char *data = sio_socket_data_json(s);
    sio_jw_raw(w, data, strlen(data));
    sio_jw_key(w, "handshake");
    char *handshake = sio_socket_handshake_json(s);
    write_object_without(w, handshake, "auth", "{}");
    free(handshake);
    sio_jw_key(w, "rooms");
    sio_jw_array(w);
    for (size_t i = 0; i < sio_room_count(s); i++)
        sio_jw_string(w, sio_socket_room(s, i));
    write_rooms_end(w);
}

/* Another node's socket: clientId and transport from its data's _admin,
 * when there. */
static void write_remote(sio_json_writer *w, const sio_remote_socket *r, const char *nsp)
{
    const char *data = sio_remote_socket_data(r);
    sio_json *doc = sio_json_parse(data, strlen(data), NULL);
    sio_json_value about = sio_json_get(sio_json_root(doc), "_admin");
    sio_jw_object(w);
    sio_jw_key(w, "id");
    sio_jw_string(w, sio_remote_socket_id(r));
    static const char *const shared[] = {"clientId", "transport"};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        sio_json_value v = sio_json_get(about, shared[i]);
        const char *raw = sio_json_is_missing(v) ? NULL : sio_json_raw(v, &len);
        if (raw) {
            sio_jw_key(w, shared[i]);
            sio_jw_raw(w, raw, len);
        }
    }
    sio_json_free(doc);
    sio_jw_key(w, "nsp");
    sio_jw_string(w, nsp);
    sio_jw_key(w, "data");
    write_object_without(w, data, "_admin", "{}");
    sio_jw_key(w, "handshake");
    write_object_without(w, sio_remote_socket_handshake(r), "auth", "{}");
    sio_jw_key(w, "rooms");
    sio_jw_array(w);
    for (size_t i = 0; i < sio_remote_socket_room_count(r); i++)
        sio_jw_string(w, sio_remote_socket_room(r, i));
    write_rooms_end(w);
}

static void socket_list_add(sio_socket *s, void *w) { admin_write_socket(w, s); }
static void namespace_list_add(sio_namespace *nsp, void *w) { sio_namespace_each_socket(nsp, socket_list_add, w); }

/* Emits the writer's list (opened with two '[') to `to`. */
static void emit_list(sio_json_writer *w, sio_socket *to)
{
    sio_jw_array_end(w);
    sio_jw_array_end(w);
    const char *args = sio_jw_text(w, NULL);
    if (args && sio_socket_connected(to))
        sio_emit(to, "all_sockets", args);
}

/* --- a cluster's list, gathered from the answers ------------------------------ */

typedef struct socket_list {
    sio_socket *to;      /* a reference */
    sio_json_writer *w;  /* its own: the admin's is shared by every message */
    size_t pending;      /* namespaces whose answers have not come, +1 while asking */
    bool closed;         /* the server is being freed: nothing is sent */
} socket_list;

static void list_release(socket_list *l)
{
    if (--l->pending)
        return;
    if (!l->closed)
        emit_list(l->w, l->to);
    sio_socket_unref(l->to);
    sio_jw_free(l->w);
    free(l);
}

static void on_fetched(sio_namespace *nsp, const sio_remote_socket *const *sockets, size_t n, int err, void *user)
{
    socket_list *l = user;
    if (err == SIO_ECLOSED)
        l->closed = true;
    for (size_t i = 0; !l->closed && i < n; i++) {
        sio_socket *local = sio_remote_socket_local(sockets[i]);
        if (local)
            admin_write_socket(l->w, local);
        else
            write_remote(l->w, sockets[i], sio_namespace_name(nsp));
    }
    list_release(l);
}

static void fetch_namespace(sio_namespace *nsp, void *user)
{
    socket_list *l = user;
    l->pending++;
    if (sio_fetch_sockets(nsp, NULL, on_fetched, l) < 0) {
        /* Not asked (out of memory): this node's sockets at least. */
        l->pending--;
        namespace_list_add(nsp, l->w);
    }
}

void admin_send_all_sockets(admin *a, sio_socket *to)
{
    if (!sio_server_clustered(a->srv)) {
        sio_jw_array(a->w);
        sio_jw_array(a->w);
        sio_server_each_namespace(a->srv, namespace_list_add, a->w);
        emit_list(a->w, to);
        sio_jw_reset(a->w);
        return;
    }
    socket_list *l = calloc(1, sizeof(*l));
    if (!l || !(l->w = sio_jw_new())) {
        free(l);
        return;
    }
    l->to = sio_socket_ref(to);
    l->pending = 1;
    sio_jw_array(l->w);
    sio_jw_array(l->w);
    sio_server_each_namespace(a->srv, fetch_namespace, l);
    list_release(l);
}
