/* The sockets (testserver.h): every socket since the last reset, and what
 * the control API shows of a connected one. */
#include "testserver.h"

#include <stdlib.h>
#include <string.h>

#include "sio_observer.h"
#include "sio_testing.h"

void ts_sockets_add(ts_sockets *ss, sio_socket *s)
{
    if (ss->n == ss->cap) {
        size_t cap = ss->cap ? ss->cap * 2 : 16;
        ts_known *k = realloc(ss->k, cap * sizeof(*k));
        if (!k)
            return;
        ss->k = k;
        ss->cap = cap;
    }
    const char *conn = sio_socket_client_id(s);
    ss->k[ss->n++] = (ts_known){strdup(sio_socket_id(s)), strdup(sio_namespace_name(sio_socket_namespace(s))),
                                strdup(conn ? conn : ""), sio_socket_ref(s)};
}

void ts_sockets_gone(ts_sockets *ss, sio_socket *s)
{
    for (size_t i = 0; i < ss->n; i++) {
        if (ss->k[i].s == s) {
            sio_socket_unref(s);
            ss->k[i].s = NULL;
        }
    }
}

void ts_sockets_clear(ts_sockets *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        free(ss->k[i].id);
        free(ss->k[i].nsp);
        free(ss->k[i].conn);
        if (ss->k[i].s)
            sio_socket_unref(ss->k[i].s);
    }
    free(ss->k);
    memset(ss, 0, sizeof(*ss));
}

ts_known *ts_sockets_find(const ts_sockets *ss, const char *id, const char *nsp)
{
    bool last = strcmp(id, "last") == 0;
    for (size_t i = ss->n; i-- > 0;) {
        ts_known *k = &ss->k[i];
        if ((last || strcmp(k->id, id) == 0) && (!nsp || strcmp(k->nsp, nsp) == 0))
            return k;
    }
    return NULL;
}

/* A JSON text the library gives, as it is; anything else as a string. */
static void write_raw(sio_json_writer *w, const char *key, const char *json)
{
    sio_jw_key(w, key);
    sio_json *doc = json ? sio_json_parse(json, strlen(json), NULL) : NULL;
    if (doc)
        sio_jw_raw(w, json, strlen(json));
    else
        sio_jw_string(w, json);
    sio_json_free(doc);
}

void ts_socket_write(sio_json_writer *w, sio_socket *s)
{
    sio_jw_object(w);
    sio_jw_key(w, "id");
    sio_jw_string(w, sio_socket_id(s));
    sio_jw_key(w, "namespace");
    sio_jw_string(w, sio_namespace_name(sio_socket_namespace(s)));
    sio_jw_key(w, "connection");
    sio_jw_string(w, sio_socket_client_id(s));
    sio_jw_key(w, "transport");
    sio_jw_string(w, sio_socket_transport(s));
    sio_jw_key(w, "protocol");
    sio_jw_int(w, sio_socket_protocol(s));
    write_raw(w, "auth", sio_socket_auth(s));
    write_raw(w, "query", sio_socket_query(s));
    /* Node's socket.handshake, as a frontend's developers know it. */
    char *handshake = sio_socket_handshake_json(s);
    sio_jw_key(w, "handshake");
    if (handshake)
        sio_jw_raw(w, handshake, strlen(handshake));
    else
        sio_jw_null(w);
    free(handshake);
    sio_jw_key(w, "rooms");
    sio_jw_array(w);
    for (size_t i = 0, n = sio_room_count(s); i < n; i++)
        sio_jw_string(w, sio_socket_room(s, i));
    sio_jw_array_end(w);
    sio_jw_object_end(w);
}
