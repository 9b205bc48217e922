/* The admin UI's server side (include/sio_admin.h): the admin namespace,
 * what it sends a UI that connects (config, then all_sockets), and the
 * commands the UI sends, as @socket.io/admin-ui 0.5 names them:
 *   join (nsp, room, filter?)      the sockets of nsp (in room `filter`
 *   leave (nsp, room, filter?)     when given: the UI gives a socket id)
 *                                  join or leave `room`
 *   _disconnect (nsp, close, filter?)  disconnect them (close: their whole
 *                                  connections)
 *   emit (nsp, filter, event, ...args) emit to them
 * A command for a namespace that does not exist, or with arguments of the
 * wrong type, is ignored, as Node ignores what it cannot do; in read-only
 * mode none of them is listened to. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"

void sio_admin_options_init(sio_admin_options *o)
{
    *o = (sio_admin_options){.namespace_name = "/admin", .stats_interval = 2000};
}

/* The namespace named by argument 0, if it exists (commands never create one). */
static sio_namespace *command_namespace(admin *a, const sio_args *args)
{
    char *name = sio_arg_string(args, 0);
    sio_namespace *nsp = name ? sio_find_namespace(a->srv, name) : NULL;
    free(name);
    return nsp;
}

/* The sockets a command is about: the room named by argument i when it is
 * a non-empty string; all of the namespace when it is absent, null, false
 * or "" (Node's `if (filter)`). False for anything else. *room is the
 * room's name to free(). */
static bool command_target(const sio_args *args, size_t i, sio_target *t, char **room)
{
    *t = (sio_target){0};
    *room = NULL;
    bool b;
    switch (i < sio_args_count(args) ? sio_arg_type(args, i) : SIO_T_NULL) {
    case SIO_T_NULL:
        return true;
    case SIO_T_BOOL:
        return sio_arg_bool(args, i, &b) && !b;
    case SIO_T_STRING:
        if (!(*room = sio_arg_string(args, i)))
            return false;
        if ((*room)[0]) {
            t->rooms = (const char *const *)room;
            t->n_rooms = 1;
        }
        return true;
    default:
        return false;
    }
}

static void join_or_leave(sio_socket *s, const sio_args *args, void *user, bool join)
{
    admin *a = user;
    sio_namespace *nsp = command_namespace(a, args);
    char *room = sio_arg_string(args, 1), *filter;
    sio_target t;
    if (nsp && room && command_target(args, 2, &t, &filter)) {
        const char *rooms[] = {room};
        if (join)
            sio_sockets_join(nsp, &t, rooms, 1);
        else
            sio_sockets_leave(nsp, &t, rooms, 1);
        free(filter);
    }
    free(room);
}

static void on_join(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    join_or_leave(s, args, user, true);
}

static void on_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    join_or_leave(s, args, user, false);
}

static void on_disconnect_command(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    admin *a = user;
    sio_namespace *nsp = command_namespace(a, args);
    bool close = false;
    char *filter;
    sio_target t;
    if (!nsp || (sio_args_count(args) > 1 && !sio_arg_bool(args, 1, &close) && sio_arg_type(args, 1) != SIO_T_NULL))
        return;
    if (command_target(args, 2, &t, &filter)) {
        sio_disconnect_sockets(nsp, &t, close);
        free(filter);
    }
}

static void on_emit_command(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    admin *a = user;
    sio_namespace *nsp = command_namespace(a, args);
    char *name = sio_arg_string(args, 2), *filter;
    sio_target t;
    if (!nsp || !name || !command_target(args, 1, &t, &filter)) {
        free(name);
        return;
    }
    /* The arguments after the event name, attachments included. */
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    for (size_t i = 3; i < sio_args_count(args); i++) {
        size_t len;
        const char *raw = sio_arg_json(args, i, &len);
        sio_jw_raw(w, raw, len);
    }
    sio_jw_array_end(w);
    size_t nbins = sio_args_binary_count(args);
    sio_binary *bins = nbins ? calloc(nbins, sizeof(*bins)) : NULL;
    for (size_t k = 0; bins && k < nbins; k++)
        bins[k].data = sio_args_binary(args, k, &bins[k].len);
    const char *json = sio_jw_text(w, NULL);
    if (json && (bins || !nbins))
        sio_broadcast(nsp, &t, name, json, bins, nbins); /* a reserved name is refused there */
    free(bins);
    sio_jw_free(w);
    free(filter);
    free(name);
}

