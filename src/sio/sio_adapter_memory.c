/* This node's part of every adapter operation, on the local room index, and
 * the in-memory adapter made of it alone. A broadcast encodes its packet
 * once and queues the same message on every recipient. */
#include "sio/sio_core.h"
#include "sio/sio_recovery.h"

#include <stdlib.h>
#include <string.h>

/* --- target selection ----------------------------------------------------------- */

/* Marks every socket of the except-rooms with `mark`. */
static void mark_except(sio_namespace *nsp, const sio_bcast *b, uint64_t mark)
{
    for (size_t i = 0; i < b->n_except; i++) {
        sio_room *r = strmap_get(&nsp->rooms, b->except[i], strlen(b->except[i]));
        for (size_t k = 0; r && k < r->n; k++)
            r->members[k]->mark = mark;
        sio_socket *own = sio_own_room_member(nsp, b->except[i]);
        if (own)
            own->mark = mark;
    }
}

/* Adds `s` to the list unless it is skipped or already there. Returns 0,
 * or -1 when out of memory. */
static int add_target(sio_socket ***list, size_t *n, size_t *cap, sio_socket *s, const sio_bcast *b,
                      uint64_t skip, uint64_t sent)
{
    if (s->mark == skip || s->mark == sent || s == b->exclude)
        return 0;
    s->mark = sent;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        sio_socket **l = realloc(*list, c * sizeof(*l));
        if (!l)
            return -1;
        *list = l;
        *cap = c;
    }
    (*list)[(*n)++] = sio_socket_ref(s);
    return 0;
}

static void release_targets(sio_socket **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sio_socket_unref(list[i]);
    free(list);
}

/* Collects the target sockets, each once, with a reference each: sending
 * may close a client (a full queue), which changes the rooms and may drop
 * the last other reference to a socket. Marks: except-room members get
 * `skip`, collected sockets `sent`, so a socket in several target rooms is
 * collected once. Returns the count (*out NULL when 0), or -1 when out of
 * memory. */
static int collect_targets(sio_namespace *nsp, const sio_bcast *b, sio_socket ***out)
{
    size_t n = 0, cap = 0;
    sio_socket **list = NULL;
    sio_server *srv = nsp->srv;
    uint64_t skip = ++srv->epoch, sent = ++srv->epoch;
    mark_except(nsp, b, skip);
    size_t nrooms = b->n_rooms ? b->n_rooms : 1;
    int rc = 0;
    for (size_t i = 0; i < nrooms && rc == 0; i++) {
        const char *name = b->n_rooms ? b->rooms[i] : NULL;
        sio_room *r = name ? strmap_get(&nsp->rooms, name, strlen(name)) : &nsp->all;
        for (size_t k = 0; r && k < r->n && rc == 0; k++)
            rc = add_target(&list, &n, &cap, r->members[k], b, skip, sent);
        sio_socket *own = name ? sio_own_room_member(nsp, name) : NULL;
        if (own && rc == 0)
            rc = add_target(&list, &n, &cap, own, b, skip, sent);
    }
    if (rc) {
        release_targets(list, n);
        return -1;
    }
    *out = list;
    return (int)n;
}

bool sio_local_has_room(const sio_namespace *nsp, const char *room)
{
    return strmap_get(&nsp->rooms, room, strlen(room)) || sio_own_room_member(nsp, room);
}

void sio_local_rooms(const sio_namespace *nsp, void (*fn)(const char *room, void *user), void *user)
{
    const strmap_slot *slot;
    for (size_t i = 0; strmap_next(&nsp->rooms, &i, &slot);)
        fn(slot->key, user);
    for (size_t i = 0; strmap_next(&nsp->sockets, &i, &slot);)
        if (((const sio_socket *)slot->val)->in_own_room)
            fn(slot->key, user);
}

sio_server *sio_adapter_server(const sio_adapter *a) { return a->nsp->srv; }

int sio_local_each(sio_namespace *nsp, const sio_bcast *b, void (*fn)(sio_socket *s, void *user), void *user)
{
    sio_socket **list = NULL;
    int n = collect_targets(nsp, b, &list);
    if (n < 0)
        return SIO_ENOMEM;
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (list[i]->state != SOCK_CONNECTED)
            continue; /* closed by an earlier call */
        fn(list[i], user);
        count++;
    }
    release_targets(list, (size_t)n);
    return count;
}

