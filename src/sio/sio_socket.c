/* Sockets: emits, acknowledgements, rooms and disconnection. */
#include "sio/sio_core.h"
#include "sio/sio_recovery.h"

#include <stdlib.h>
#include <string.h>

const char *sio_socket_id(const sio_socket *s) { return s->id; }
sio_namespace *sio_socket_namespace(sio_socket *s) { return s->nsp; }
sio_server *sio_socket_server(sio_socket *s) { return s->nsp->srv; }
bool sio_socket_connected(const sio_socket *s) { return s->state == SOCK_CONNECTED; }
const char *sio_socket_auth(const sio_socket *s) { return s->auth ? s->auth : "{}"; }
const char *sio_socket_query(const sio_socket *s)
{
    return s->client && s->client->query ? s->client->query : "{}";
}
const sio_request *sio_socket_request(const sio_socket *s) { return s->req; }
void sio_socket_set_data(sio_socket *s, void *data) { s->data = data; }
void *sio_socket_data(const sio_socket *s) { return s->data; }

int sio_socket_set_data_json(sio_socket *s, const char *json)
{
    if (!json || json_validate(json, strlen(json), &s->nsp->srv->lim.json) != JSON_OK)
        return SIO_EINVAL;
    char *copy = strdup(json);
    if (!copy)
        return SIO_ENOMEM;
    free(s->data_json);
    s->data_json = copy;
    return SIO_OK;
}

const char *sio_socket_data_json(const sio_socket *s) { return s->data_json ? s->data_json : "{}"; }

sio_socket *sio_socket_ref(sio_socket *s)
{
    s->refs++;
    return s;
}

void sio_socket_unref(sio_socket *s)
{
    if (!s || --s->refs)
        return;
    for (uint32_t i = 0; i < s->n_early; i++)
        sio_msg_unref(s->early[i]);
    free(s->early);
    free(s->mem);
    free(s->pmw);
    sio_request_unref(s->req);
    sio_nsp_release(s->nsp);
    free(s->auth);
    free(s->data_json);
    free(s->pid);
    free(s->recovery_offset);
    free(s->id);
    free(s);
}

/* --- rooms ---------------------------------------------------------------------- */

static sio_membership *membership(const sio_socket *s, const sio_room *r)
{
    for (uint32_t i = 0; i < s->n_mem; i++)
        if (s->mem[i].room == r)
            return &s->mem[i];
    return NULL;
}

int sio_room_add(sio_room *r, sio_socket *s)
{
    if (membership(s, r))
        return 0;
    if (s->n_mem == s->cap_mem) {
        uint32_t cap = s->cap_mem ? s->cap_mem * 2 : 2;
        sio_membership *m = realloc(s->mem, cap * sizeof(*m));
        if (!m)
            return -1;
        s->mem = m;
        s->cap_mem = cap;
    }
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        sio_socket **m = realloc(r->members, cap * sizeof(*m));
        if (!m)
            return -1;
        r->members = m;
        r->cap = cap;
    }
    s->mem[s->n_mem++] = (sio_membership){r, r->n};
    r->members[r->n++] = s;
    return 0;
}

void sio_room_remove(sio_room *r, sio_socket *s)
{
    sio_membership *m = membership(s, r);
    if (!m)
        return;
    size_t idx = m->idx;
    /* The socket's memberships keep the order it joined its rooms in
     * (sio_socket_room); the room's members need no order. */
    size_t pos = (size_t)(m - s->mem);
    memmove(m, m + 1, (s->n_mem - pos - 1) * sizeof(*m));
    s->n_mem--;
    r->n--;
    if (idx != r->n) {
        sio_socket *moved = r->members[r->n];
        r->members[idx] = moved;
        membership(moved, r)->idx = idx;
    }
}

static sio_room *room_get(sio_namespace *nsp, const char *name, bool create)
{
    size_t len = strlen(name);
    sio_room *r = strmap_get(&nsp->rooms, name, len);
    if (r || !create)
        return r;
    r = calloc(1, sizeof(*r));
    if (!r || !(r->name = strdup(name)) || strmap_put(&nsp->rooms, name, len, r)) {
        if (r)
            free(r->name);
        free(r);
        return NULL;
    }
    return r;
}

