/* What other nodes and the emitter publish, for one adapter: broadcasts
 * delivered to this node's sockets, requests acted on and answered as
 * Node's RedisAdapter answers them, responses merged into this node's ops.
 * Malformed messages are dropped. */
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_node.h"

static bool is_own(const redis_adapter *a, const char *uid) { return uid && strcmp(uid, a->uid) == 0; }

static sio_bcast bcast_of(const sio_redis_opts *o)
{
    return (sio_bcast){
        .rooms = (const char *const *)o->rooms.v,
        .n_rooms = o->rooms.n,
        .except = (const char *const *)o->except.v,
        .n_except = o->except.n,
        .flags = o->has_flags && o->flags.is_volatile ? SIO_BCAST_VOLATILE : 0,
    };
}

/* --- broadcasts ------------------------------------------------------------------------ */

void sio_redis_receive_broadcast(redis_adapter *a, const char *channel, size_t channel_len, const void *data,
                             size_t len)
{
    const char *room;
    size_t room_len;
    if (!sio_redis_channel_room(channel, channel_len, a->c->prefix, a->nsp, &room, &room_len))
        return;
    if (room_len) { /* a room's own channel: nothing to do without the room */
        char *name = strndup(room, room_len);
        bool here = name && sio_local_has_room(a->base.nsp, name);
        free(name);
        if (!here)
            return;
    }
    sio_redis_broadcast m;
    if (sio_redis_broadcast_decode(data, len, &m) != SIO_REDIS_OK || is_own(a, m.uid) ||
        strcmp(m.packet.nsp, a->nsp) != 0) {
        sio_redis_broadcast_free(&m);
        return;
    }
    redis_event e;
    if (sio_redis_event_read(&m.packet.data, &e) == SIO_OK) {
        sio_bcast b = bcast_of(&m.opts);
        sio_local_broadcast(a->base.nsp, &b, &e.p);
    }
    sio_redis_event_free(&e);
    sio_redis_broadcast_free(&m);
}

/* --- answers owed to other nodes ---------------------------------------------------------- */

static void respond(redis_adapter *a, const sio_redis_response *r)
{
    sio_buf msg;
    sio_buf_init(&msg, 0);
    if (sio_redis_response_encode(r, &msg) == SIO_REDIS_OK)
        sio_redis_cluster_publish(a->c, a->resp_channel, &msg);
    sio_buf_free(&msg);
}

/* Answers that come later (a server-side event's handler, clients' acks to
 * a broadcast): what is needed to publish them, whatever has become of
 * the adapter by then. */
typedef struct redis_reply {
    sio_redis_cluster *c; /* a reference */
    char *channel, *request_id;
} redis_reply;

static void reply_publish(redis_reply *r, sio_redis_response *resp)
{
    resp->request_id = r->request_id;
    sio_buf msg;
    sio_buf_init(&msg, 0);
    if (sio_redis_response_encode(resp, &msg) == SIO_REDIS_OK)
        sio_redis_cluster_publish(r->c, r->channel, &msg);
    sio_buf_free(&msg);
}

static void reply_release(void *ctx)
{
    redis_reply *r = ctx;
    sio_redis_cluster_unref(r->c);
    free(r->channel);
    free(r->request_id);
    free(r);
}

/* serverSideEmit's answer: {type: 6, requestId, data}. */
static void reply_event(void *ctx, const char *json, size_t len)
{
    sio_redis_response resp = {.has_type = true, .type = SIO_REDIS_SERVER_SIDE_EMIT,
                               .data = {(char *)json, len, NULL, 0}};
    reply_publish(ctx, &resp);
}

/* A broadcast with acks: {type: 8, requestId, clientCount}, then
 * {type: 9, requestId, packet} per client. */
static void reply_count(void *ctx, size_t n)
{
    sio_redis_response resp = {.has_type = true, .type = SIO_REDIS_BROADCAST_CLIENT_COUNT, .client_count = n};
    reply_publish(ctx, &resp);
}

static void reply_ack(void *ctx, const char *json, size_t len)
{
    sio_redis_response resp = {.has_type = true, .type = SIO_REDIS_BROADCAST_ACK,
                               .data = {(char *)json, len, NULL, 0}};
    reply_publish(ctx, &resp);
}

static void no_count(void *ctx, size_t n) {}

/* A sink publishing to the adapter's response channel; false when out of
 * memory. */
static bool make_sink(redis_adapter *a, const char *request_id, bool acks, sio_reply_sink *sink)
{
    redis_reply *r = calloc(1, sizeof(*r));
    if (!r || !(r->channel = strdup(a->resp_channel)) || !(r->request_id = strdup(request_id))) {
        if (r)
            free(r->channel);
        free(r);
        return false;
    }
    r->c = a->c;
    a->c->refs++;
    *sink = acks ? (sio_reply_sink){reply_count, reply_ack, reply_release, r}
                 : (sio_reply_sink){no_count, reply_event, reply_release, r};
    return true;
}

