/* Server-wide operations that wait for answers: fetch sockets, serverSideEmit
 * with ack, broadcast with acks. An op counts the nodes expected to answer,
 * merges what they send, and calls the application back once: when all
 * have answered (on the next tick, never inside the call that started it),
 * or at its deadline with what came. */
#include "sio/sio_core.h"

#include <stdlib.h>
#include <string.h>

struct sio_remote_socket {
    char *id, *handshake, *data;
    char **rooms;
    size_t n_rooms;
    sio_socket *local; /* a reference when it is this node's */
};

struct sio_op {
    sio_server *srv;
    sio_namespace *nsp; /* a reference */
    sio_op_kind kind;
    sio_op_done done;
    char id[SIO_ID_LEN + 1];
    uint32_t refs; /* its own until it ends, and one per sink handed out */
    bool finished, complete;
    bool expected_known;
    unsigned expected, answered; /* other nodes */
    bool acks;          /* a broadcast with acks: replies are counted against clients */
    bool local_pending; /* its local part has not reported its client count */
    size_t clients;
    sio_remote_socket **sockets;
    size_t n_sockets, cap_sockets;
    char **replies;
    size_t n_replies, cap_replies;
    sio_timer timer;
};

/* --- fetched sockets ---------------------------------------------------------- */

const char *sio_remote_socket_id(const sio_remote_socket *r) { return r->id; }
const char *sio_remote_socket_handshake(const sio_remote_socket *r) { return r->handshake; }
const char *sio_remote_socket_data(const sio_remote_socket *r) { return r->data; }
size_t sio_remote_socket_room_count(const sio_remote_socket *r) { return r->n_rooms; }
const char *sio_remote_socket_room(const sio_remote_socket *r, size_t i)
{
    return i < r->n_rooms ? r->rooms[i] : NULL;
}
sio_socket *sio_remote_socket_local(const sio_remote_socket *r)
{
    return r->local && r->local->state == SOCK_CONNECTED ? r->local : NULL;
}

static void remote_free(sio_remote_socket *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_rooms; i++)
        free(r->rooms[i]);
    free(r->rooms);
    free(r->id);
    free(r->handshake);
    free(r->data);
    sio_socket_unref(r->local);
    free(r);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 8;
    void *p = realloc(*v, c * size);
    if (!p)
        return -1;
    *v = p;
    *cap = c;
    return 0;
}

static int add_socket(sio_op *op, sio_remote_socket *r)
{
    if (op->finished || op->kind != SIO_OP_FETCH ||
        grow((void **)&op->sockets, &op->cap_sockets, op->n_sockets, sizeof(*op->sockets))) {
        remote_free(r);
        return op->finished || op->kind != SIO_OP_FETCH ? SIO_ESTATE : SIO_ENOMEM;
    }
    op->sockets[op->n_sockets++] = r;
    return SIO_OK;
}

/* A record with the id and rooms copied, or NULL when out of memory. */
static sio_remote_socket *remote_new(const char *id, size_t n_rooms)
{
    sio_remote_socket *r = calloc(1, sizeof(*r));
    if (!r || !(r->id = strdup(id)) || (n_rooms && !(r->rooms = calloc(n_rooms, sizeof(*r->rooms))))) {
        remote_free(r);
        return NULL;
    }
    return r;
}

int sio_op_add_remote(sio_op *op, const char *id, const char *handshake_json, const char *const *rooms,
                      size_t n_rooms, const char *data_json)
{
    sio_remote_socket *r = remote_new(id, n_rooms);
    if (!r)
        return SIO_ENOMEM;
    bool ok = (r->handshake = strdup(handshake_json ? handshake_json : "{}")) &&
              (r->data = strdup(data_json ? data_json : "null"));
    for (; ok && r->n_rooms < n_rooms; r->n_rooms++)
        ok = (r->rooms[r->n_rooms] = strdup(rooms[r->n_rooms])) != NULL;
    if (!ok) {
        remote_free(r);
        return SIO_ENOMEM;
    }
    return add_socket(op, r);
}

int sio_op_add_local(sio_op *op, sio_socket *s)
{
    sio_remote_socket *r = remote_new(s->id, sio_room_count(s));
    if (!r)
        return SIO_ENOMEM;
    r->local = sio_socket_ref(s);
    sio_buf hs;
    sio_buf_init(&hs, 0);
    bool ok = sio_handshake_json(s, &hs) == 0 && sio_buf_putc(&hs, 0) == 0 &&
              (r->handshake = strdup((const char *)hs.data)) &&
              (r->data = strdup(sio_socket_data_json(s)));
    sio_buf_free(&hs);
    size_t n = sio_room_count(s);
    for (; ok && r->n_rooms < n; r->n_rooms++)
        ok = (r->rooms[r->n_rooms] = strdup(sio_socket_room(s, r->n_rooms))) != NULL;
    if (!ok) {
        remote_free(r);
        return SIO_ENOMEM;
    }
    return add_socket(op, r);
}

/* --- the op's life ---------------------------------------------------------------- */