static void room_drop_if_empty(sio_namespace *nsp, sio_room *r)
{
    if (r->n)
        return;
    strmap_del(&nsp->rooms, r->name, strlen(r->name));
    free(r->members);
    free(r->name);
    free(r);
}

int sio_socket_register(sio_socket *s)
{
    if (strmap_put(&s->nsp->sockets, s->id, strlen(s->id), s))
        return -1;
    s->in_own_room = true;
    return 0;
}

static void socket_unregister(sio_socket *s)
{
    size_t len = strlen(s->id);
    if (strmap_get(&s->nsp->sockets, s->id, len) == s)
        strmap_del(&s->nsp->sockets, s->id, len);
    s->in_own_room = false;
}

sio_socket *sio_own_room_member(const sio_namespace *nsp, const char *room)
{
    sio_socket *s = strmap_get(&nsp->sockets, room, strlen(room));
    return s && s->in_own_room ? s : NULL;
}

int sio_join(sio_socket *s, const char *room)
{
    if (s->state == SOCK_DISCONNECTED)
        return SIO_ECLOSED;
    if (!room)
        return SIO_EINVAL;
    if (strcmp(room, s->id) == 0) {
        s->in_own_room = true;
        return SIO_OK;
    }
    sio_room *r = room_get(s->nsp, room, true);
    if (!r)
        return SIO_ENOMEM;
    size_t had = s->n_mem;
    if (sio_room_add(r, s)) {
        room_drop_if_empty(s->nsp, r);
        return SIO_ENOMEM;
    }
    if (s->nsp->srv->n_observers && s->n_mem != had && s->state == SOCK_CONNECTED)
        sio_observe_room(s, room, true);
    return SIO_OK;
}

int sio_leave(sio_socket *s, const char *room)
{
    if (s->state == SOCK_DISCONNECTED)
        return SIO_ECLOSED;
    if (room && strcmp(room, s->id) == 0) {
        s->in_own_room = false;
        return SIO_OK;
    }
    sio_room *r = room ? room_get(s->nsp, room, false) : NULL;
    if (!r)
        return SIO_OK;
    size_t had = s->n_mem;
    sio_room_remove(r, s);
    room_drop_if_empty(s->nsp, r);
    if (s->nsp->srv->n_observers && s->n_mem != had && s->state == SOCK_CONNECTED)
        sio_observe_room(s, room, false);
    return SIO_OK;
}

bool sio_in_room(const sio_socket *s, const char *room)
{
    if (room && strcmp(room, s->id) == 0)
        return s->in_own_room;
    sio_room *r = room ? strmap_get(&s->nsp->rooms, room, strlen(room)) : NULL;
    return r && membership(s, r);
}

const char *sio_socket_room(const sio_socket *s, size_t i)
{
    if (s->in_own_room) {
        if (i == 0)
            return s->id;
        i--;
    }
    for (uint32_t k = 0; k < s->n_mem; k++)
        if (s->mem[k].room->name && i-- == 0)
            return s->mem[k].room->name;
    return NULL;
}

size_t sio_room_count(const sio_socket *s)
{
    /* Memberships minus the namespace's set of all sockets. */
    size_t n = s->in_own_room;
    for (uint32_t i = 0; i < s->n_mem; i++)
        n += s->mem[i].room->name != NULL;
    return n;
}

sio_socket *sio_nsp_socket(sio_namespace *nsp, const char *id)
{
    return strmap_get(&nsp->sockets, id, strlen(id));
}

/* --- encoding ----------------------------------------------------------------------- */

void sio_release_msgs(sio_msg *m, sio_msg **atts, size_t n)
{
    sio_msg_unref(m);
    for (size_t i = 0; i < n; i++)
        sio_msg_unref(atts[i]);
    free(atts);
}