/* --- requests ------------------------------------------------------------------------------------ */

typedef struct string_list {
    char **v;
    size_t n, cap;
    bool failed;
} string_list;

static void list_add(string_list *l, const char *s)
{
    if (l->failed)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->failed = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (char *)s; /* borrowed: valid while the sockets and rooms are */
}

static void add_id(sio_socket *s, void *user) { list_add(user, sio_socket_id(s)); }
static void add_room(const char *room, void *user) { list_add(user, room); }

/* SOCKETS (0): {requestId, sockets: [id...]}; ALL_ROOMS (1): {requestId, rooms}. */
static void answer_list(redis_adapter *a, const sio_redis_request *rq)
{
    string_list l = {0};
    sio_redis_response resp = {.request_id = rq->request_id};
    if (rq->type == SIO_REDIS_SOCKETS) {
        sio_bcast b = {.rooms = (const char *const *)rq->rooms.v, .n_rooms = rq->rooms.n};
        sio_local_each(a->base.nsp, &b, add_id, &l);
        resp.has_sockets = true;
        resp.sids = (sio_redis_strs){l.v, l.n};
    } else {
        sio_local_rooms(a->base.nsp, add_room, &l);
        resp.has_rooms = true;
        resp.rooms = (sio_redis_strs){l.v, l.n};
    }
    if (!l.failed)
        respond(a, &resp);
    free(l.v);
}

/* REMOTE_FETCH (5): {requestId, sockets: [{id, handshake, rooms, data}]}. */
typedef struct fetched {
    sio_redis_socket *v;
    sio_buf *handshakes, *datas;
    size_t n, cap;
    bool failed;
} fetched;

static void add_socket(sio_socket *s, void *user)
{
    fetched *f = user;
    if (f->failed)
        return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        sio_redis_socket *v = realloc(f->v, cap * sizeof(*v));
        sio_buf *h = v ? realloc(f->handshakes, cap * sizeof(*h)) : NULL;
        if (v)
            f->v = v;
        if (h)
            f->handshakes = h;
        sio_buf *d = h ? realloc(f->datas, cap * sizeof(*d)) : NULL;
        if (!d) {
            f->failed = true;
            return;
        }
        f->datas = d;
        f->cap = cap;
    }
    sio_buf *hs = &f->handshakes[f->n], *data = &f->datas[f->n];
    sio_buf_init(hs, 0);
    sio_buf_init(data, 0);
    size_t n_rooms = sio_room_count(s);
    char **rooms = calloc(n_rooms ? n_rooms : 1, sizeof(*rooms));
    if (!rooms || sio_handshake_json(s, hs) != 0 || sio_buf_putc(hs, 0) != 0 || sio_local_fetch_data(s, data) != 0 ||
        sio_buf_putc(data, 0) != 0) {
        free(rooms);
        sio_buf_free(hs);
        sio_buf_free(data);
        f->failed = true;
        return;
    }
    for (size_t i = 0; i < n_rooms; i++)
        rooms[i] = (char *)sio_socket_room(s, i);
    f->v[f->n++] = (sio_redis_socket){
        .id = (char *)sio_socket_id(s),
        .handshake = {(char *)hs->data, hs->len - 1, NULL, 0},
        .rooms = {rooms, n_rooms},
        .data = {(char *)data->data, data->len - 1, NULL, 0},
    };
}

static void answer_fetch(redis_adapter *a, const sio_redis_request *rq)
{
    fetched f = {0};
    sio_bcast b = bcast_of(&rq->opts);
    b.flags = 0;
    sio_local_each(a->base.nsp, &b, add_socket, &f);
    if (!f.failed) {
        sio_redis_response resp = {.request_id = rq->request_id, .has_sockets = true};
        resp.sockets = f.v;
        resp.nsockets = f.n;
        /* No socket: an empty list (the encoder writes `sids` then). */
        respond(a, &resp);
    }
    for (size_t i = 0; i < f.n; i++) {
        free(f.v[i].rooms.v);
        sio_buf_free(&f.handshakes[i]);
        sio_buf_free(&f.datas[i]);
    }
    free(f.v);
    free(f.handshakes);
    free(f.datas);
}

/* REMOTE_JOIN, REMOTE_LEAVE, REMOTE_DISCONNECT (2, 3, 4). With opts, for
 * the sockets they select; in the old form, for the one socket `sid`,
 * answered {requestId} when it is here. */