/* --- broadcast ---------------------------------------------------------------------- */

/* Encodes once and queues on every target; with `id` >= 0, the sockets
 * reached are left in *reached (referenced) for the caller to await. */
static int deliver(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p, int64_t id,
                   sio_socket ***reached)
{
    sio_server *srv = nsp->srv;
    sio_msg *m, **atts;
    size_t natts;
    int rc = sio_recovery_encode(nsp, b, p, id, &m, &atts, &natts, NULL);
    if (rc != SIO_OK)
        return rc;
    if (b->flags & SIO_BCAST_UNCOMPRESSED) { /* new messages: not shared yet */
        m->uncompressed = true;
        for (size_t i = 0; i < natts; i++)
            atts[i]->uncompressed = true;
    }
    sio_socket **list = NULL;
    int n = collect_targets(nsp, b, &list);
    int count = 0;
    bool is_volatile = b->flags & SIO_BCAST_VOLATILE;
    for (int i = 0; i < n; i++) {
        sio_socket *s = list[i];
        if (s->state == SOCK_CONNECTED && sio_socket_deliver(s, m, atts, natts, is_volatile) == SIO_OK) {
            list[count++] = s; /* kept: the reached ones move to the front */
            if (srv->n_observers)
                sio_observe_event_out(s, p->event, p->args_json);
        } else
            sio_socket_unref(s);
    }
    sio_release_msgs(m, atts, natts);
    if (n < 0)
        return SIO_ENOMEM;
    srv->stats.broadcast_recipients += (uint64_t)count;
    nsp->counters.broadcasts++;
    nsp->counters.broadcast_recipients += (uint64_t)count;
    nsp->counters.events_sent += (uint64_t)count;
    if (reached)
        *reached = list;
    else
        release_targets(list, (size_t)count);
    return count;
}

int sio_local_broadcast(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p)
{
    return deliver(nsp, b, p, -1, NULL);
}

/* The local part of a broadcast with acks: the recipients, the ack id they
 * were sent, and how many answers are still awaited. */
typedef struct local_acks {
    sio_reply_sink sink;
    sio_server *srv;
    sio_socket **targets; /* references */
    size_t n, pending;
    int64_t id;
    sio_timer timer;
} local_acks;

static void local_acks_finish(local_acks *la)
{
    timer_heap_cancel(&la->srv->timers, &la->timer);
    for (size_t i = 0; i < la->n; i++)
        sio_socket_forget_ack(la->targets[i], la->id);
    release_targets(la->targets, la->n);
    la->sink.release(la->sink.ctx);
    free(la);
}

static void on_local_acks_timeout(sio_timer *t, int64_t now)
{
    local_acks_finish((local_acks *)((char *)t - offsetof(local_acks, timer)));
}

/* A client's answer. One that disconnected first never answers, as in
 * Node (whoever waits for all the answers ends by its timeout), but it is
 * no longer awaited here. */
static void on_client_ack(sio_socket *s, const sio_args *reply, int err, void *user)
{
    local_acks *la = user;
    if (err == SIO_ECLOSED) {
        if (--la->pending == 0)
            local_acks_finish(la);
        return;
    }
    size_t len = 0;
    const char *json = reply ? sio_arg_json(reply, 0, &len) : NULL;
    if (!json) {
        json = "null";
        len = 4;
    }
    la->sink.reply(la->sink.ctx, json, len);
    if (--la->pending == 0)
        local_acks_finish(la);
}

int sio_local_broadcast_with_ack(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p,
                                 const sio_reply_sink *sink)
{
    sio_server *srv = nsp->srv;
    local_acks *la = calloc(1, sizeof(*la));
    if (!la) {
        sink->release(sink->ctx);
        return SIO_ENOMEM;
    }
    la->sink = *sink;
    la->srv = srv;
    la->id = nsp->next_ack_id++;
    sio_timer_init(&la->timer, on_local_acks_timeout);
    int n = deliver(nsp, b, p, la->id, &la->targets);
    if (n < 0) {
        free(la);
        sink->release(sink->ctx);
        return n;
    }
    la->n = (size_t)n;
    for (size_t i = 0; i < la->n; i++)
        if (sio_socket_expect_ack(la->targets[i], la->id, 0, on_client_ack, la) == SIO_OK)
            la->pending++;
    sink->count(sink->ctx, la->pending);
    if (la->pending == 0 || timer_heap_arm(&srv->timers, &la->timer, srv->clock() + b->timeout_ms))
        local_acks_finish(la);
    return n;
}