/* Checks args_json: a JSON array whose placeholders index bins. */
static int check_args(sio_server *srv, const char *args_json, size_t nbins)
{
    if (!args_json)
        return nbins ? SIO_EINVAL : SIO_OK;
    json_doc d;
    if (json_parse(&d, args_json, strlen(args_json), &srv->lim.json) != JSON_OK)
        return SIO_EINVAL;
    int rc = json_type_of(&d, 0) == JSON_ARRAY ? SIO_OK : SIO_EINVAL;
    for (int i = 0; rc == SIO_OK && i < d.ntok; i++) {
        if (json_type_of(&d, i) != JSON_OBJECT)
            continue;
        int flag = json_object_get(&d, i, "_placeholder");
        if (flag < 0 || json_type_of(&d, flag) != JSON_TRUE)
            continue;
        int64_t num;
        int t = json_object_get(&d, i, "num");
        if (t < 0 || !json_get_int(&d, t, &num) || num < 0 || (size_t)num >= nbins)
            rc = SIO_EINVAL;
    }
    json_doc_free(&d);
    return rc;
}

int sio_encode_packet(sio_server *srv, sio_packet_type kind, const char *nsp, int64_t id,
                      const char *event, const char *args_json, const sio_binary *bins, size_t nbins,
                      sio_msg **out, sio_msg ***atts, size_t *natts)
{
    *out = NULL;
    *atts = NULL;
    *natts = 0;
    if (event && sio_is_reserved_event(event, strlen(event)))
        return SIO_EINVAL;
    if (nbins > srv->opt.max_attachments && srv->opt.max_attachments)
        return SIO_EINVAL;
    int rc = check_args(srv, args_json, nbins);
    if (rc != SIO_OK)
        return rc;
    sio_out_packet p = {.type = kind, .nsp = nsp, .id = id, .event = event, .data = args_json,
                        .data_len = args_json ? strlen(args_json) : 0, .bins = bins, .nbins = nbins};
    rc = srv->parser->encode(&p, out, atts, natts);
    if (rc != SIO_OK)
        return rc;
    srv->stats.packets_encoded++;
    return SIO_OK;
}

int sio_client_send_packet(sio_client *c, sio_packet_type t, const char *nsp, const char *data)
{
    sio_out_packet p = {.type = t, .nsp = nsp, .id = -1, .data = data, .data_len = data ? strlen(data) : 0};
    sio_msg *m, **atts;
    size_t natts;
    if (c->srv->parser->encode(&p, &m, &atts, &natts) != SIO_OK)
        return SIO_ENOMEM;
    int rc = eio_session_send(c->es, m);
    sio_release_msgs(m, atts, natts);
    return rc;
}

static int send_rc(int eio_rc)
{
    switch (eio_rc) {
    case EIO_SEND_OK: return SIO_OK;
    case EIO_SEND_CLOSED: return SIO_ECLOSED;
    case EIO_SEND_QUEUE_FULL: return SIO_EFULL;
    case EIO_SEND_DROPPED: return SIO_EAGAIN;
    }
    return SIO_ECLOSED;
}

int sio_socket_deliver(sio_socket *s, sio_msg *m, sio_msg **atts, size_t n, bool is_volatile)
{
    if (s->state == SOCK_DISCONNECTED || !s->client || !s->client->es) {
        s->nsp->srv->stats.emits_after_close++;
        return SIO_ECLOSED;
    }
    if (s->state == SOCK_CONNECTING) {
        if (is_volatile)
            return SIO_EAGAIN;
        uint32_t need = s->n_early + 1 + (uint32_t)n;
        if (need > s->cap_early) {
            uint32_t cap = s->cap_early ? s->cap_early * 2 : 8;
            while (cap < need)
                cap *= 2;
            sio_msg **e = realloc(s->early, cap * sizeof(*e));
            if (!e)
                return SIO_ENOMEM;
            s->early = e;
            s->cap_early = cap;
        }
        s->early[s->n_early++] = sio_msg_ref(m);
        for (size_t i = 0; i < n; i++)
            s->early[s->n_early++] = sio_msg_ref(atts[i]);
        return SIO_OK;
    }
    eio_session *es = s->client->es;
    int rc = is_volatile ? eio_session_send_volatile(es, m) : eio_session_send(es, m);
    for (size_t i = 0; rc == EIO_SEND_OK && i < n; i++)
        rc = eio_session_send(es, atts[i]);
    if (rc == EIO_SEND_OK && s->nsp->srv->n_observers) {
        sio_observe_message(s->nsp->srv, false, m->len);
        for (size_t i = 0; i < n; i++)
            sio_observe_message(s->nsp->srv, false, atts[i]->len);
    }
    return send_rc(rc);
}