static void op_unref(sio_op *op)
{
    if (--op->refs)
        return;
    for (size_t i = 0; i < op->n_sockets; i++)
        remote_free(op->sockets[i]);
    free(op->sockets);
    for (size_t i = 0; i < op->n_replies; i++)
        free(op->replies[i]);
    free(op->replies);
    sio_nsp_release(op->nsp);
    free(op);
}

/* Out of the server's map and timers; the caller drops the op's own reference. */
static void op_end(sio_op *op)
{
    op->finished = true;
    strmap_del(&op->srv->ops, op->id, strlen(op->id));
    timer_heap_cancel(&op->srv->timers, &op->timer);
}

static void op_finish(sio_op *op, int err)
{
    op_end(op);
    if (op->kind == SIO_OP_FETCH)
        op->done.fetch(op->nsp, (const sio_remote_socket *const *)op->sockets, op->n_sockets, err,
                       op->done.user);
    else
        op->done.replies(op->nsp, (const char *const *)op->replies, op->n_replies, err, op->done.user);
    op_unref(op);
}

static void on_op_timer(sio_timer *t, int64_t now)
{
    sio_op *op = (sio_op *)((char *)t - offsetof(sio_op, timer));
    op->nsp->srv->counters.ack_timeouts += !op->complete && op->kind == SIO_OP_REPLIES;
    op_finish(op, op->complete ? 0 : SIO_ACK_TIMEOUT);
}

/* Once every answer is in, the op ends on the next tick. */
static void check_complete(sio_op *op)
{
    if (op->finished || op->complete || !op->expected_known || op->answered < op->expected ||
        op->local_pending || (op->acks && op->n_replies < op->clients))
        return;
    op->complete = true;
    timer_heap_arm(&op->srv->timers, &op->timer, op->srv->clock());
}

sio_op *sio_op_new(sio_namespace *nsp, sio_op_kind kind, sio_op_done done, unsigned timeout_ms, bool acks)
{
    sio_server *srv = nsp->srv;
    sio_op *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    *op = (sio_op){.srv = srv, .nsp = nsp, .kind = kind, .done = done, .refs = 1, .acks = acks,
                   .local_pending = acks};
    sio_timer_init(&op->timer, on_op_timer);
    if (sio_rand_id(op->id) || sio_op_find(srv, op->id) ||
        strmap_put(&srv->ops, op->id, strlen(op->id), op)) {
        free(op);
        return NULL;
    }
    if (timer_heap_arm(&srv->timers, &op->timer, srv->clock() + timeout_ms)) {
        strmap_del(&srv->ops, op->id, strlen(op->id));
        free(op);
        return NULL;
    }
    nsp->refs++;
    return op;
}

void sio_op_abandon(sio_op *op)
{
    if (op->finished)
        return;
    op_end(op);
    op_unref(op);
}

void sio_op_close_all(sio_server *srv)
{
    const strmap_slot *slot;
    size_t i = 0;
    /* One at a time: ending an op changes the map. */
    while (i = 0, strmap_next(&srv->ops, &i, &slot))
        op_finish(slot->val, SIO_ECLOSED);
}

const char *sio_op_id(const sio_op *op) { return op->id; }

sio_op *sio_op_find(sio_server *srv, const char *id)
{
    return id ? strmap_get(&srv->ops, id, strlen(id)) : NULL;
}

void sio_op_expect_nodes(sio_op *op, unsigned n)
{
    op->expected_known = true;
    op->expected = n;
    check_complete(op);
}

void sio_op_node_answered(sio_op *op)
{
    op->answered++;
    check_complete(op);
}

int sio_op_add_reply(sio_op *op, const char *json, size_t len)
{
    if (op->finished || op->kind != SIO_OP_REPLIES)
        return SIO_ESTATE;
    if (json_validate(json, len, NULL) != JSON_OK)
        return SIO_EINVAL;
    if (grow((void **)&op->replies, &op->cap_replies, op->n_replies, sizeof(*op->replies)))
        return SIO_ENOMEM;
    char *r = strndup(json, len);
    if (!r)
        return SIO_ENOMEM;
    op->replies[op->n_replies++] = r;
    check_complete(op);
    return SIO_OK;
}

void sio_op_add_clients(sio_op *op, size_t n)
{
    op->clients += n;
    sio_op_node_answered(op);
}

/* --- the local part of a broadcast with acks -------------------------------------------- */

static void sink_count(void *ctx, size_t n)
{
    sio_op *op = ctx;
    op->clients += n;
    op->local_pending = false;
    check_complete(op);
}

static void sink_reply(void *ctx, const char *json, size_t len) { sio_op_add_reply(ctx, json, len); }

static void sink_release(void *ctx)
{
    sio_op *op = ctx;
    if (op->local_pending) { /* failed before it could count */
        op->local_pending = false;
        check_complete(op);
    }
    op_unref(op);
}

sio_reply_sink sio_op_sink(sio_op *op)
{
    op->refs++;
    return (sio_reply_sink){sink_count, sink_reply, sink_release, op};
}
