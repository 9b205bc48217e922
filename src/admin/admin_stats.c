/* server_stats, every stats_interval ms to the admin namespace: what the
 * UI's dashboard and servers page show (@socket.io/admin-ui 0.5):
 * serverId, hostname, pid, uptime (seconds), clientsCount,
 * pollingClientsCount, aggregatedEvents (the counts since the last stats,
 * by second; then cleared) and namespaces [{name, socketsCount}]. */
#include <unistd.h>

#include "admin.h"

static void write_namespace(sio_namespace *nsp, void *user)
{
    sio_json_writer *w = user;
    sio_jw_object(w);
    sio_jw_key(w, "name");
    sio_jw_string(w, sio_namespace_name(nsp));
    sio_jw_key(w, "socketsCount");
    sio_jw_int(w, (int64_t)sio_namespace_socket_count(nsp));
    sio_jw_object_end(w);
}

static void write_counts(sio_json_writer *w, const admin *a)
{
    sio_jw_array(w);
    for (size_t i = 0; i < a->n_counts; i++) {
        const admin_count *c = &a->counts[i];
        sio_jw_object(w);
        sio_jw_key(w, "timestamp");
        sio_jw_int(w, c->second_ms);
        sio_jw_key(w, "type");
        sio_jw_string(w, c->type);
        if (c->subtype[0]) { /* absent otherwise, as Node's undefined */
            sio_jw_key(w, "subType");
            sio_jw_string(w, c->subtype);
        }
        sio_jw_key(w, "count");
        sio_jw_int(w, (int64_t)c->count);
        sio_jw_object_end(w);
    }
    sio_jw_array_end(w);
}

void admin_send_stats(sio_server *srv, void *user)
{
    admin *a = user;
    if (!admin_heard(a)) {
        a->n_counts = 0; /* no one to tell: what happened meanwhile is not kept */
        return;
    }
    sio_json_writer *w = a->w;
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "serverId");
    sio_jw_string(w, a->server_id);
    sio_jw_key(w, "hostname");
    sio_jw_string(w, a->hostname);
    sio_jw_key(w, "pid");
    sio_jw_int(w, (int64_t)getpid());
    sio_jw_key(w, "uptime");
    sio_jw_double(w, (double)(admin_now_ms(false) - a->started_ms) / 1000.0);
    sio_jw_key(w, "clientsCount");
    sio_jw_int(w, (int64_t)sio_server_client_count(srv));
    sio_jw_key(w, "pollingClientsCount");
    sio_jw_int(w, (int64_t)sio_server_polling_client_count(srv));
    sio_jw_key(w, "aggregatedEvents");
    write_counts(w, a);
    sio_jw_key(w, "namespaces");
    sio_jw_array(w);
    sio_server_each_namespace(srv, write_namespace, w);
    sio_jw_array_end(w);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    a->n_counts = 0;
    admin_broadcast(a, "server_stats");
}