static int emit(sio_socket *s, const char *event, const char *args_json, const sio_binary *bins,
                size_t nbins, int64_t ack_id, bool is_volatile)
{
    if (!event)
        return SIO_EINVAL;
    if (s->state == SOCK_DISCONNECTED) {
        s->nsp->srv->stats.emits_after_close++;
        return SIO_ECLOSED;
    }
    sio_msg *m, **atts;
    /* With recovery, an emit is kept for the socket's own room, as Node
     * broadcasts it there. */
    sio_bcast own = {.rooms = (const char *const *)&s->id, .n_rooms = 1,
                     .flags = is_volatile ? SIO_BCAST_VOLATILE : 0};
    sio_adapter_packet p = {event, args_json, bins, nbins};
    bool kept;
    size_t natts;
    int rc = sio_recovery_encode(s->nsp, s->pid ? &own : NULL, &p, ack_id, &m, &atts, &natts, &kept);
    if (rc != SIO_OK)
        return rc;
    /* A socket resuming a session gets what was kept for it when it connects. */
    bool replayed = kept && s->recovered && s->state == SOCK_CONNECTING;
    rc = replayed ? SIO_OK : sio_socket_deliver(s, m, atts, natts, is_volatile);
    s->nsp->counters.events_sent += rc == SIO_OK;
    sio_release_msgs(m, atts, natts);
    if (rc == SIO_OK && s->nsp->srv->n_observers)
        sio_observe_event_out(s, event, args_json);
    return rc;
}

int sio_emit(sio_socket *s, const char *event, const char *args_json)
{
    return emit(s, event, args_json, NULL, 0, -1, false);
}

int sio_emit_binary(sio_socket *s, const char *event, const char *args_json, const sio_binary *bins,
                    size_t nbins)
{
    return emit(s, event, args_json, bins, nbins, -1, false);
}

int sio_emit_volatile(sio_socket *s, const char *event, const char *args_json)
{
    return emit(s, event, args_json, NULL, 0, -1, true);
}

/* --- acknowledgements ------------------------------------------------------------------ */

static void ack_unlink(sio_pending_ack *a)
{
    for (sio_pending_ack **pp = &a->s->acks; *pp; pp = &(*pp)->next) {
        if (*pp == a) {
            *pp = a->next;
            return;
        }
    }
}

static void on_ack_timeout(sio_timer *t, int64_t now)
{
    sio_pending_ack *a = (sio_pending_ack *)((char *)t - offsetof(sio_pending_ack, timer));
    sio_socket *s = a->s;
    ack_unlink(a);
    s->nsp->srv->counters.ack_timeouts++;
    a->cb(s, NULL, SIO_ACK_TIMEOUT, a->user);
    sio_socket_unref(s);
    free(a);
}

int sio_socket_expect_ack(sio_socket *s, int64_t id, unsigned timeout_ms, sio_ack_cb cb, void *user)
{
    sio_pending_ack *a = calloc(1, sizeof(*a));
    if (!a)
        return SIO_ENOMEM;
    *a = (sio_pending_ack){s->acks, sio_socket_ref(s), id, cb, user, {0}};
    sio_timer_init(&a->timer, on_ack_timeout);
    s->acks = a;
    if (timeout_ms)
        timer_heap_arm(&s->nsp->srv->timers, &a->timer, s->nsp->srv->clock() + timeout_ms);
    return SIO_OK;
}

void sio_socket_forget_ack(sio_socket *s, int64_t id)
{
    for (sio_pending_ack **pp = &s->acks; *pp; pp = &(*pp)->next) {
        sio_pending_ack *a = *pp;
        if (a->id == id) {
            *pp = a->next;
            timer_heap_cancel(&s->nsp->srv->timers, &a->timer);
            sio_socket_unref(a->s);
            free(a);
            return;
        }
    }
}

