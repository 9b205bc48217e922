/* Observers (include/sio_observer.h): the hook points the core calls when a
 * server has observers, what observers read, and repeating timers. */
#include "sio/sio_core.h"
#include "sio_observer.h"

#include <stdlib.h>
#include <string.h>

struct sio_interval {
    sio_timer timer; /* first: the timer's callback finds the interval */
    sio_server *srv;
    unsigned ms;
    sio_interval_fn fn;
    void *user;
    bool running, cancelled;
    struct sio_interval *next;
};

int sio_server_observe(sio_server *srv, const sio_observer *o)
{
    if (!srv || !o)
        return SIO_EINVAL;
    sio_observer *grown = realloc(srv->observers, (srv->n_observers + 1) * sizeof(*grown));
    if (!grown)
        return SIO_ENOMEM;
    grown[srv->n_observers++] = *o;
    srv->observers = grown;
    return SIO_OK;
}

static const char *transport_name(eio_transport_kind t) { return t == EIO_WEBSOCKET ? "websocket" : "polling"; }

/* Every observer's `hook`, with its arguments then its user pointer. */
#define EACH_OBSERVER(srv, hook, ...)                                                                   \
    do {                                                                                               \
        for (size_t i_ = 0; i_ < (srv)->n_observers; i_++)                                             \
            if ((srv)->observers[i_].hook)                                                              \
                (srv)->observers[i_].hook(__VA_ARGS__, (srv)->observers[i_].user);                      \
    } while (0)

void sio_observe_connection_open(sio_server *srv, eio_session *es)
{
    eio_transport_kind t = eio_session_transport(es);
    if (t == EIO_POLLING)
        srv->polling_clients++;
    EACH_OBSERVER(srv, connection_open, srv, eio_session_sid(es), transport_name(t));
}

void sio_observe_connection_upgrade(sio_server *srv, sio_client *c)
{
    if (srv->polling_clients)
        srv->polling_clients--;
    EACH_OBSERVER(srv, connection_upgrade, srv, eio_session_sid(c->es));
    for (sio_socket *s = c->sockets; s; s = s->next_in_client) {
        if (s->state == SOCK_CONNECTED)
            EACH_OBSERVER(srv, socket_upgrade, s);
    }
}

void sio_observe_connection_close(sio_server *srv, eio_session *es, const char *reason)
{
    eio_transport_kind t = eio_session_transport(es);
    if (t == EIO_POLLING && srv->polling_clients)
        srv->polling_clients--;
    EACH_OBSERVER(srv, connection_close, srv, eio_session_sid(es), transport_name(t), reason);
}

void sio_observe_socket_connect(sio_socket *s) { EACH_OBSERVER(s->nsp->srv, socket_connect, s); }

void sio_observe_socket_disconnect(sio_socket *s, const char *reason)
{
    EACH_OBSERVER(s->nsp->srv, socket_disconnect, s, reason);
}

void sio_observe_room(sio_socket *s, const char *room, bool joined)
{
    if (joined) {
        EACH_OBSERVER(s->nsp->srv, room_join, s, room);
    } else {
        EACH_OBSERVER(s->nsp->srv, room_leave, s, room);
    }
}

void sio_observe_event_in(sio_socket *s, const char *event, const sio_args *args)
{
    EACH_OBSERVER(s->nsp->srv, event_in, s, event, args);
}

void sio_observe_event_out(sio_socket *s, const char *event, const char *args_json)
{
    EACH_OBSERVER(s->nsp->srv, event_out, s, event, args_json ? args_json : "[]");
}

void sio_observe_message(sio_server *srv, bool incoming, size_t bytes)
{
    EACH_OBSERVER(srv, message, srv, incoming, bytes);
}

void sio_observe_free(sio_server *srv)
{
    while (srv->intervals) {
        sio_interval *iv = srv->intervals;
        srv->intervals = iv->next;
        timer_heap_cancel(&srv->timers, &iv->timer);
        free(iv);
    }
    /* Later events (none should come) reach no one. */
    sio_observer *obs = srv->observers;
    size_t n = srv->n_observers;
    srv->observers = NULL;
    srv->n_observers = 0;
    for (size_t i = 0; i < n; i++)
        if (obs[i].server_free)
            obs[i].server_free(srv, obs[i].user);
    free(obs);
}