static void act_on_sockets(redis_adapter *a, const sio_redis_request *rq)
{
    sio_namespace *nsp = a->base.nsp;
    const char *sid = rq->sid;
    sio_bcast b = {0};
    const char *const *rooms = (const char *const *)rq->rooms.v;
    size_t n_rooms = rq->rooms.n;
    const char *one[1] = {rq->room};
    if (rq->has_opts) {
        b = bcast_of(&rq->opts);
        b.flags = 0;
    } else if (sid) {
        b.rooms = &sid;
        b.n_rooms = 1;
        rooms = one;
        n_rooms = rq->room ? 1 : 0;
    } else {
        return;
    }
    int n;
    if (rq->type == SIO_REDIS_REMOTE_JOIN)
        n = sio_local_add_sockets(nsp, &b, rooms, n_rooms);
    else if (rq->type == SIO_REDIS_REMOTE_LEAVE)
        n = sio_local_del_sockets(nsp, &b, rooms, n_rooms);
    else
        n = sio_local_disconnect(nsp, &b, rq->close);
    if (!rq->has_opts && n > 0 && rq->request_id) {
        sio_redis_response resp = {.request_id = rq->request_id};
        respond(a, &resp);
    }
}

/* SERVER_SIDE_EMIT (6): to this node's handler; with a requestId, its one
 * reply goes back. */
static void run_server_event(redis_adapter *a, const sio_redis_request *rq)
{
    redis_event e;
    sio_reply_sink sink;
    if (sio_redis_event_read(&rq->data, &e) == SIO_OK) {
        if (!rq->request_id)
            sio_local_server_event(a->base.nsp, &e.p, NULL);
        else if (make_sink(a, rq->request_id, false, &sink))
            sio_local_server_event(a->base.nsp, &e.p, &sink);
    }
    sio_redis_event_free(&e);
}

/* BROADCAST (7): a broadcast with acks another node started; the count and
 * each client's reply go back. */
static void run_broadcast_with_ack(redis_adapter *a, const sio_redis_request *rq)
{
    redis_event e;
    sio_reply_sink sink;
    if (rq->request_id && strcmp(rq->packet.nsp, a->nsp) == 0 && sio_redis_event_read(&rq->packet.data, &e) == SIO_OK &&
        make_sink(a, rq->request_id, true, &sink)) {
        sio_bcast b = bcast_of(&rq->opts);
        const sio_redis_flags *fl = &rq->opts.flags;
        b.timeout_ms = rq->opts.has_flags && fl->has_timeout && fl->timeout > 0 && fl->timeout < (1u << 30)
                           ? (unsigned)fl->timeout
                           : a->c->cfg.requests_timeout;
        sio_local_broadcast_with_ack(a->base.nsp, &b, &e.p, &sink);
    }
    sio_redis_event_free(&e);
}

void sio_redis_receive_request(redis_adapter *a, const void *data, size_t len)
{
    sio_redis_request rq;
    if (sio_redis_request_decode(data, len, &rq) != SIO_REDIS_OK) {
        sio_redis_request_free(&rq);
        return;
    }
    /* Our own requests come back too: their local part is done. */
    if (!is_own(a, rq.uid)) {
        switch (rq.type) {
        case SIO_REDIS_SOCKETS:
        case SIO_REDIS_ALL_ROOMS:
            if (rq.request_id)
                answer_list(a, &rq);
            break;
        case SIO_REDIS_REMOTE_JOIN:
        case SIO_REDIS_REMOTE_LEAVE:
        case SIO_REDIS_REMOTE_DISCONNECT: act_on_sockets(a, &rq); break;
        case SIO_REDIS_REMOTE_FETCH:
            if (rq.request_id && rq.has_opts)
                answer_fetch(a, &rq);
            break;
        case SIO_REDIS_SERVER_SIDE_EMIT: run_server_event(a, &rq); break;
        case SIO_REDIS_BROADCAST: run_broadcast_with_ack(a, &rq); break;
        default: break;
        }
    }
    sio_redis_request_free(&rq);
}

/* --- responses to this node's requests ------------------------------------------------------ */

void sio_redis_receive_response(redis_adapter *a, const void *data, size_t len)
{
    sio_redis_response r;
    if (sio_redis_response_decode(data, len, &r) != SIO_REDIS_OK) {
        sio_redis_response_free(&r);
        return;
    }
    sio_op *op = sio_op_find(sio_adapter_server(&a->base), r.request_id);
    const char *json = r.data.json ? r.data.json : "null";
    size_t json_len = r.data.json ? r.data.json_len : 4;
    if (!op) {
        /* someone else's, or ended */
    } else if (!r.has_type) { /* an answer to a fetch */
        for (size_t i = 0; i < r.nsockets; i++) {
            const sio_redis_socket *s = &r.sockets[i];
            sio_op_add_remote(op, s->id, s->handshake.json, (const char *const *)s->rooms.v, s->rooms.n,
                              s->data.json);
        }
        sio_op_node_answered(op);
    } else if (r.type == SIO_REDIS_SERVER_SIDE_EMIT) {
        sio_op_add_reply(op, json, json_len);
        sio_op_node_answered(op);
    } else if (r.type == SIO_REDIS_BROADCAST_CLIENT_COUNT) {
        sio_op_add_clients(op, (size_t)r.client_count);
    } else if (r.type == SIO_REDIS_BROADCAST_ACK) {
        sio_op_add_reply(op, json, json_len);
    }
    sio_redis_response_free(&r);
}