int sio_emit_with_ack(sio_socket *s, const char *event, const char *args_json, const sio_binary *bins,
                      size_t nbins, unsigned timeout_ms, sio_ack_cb cb, void *user)
{
    if (!cb)
        return SIO_EINVAL;
    if (s->state == SOCK_DISCONNECTED) {
        s->nsp->srv->stats.emits_after_close++;
        return SIO_ECLOSED;
    }
    int64_t id = s->nsp->next_ack_id++;
    int rc = emit(s, event, args_json, bins, nbins, id, false);
    if (rc != SIO_OK)
        return rc;
    rc = sio_socket_expect_ack(s, id, timeout_ms, cb, user);
    return rc;
}

void sio_socket_fail_acks(sio_socket *s)
{
    while (s->acks) {
        sio_pending_ack *a = s->acks;
        s->acks = a->next;
        timer_heap_cancel(&s->nsp->srv->timers, &a->timer);
        a->cb(s, NULL, SIO_ECLOSED, a->user);
        sio_socket_unref(a->s);
        free(a);
    }
}

/* --- disconnection ------------------------------------------------------------------------ */

/* Takes the socket out of its client, rooms and namespace, fails its acks
 * and tells the application (reason NULL: a refused connection, which the
 * application never saw). With notify_client, the client is sent the
 * DISCONNECT packet first. */
void sio_socket_close(sio_socket *s, const char *reason, bool notify_client)
{
    if (s->state == SOCK_DISCONNECTED || s->closing)
        return;
    bool was_connected = s->state == SOCK_CONNECTED;
    sio_client *c = s->client;
    if (notify_client && c && c->es && was_connected)
        sio_client_send_packet(c, SIO_PKT_DISCONNECT, s->nsp->name, NULL);
    /* Still connected and in its rooms, as Node's "disconnecting"; a close
     * asked for from the handler is this one. The reference keeps the
     * socket through whatever the handler does. */
    if (was_connected && reason && s->nsp->on_disconnecting) {
        s->closing = true;
        s->refs++;
        s->nsp->on_disconnecting(s, reason, s->nsp->on_disconnecting_user);
        s->refs--;
        s->closing = false;
        c = s->client; /* the handler may have closed the whole client */
    }
    if (was_connected && reason && s->nsp->srv->n_observers)
        sio_observe_socket_disconnect(s, reason);
    if (was_connected) {
        sio_count_disconnect(&s->nsp->srv->counters, reason);
        sio_recovery_persist(s, reason);
        sio_log_disconnect(s, reason); /* while it knows its client's transport */
    }
    s->state = SOCK_DISCONNECTED;
    s->nsp->live--;
    /* Out of the client's list. */
    for (sio_socket **pp = c ? &c->sockets : NULL; pp && *pp; pp = &(*pp)->next_in_client) {
        if (*pp == s) {
            *pp = s->next_in_client;
            break;
        }
    }
    s->client = NULL;
    socket_unregister(s);
    while (s->n_mem) {
        sio_room *r = s->mem[s->n_mem - 1].room;
        sio_room_remove(r, s);
        if (r->name)
            room_drop_if_empty(s->nsp, r);
    }
    sio_socket_fail_acks(s);
    if (was_connected && reason && s->nsp->on_disconnect)
        s->nsp->on_disconnect(s, reason, s->nsp->on_disconnect_user);
    if (was_connected)
        sio_nsp_cleanup_if_empty(s->nsp);
    sio_socket_unref(s);
}

void sio_client_close_sockets(sio_client *c, const char *reason, bool notify_client)
{
    while (c->sockets) {
        sio_socket *s = c->sockets;
        if (s->closing) {
            /* Its disconnecting handler is running further up the stack: it
             * finishes its own close there, without the client. */
            c->sockets = s->next_in_client;
            s->client = NULL;
            continue;
        }
        sio_socket_close(s, reason, notify_client);
    }
}

void sio_close_connection(sio_socket *s)
{
    if (s->client && s->client->es)
        eio_session_close(s->client->es);
}

void sio_disconnect(sio_socket *s, bool close_client)
{
    if (s->state == SOCK_DISCONNECTED || s->closing)
        return;
    sio_client *c = s->client;
    if (close_client && c) {
        sio_client_close_sockets(c, "server namespace disconnect", true);
        if (c->es)
            eio_session_close(c->es);
        return;
    }
    sio_socket_close(s, "server namespace disconnect", true);
}