/* --- what observers read ------------------------------------------------------ */

const char *sio_socket_client_id(const sio_socket *s)
{
    return s->client && s->client->es ? eio_session_sid(s->client->es) : NULL;
}

char *sio_socket_handshake_json(const sio_socket *s)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    if (sio_handshake_json(s, &b) || sio_buf_putc(&b, 0)) {
        sio_buf_free(&b);
        return NULL;
    }
    char *copy = strdup((const char *)b.data);
    sio_buf_free(&b);
    return copy;
}

void sio_server_each_namespace(sio_server *srv, void (*fn)(sio_namespace *nsp, void *user), void *user)
{
    const strmap_slot *slot;
    for (size_t i = 0; strmap_next(&srv->nsps, &i, &slot);)
        fn(slot->val, user);
}

void sio_namespace_each_socket(sio_namespace *nsp, void (*fn)(sio_socket *s, void *user), void *user)
{
    for (size_t i = 0; i < nsp->all.n; i++)
        fn(nsp->all.members[i], user);
}

size_t sio_server_client_count(const sio_server *srv)
{
    return srv->eng ? eio_engine_session_count(srv->eng) : 0;
}

size_t sio_server_polling_client_count(const sio_server *srv) { return srv->polling_clients; }

bool sio_server_clustered(const sio_server *srv)
{
    return srv->adapter_new && srv->adapter_new != sio_adapter_memory_new;
}

void sio_server_share_admin_fields(sio_server *srv) { srv->share_admin_fields = true; }

/* Node's admin UI keeps {clientId, transport} in socket.data._admin, which
 * is how an admin UI on another node learns them from a fetch. */
int sio_local_fetch_data(const sio_socket *s, sio_buf *out)
{
    const char *data = sio_socket_data_json(s);
    const char *client = sio_socket_client_id(s);
    if (!s->nsp->srv->share_admin_fields || data[0] != '{' || !client)
        return sio_buf_puts(out, data);
    /* Engine.IO ids and transport names need no escaping. */
    const char *rest = data + 1 + strspn(data + 1, " \t\r\n");
    return sio_buf_printf(out, "{\"_admin\":{\"clientId\":\"%.12s\",\"transport\":\"%s\"}%s%s", client,
                          sio_socket_transport(s), *rest == '}' ? "" : ",", data + 1);
}

/* --- intervals ---------------------------------------------------------------- */

static void interval_unlink(sio_interval *iv)
{
    for (sio_interval **pp = &iv->srv->intervals; *pp; pp = &(*pp)->next)
        if (*pp == iv) {
            *pp = iv->next;
            return;
        }
}

static void on_interval(sio_timer *t, int64_t now)
{
    sio_interval *iv = (sio_interval *)t;
    iv->running = true;
    iv->fn(iv->srv, iv->user);
    iv->running = false;
    if (iv->cancelled) {
        free(iv);
        return;
    }
    timer_heap_arm(&iv->srv->timers, &iv->timer, now + iv->ms);
}

sio_interval *sio_server_every(sio_server *srv, unsigned ms, sio_interval_fn fn, void *user)
{
    if (!srv || !fn)
        return NULL;
    sio_interval *iv = calloc(1, sizeof(*iv));
    if (!iv)
        return NULL;
    sio_timer_init(&iv->timer, on_interval);
    iv->srv = srv;
    iv->ms = ms ? ms : 1;
    iv->fn = fn;
    iv->user = user;
    if (timer_heap_arm(&srv->timers, &iv->timer, srv->clock() + iv->ms)) {
        free(iv);
        return NULL;
    }
    iv->next = srv->intervals;
    srv->intervals = iv;
    /* The transport moves its timer to the earliest deadline after an
     * event: make one, for a call from outside the loop's callbacks. */
    if (srv->wake && srv->transport)
        srv->wake(srv->transport);
    return iv;
}

void sio_interval_cancel(sio_interval *iv)
{
    if (!iv)
        return;
    interval_unlink(iv);
    timer_heap_cancel(&iv->srv->timers, &iv->timer);
    if (iv->running)
        iv->cancelled = true;
    else
        free(iv);
}