/* --- rooms and disconnection -------------------------------------------------------------- */

typedef struct rooms_arg {
    const char *const *rooms;
    size_t n;
    bool join;
} rooms_arg;

static void join_or_leave(sio_socket *s, void *user)
{
    const rooms_arg *a = user;
    for (size_t i = 0; i < a->n; i++)
        a->join ? sio_join(s, a->rooms[i]) : sio_leave(s, a->rooms[i]);
}

int sio_local_add_sockets(sio_namespace *nsp, const sio_bcast *b, const char *const *rooms, size_t n)
{
    rooms_arg a = {rooms, n, true};
    return sio_local_each(nsp, b, join_or_leave, &a);
}

int sio_local_del_sockets(sio_namespace *nsp, const sio_bcast *b, const char *const *rooms, size_t n)
{
    rooms_arg a = {rooms, n, false};
    return sio_local_each(nsp, b, join_or_leave, &a);
}

static void disconnect_one(sio_socket *s, void *user) { sio_disconnect(s, *(const bool *)user); }

int sio_local_disconnect(sio_namespace *nsp, const sio_bcast *b, bool close)
{
    return sio_local_each(nsp, b, disconnect_one, &close);
}

/* --- the in-memory adapter: this node is the whole cluster ----------------------------------- */

static void memory_destroy(sio_adapter *a) { free(a); }

static int memory_broadcast(sio_adapter *a, const sio_bcast *b, const sio_adapter_packet *p)
{
    return sio_local_broadcast(a->nsp, b, p);
}

static int memory_broadcast_with_ack(sio_adapter *a, const sio_bcast *b, const sio_adapter_packet *p,
                                     sio_op *op)
{
    sio_op_expect_nodes(op, 0);
    sio_reply_sink sink = sio_op_sink(op);
    return sio_local_broadcast_with_ack(a->nsp, b, p, &sink);
}

static void fetch_one(sio_socket *s, void *user) { sio_op_add_local(user, s); }

static int memory_fetch_sockets(sio_adapter *a, const sio_bcast *b, sio_op *op)
{
    sio_op_expect_nodes(op, 0);
    return sio_local_each(a->nsp, b, fetch_one, op);
}

static int memory_add_sockets(sio_adapter *a, const sio_bcast *b, const char *const *rooms, size_t n)
{
    return sio_local_add_sockets(a->nsp, b, rooms, n);
}

static int memory_del_sockets(sio_adapter *a, const sio_bcast *b, const char *const *rooms, size_t n)
{
    return sio_local_del_sockets(a->nsp, b, rooms, n);
}

static int memory_disconnect_sockets(sio_adapter *a, const sio_bcast *b, bool close)
{
    return sio_local_disconnect(a->nsp, b, close);
}

/* No other server: nobody to tell, and no reply to wait for. */
static int memory_server_side_emit(sio_adapter *a, const sio_adapter_packet *p, sio_op *op)
{
    if (op)
        sio_op_expect_nodes(op, 0);
    return SIO_OK;
}

static const sio_adapter_ops memory_ops = {
    .name = "memory",
    .keeps_sessions = true,
    .destroy = memory_destroy,
    .broadcast = memory_broadcast,
    .broadcast_with_ack = memory_broadcast_with_ack,
    .fetch_sockets = memory_fetch_sockets,
    .add_sockets = memory_add_sockets,
    .del_sockets = memory_del_sockets,
    .disconnect_sockets = memory_disconnect_sockets,
    .server_side_emit = memory_server_side_emit,
};

sio_adapter *sio_adapter_memory_new(sio_namespace *nsp, void *user)
{
    sio_adapter *a = calloc(1, sizeof(*a));
    if (a)
        *a = (sio_adapter){&memory_ops, nsp};
    return a;
}