static void write_config(sio_json_writer *w, const admin *a)
{
    static const char *const commands[] = {"EMIT", "JOIN", "LEAVE", "DISCONNECT", "MJOIN", "MLEAVE", "MDISCONNECT"};
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "supportedFeatures");
    sio_jw_array(w);
    for (size_t i = 0; !a->readonly && i < sizeof(commands) / sizeof(commands[0]); i++)
        sio_jw_string(w, commands[i]);
    sio_jw_string(w, "AGGREGATED_EVENTS");
    if (!a->production)
        sio_jw_string(w, "ALL_EVENTS");
    sio_jw_array_end(w);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
}

/* A UI connected: what it may do, then (in development mode) every socket,
 * and the stats without waiting for the next round. */
static void on_admin_connect(sio_socket *s, void *user)
{
    admin *a = user;
    write_config(a->w, a);
    char *config = admin_take_text(a);
    if (config)
        sio_emit(s, "config", config);
    free(config);
    if (!a->production)
        admin_send_all_sockets(a, s);
    admin_send_stats(a->srv, a);
}

void admin_free(admin *a)
{
    admin_logins_stop(a);
    sio_jw_free(a->w);
    free(a->counts);
    free(a->nsp_name);
    free(a->username);
    free(a->hash);
    free(a->server_id);
    free(a);
}

static int check_options(const sio_admin_options *o)
{
    if (!o->namespace_name || o->namespace_name[0] != '/')
        return SIO_EINVAL;
    if (o->no_auth)
        return SIO_OK;
    return o->username && sio_admin_is_bcrypt(o->password_hash) ? SIO_OK : SIO_EINVAL;
}

static int setup_namespace(admin *a)
{
    if (!(a->nsp = sio_of(a->srv, a->nsp_name)))
        return SIO_ENOMEM;
    if (!a->no_auth && (admin_logins_init(a) != SIO_OK || sio_use_async(a->nsp, admin_auth_middleware, a) != SIO_OK))
        return SIO_ENOMEM;
    sio_on_connection(a->nsp, on_admin_connect, a);
    if (a->readonly)
        return SIO_OK;
    bool ok = sio_on(a->nsp, "join", on_join, a) == SIO_OK && sio_on(a->nsp, "leave", on_leave, a) == SIO_OK &&
              sio_on(a->nsp, "_disconnect", on_disconnect_command, a) == SIO_OK &&
              sio_on(a->nsp, "emit", on_emit_command, a) == SIO_OK;
    return ok ? SIO_OK : SIO_ENOMEM;
}

int sio_admin_instrument(sio_server *srv, const sio_admin_options *o)
{
    if (!srv || !o)
        return SIO_EINVAL;
    int rc = check_options(o);
    if (rc != SIO_OK)
        return rc;
    admin *a = calloc(1, sizeof(*a));
    if (!a)
        return SIO_ENOMEM;
    a->srv = srv;
    a->no_auth = o->no_auth;
    a->readonly = o->readonly;
    a->production = o->production;
    a->started_ms = admin_now_ms(false);
    if (gethostname(a->hostname, sizeof(a->hostname) - 1) != 0)
        strcpy(a->hostname, "localhost");
    a->nsp_name = strdup(o->namespace_name);
    a->server_id = strdup(o->server_id ? o->server_id : a->hostname);
    a->username = strdup(o->no_auth ? "" : o->username);
    a->hash = strdup(o->no_auth ? "" : o->password_hash);
    a->counts = calloc(ADMIN_MAX_AGGREGATED, sizeof(*a->counts));
    a->w = sio_jw_new();
    if (!a->nsp_name || !a->server_id || !a->username || !a->hash || !a->counts || !a->w) {
        admin_free(a);
        return SIO_ENOMEM;
    }
    sio_observer hooks = admin_observer_hooks;
    hooks.user = a;
    /* From here on the server owns `a` (the observer's server_free). */
    if (sio_server_observe(srv, &hooks) != SIO_OK) {
        admin_free(a);
        return SIO_ENOMEM;
    }
    /* What Node's admin UI keeps in socket.data (development mode only),
     * for the UIs connected to the other nodes of a cluster. */
    if (!a->production)
        sio_server_share_admin_fields(srv);
    if ((rc = setup_namespace(a)) != SIO_OK)
        return rc;
    if (!(a->stats_timer = sio_server_every(srv, o->stats_interval ? o->stats_interval : 2000, admin_send_stats, a)))
        return SIO_ENOMEM;
    return SIO_OK;
}
