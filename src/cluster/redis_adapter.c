/* The Redis adapter's operations (redis_adapter.h): each does this node's
 * part with the core's sio_local_* functions, as the in-memory adapter
 * does, then publishes what Node's RedisAdapter publishes for it, unless
 * the operation is local. Node's adapter leaves socketsJoin, socketsLeave
 * and disconnectSockets to its own copy of the request coming back from
 * Redis; this one acts at once and ignores its own request, so that they
 * work while Redis is away and their count is known. Requests that wait
 * for answers publish the op's id as their requestId and learn how many
 * nodes will answer from PUBSUB NUMSUB; when Redis is away they end at
 * their timeout with an error. */
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_node.h"

static sio_redis_opts make_opts(const sio_bcast *b)
{
    return (sio_redis_opts){
        .rooms = {(char **)b->rooms, b->n_rooms},
        .except = {(char **)b->except, b->n_except},
    };
}

/* Encodes and publishes a request on the namespace's request channel. */
static int publish_request(redis_adapter *a, const sio_redis_request *r)
{
    sio_buf msg;
    sio_buf_init(&msg, 0);
    int rc = sio_redis_request_encode(r, &msg) == SIO_REDIS_OK ? sio_redis_cluster_publish(a->c, a->req_channel, &msg)
                                                               : SIO_ENOMEM;
    sio_buf_free(&msg);
    return rc;
}

/* A request that collects answers for `op`: sent, then the servers counted. */
static void ask(redis_adapter *a, sio_redis_request *r, const sio_op *op)
{
    r->uid = a->uid;
    r->request_id = (char *)sio_op_id(op);
    if (publish_request(a, r) == SIO_OK)
        sio_redis_cluster_count_nodes(a, op);
}

/* --- broadcasts ------------------------------------------------------------------------ */

static int redis_broadcast(sio_adapter *base, const sio_bcast *b, const sio_adapter_packet *p)
{
    redis_adapter *a = (redis_adapter *)base;
    if (!(b->flags & SIO_BCAST_LOCAL)) {
        sio_buf json, msg, channel;
        sio_buf_init(&json, 0);
        sio_buf_init(&msg, 0);
        sio_buf_init(&channel, 0);
        sio_redis_bin *bins;
        sio_redis_broadcast m = {.uid = a->uid, .opts = make_opts(b)};
        m.opts.has_flags = true;
        m.opts.flags.is_volatile = b->flags & SIO_BCAST_VOLATILE;
        m.opts.flags.compress = !(b->flags & SIO_BCAST_UNCOMPRESSED);
        /* One room: its own channel, which nodes without it drop unread. */
        if (sio_redis_packet_make(a->nsp, p, &json, &bins, &m.packet) == SIO_OK &&
            sio_redis_broadcast_encode(&m, &msg) == SIO_REDIS_OK &&
            sio_redis_broadcast_channel(&channel, a->c->prefix, a->nsp, b->n_rooms == 1 ? b->rooms[0] : NULL) == 0 &&
            sio_buf_putc(&channel, 0) == 0)
            sio_redis_cluster_publish(a->c, (const char *)channel.data, &msg);
        free(bins);
        sio_buf_free(&json);
        sio_buf_free(&msg);
        sio_buf_free(&channel);
    }
    return sio_local_broadcast(base->nsp, b, p);
}

static int redis_broadcast_with_ack(sio_adapter *base, const sio_bcast *b, const sio_adapter_packet *p, sio_op *op)
{
    redis_adapter *a = (redis_adapter *)base;
    if (b->flags & SIO_BCAST_LOCAL) {
        sio_op_expect_nodes(op, 0);
    } else {
        sio_buf json;
        sio_buf_init(&json, 0);
        sio_redis_bin *bins;
        sio_redis_request r = {.type = SIO_REDIS_BROADCAST, .has_opts = true, .opts = make_opts(b)};
        r.opts.has_flags = true;
        r.opts.flags = (sio_redis_flags){.is_volatile = b->flags & SIO_BCAST_VOLATILE,
                                         .compress = !(b->flags & SIO_BCAST_UNCOMPRESSED),
                                         .has_timeout = true,
                                         .timeout = b->timeout_ms};
        if (sio_redis_packet_make(a->nsp, p, &json, &bins, &r.packet) == SIO_OK)
            ask(a, &r, op);
        free(bins);
        sio_buf_free(&json);
    }
    sio_reply_sink sink = sio_op_sink(op);
    return sio_local_broadcast_with_ack(base->nsp, b, p, &sink);
}

/* --- fetching, joining, leaving, disconnecting ---------------------------------------------- */

static void fetch_one(sio_socket *s, void *op) { sio_op_add_local(op, s); }

static int redis_fetch_sockets(sio_adapter *base, const sio_bcast *b, sio_op *op)
{
    redis_adapter *a = (redis_adapter *)base;
    int n = sio_local_each(base->nsp, b, fetch_one, op);
    if (n < 0)
        return n;
    if (b->flags & SIO_BCAST_LOCAL) {
        sio_op_expect_nodes(op, 0);
    } else {
        sio_redis_request r = {.type = SIO_REDIS_REMOTE_FETCH, .has_opts = true, .opts = make_opts(b)};
        ask(a, &r, op);
    }
    return n;
}

/* socketsJoin, socketsLeave, disconnectSockets: told to the others, no
 * answer awaited. */
static void tell(redis_adapter *a, const sio_bcast *b, sio_redis_request *r)
{
    if (b->flags & SIO_BCAST_LOCAL)
        return;
    r->uid = a->uid;
    r->has_opts = true;
    r->opts = make_opts(b);
    publish_request(a, r);
}

static int redis_add_sockets(sio_adapter *base, const sio_bcast *b, const char *const *rooms, size_t n)
{
    sio_redis_request r = {.type = SIO_REDIS_REMOTE_JOIN, .rooms = {(char **)rooms, n}};
    tell((redis_adapter *)base, b, &r);
    return sio_local_add_sockets(base->nsp, b, rooms, n);
}

static int redis_del_sockets(sio_adapter *base, const sio_bcast *b, const char *const *rooms, size_t n)
{
    sio_redis_request r = {.type = SIO_REDIS_REMOTE_LEAVE, .rooms = {(char **)rooms, n}};
    tell((redis_adapter *)base, b, &r);
    return sio_local_del_sockets(base->nsp, b, rooms, n);
}

static int redis_disconnect_sockets(sio_adapter *base, const sio_bcast *b, bool close)
{
    sio_redis_request r = {.type = SIO_REDIS_REMOTE_DISCONNECT, .close = close};
    tell((redis_adapter *)base, b, &r);
    return sio_local_disconnect(base->nsp, b, close);
}

/* --- events between servers ---------------------------------------------------------------- */

static int redis_server_side_emit(sio_adapter *base, const sio_adapter_packet *p, sio_op *op)
{
    redis_adapter *a = (redis_adapter *)base;
    sio_buf json;
    sio_buf_init(&json, 0);
    sio_redis_bin *bins;
    sio_redis_packet packet;
    int rc = sio_redis_packet_make(a->nsp, p, &json, &bins, &packet);
    if (rc == SIO_OK) {
        sio_redis_request r = {.type = SIO_REDIS_SERVER_SIDE_EMIT, .data = packet.data};
        if (op) {
            ask(a, &r, op);
        } else {
            r.uid = a->uid;
            publish_request(a, &r);
        }
    }
    free(bins);
    sio_buf_free(&json);
    return rc;
}

/* --- life ------------------------------------------------------------------------------------ */

static void adapter_free(redis_adapter *a)
{
    free(a->nsp);
    free(a->pattern);
    free(a->bcast_channel);
    free(a->req_channel);
    free(a->resp_channel);
    free(a->own_resp_channel);
    free(a);
}

static void redis_destroy(sio_adapter *base)
{
    redis_adapter *a = (redis_adapter *)base;
    sio_redis_cluster *c = a->c;
    sio_redis_cluster_unroute(a);
    adapter_free(a);
    sio_redis_cluster_unref(c);
}

static const sio_adapter_ops redis_ops = {
    .name = "redis",
    .destroy = redis_destroy,
    .broadcast = redis_broadcast,
    .broadcast_with_ack = redis_broadcast_with_ack,
    .fetch_sockets = redis_fetch_sockets,
    .add_sockets = redis_add_sockets,
    .del_sockets = redis_del_sockets,
    .disconnect_sockets = redis_disconnect_sockets,
    .server_side_emit = redis_server_side_emit,
};

/* A channel name as a C string (NULL when out of memory). */
static char *terminated(sio_buf *b, int made)
{
    if (made != 0 || sio_buf_putc(b, 0) != 0) {
        sio_buf_free(b);
        return NULL;
    }
    return (char *)b->mem; /* headroom 0: the allocation */
}

sio_adapter *sio_redis_adapter_new(sio_namespace *nsp, void *cluster)
{
    sio_redis_cluster *c = cluster;
    redis_adapter *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    a->base = (sio_adapter){&redis_ops, nsp};
    a->c = c;
    const char *prefix = c->prefix, *name = sio_namespace_name(nsp);
    sio_buf b[5];
    for (int i = 0; i < 5; i++)
        sio_buf_init(&b[i], 0);
    bool ok = sio_redis_make_uid(a->uid) == 0 && (a->nsp = strdup(name)) &&
              (a->bcast_channel = terminated(&b[0], sio_redis_broadcast_channel(&b[0], prefix, name, NULL))) &&
              (a->pattern = terminated(&b[1], sio_buf_append(&b[1], a->bcast_channel, strlen(a->bcast_channel)) ||
                                                  sio_buf_putc(&b[1], '*'))) &&
              (a->req_channel = terminated(&b[2], sio_redis_request_channel(&b[2], prefix, name))) &&
              (a->resp_channel = terminated(&b[3], sio_redis_response_channel(&b[3], prefix, name, NULL))) &&
              (a->own_resp_channel = terminated(&b[4], sio_redis_response_channel(&b[4], prefix, name, a->uid)));
    if (!ok) {
        for (int i = 0; i < 5; i++)
            sio_buf_free(&b[i]);
        a->bcast_channel = a->pattern = a->req_channel = a->resp_channel = a->own_resp_channel = NULL;
        adapter_free(a);
        return NULL;
    }
    c->refs++;
    if (sio_redis_cluster_route(a) != SIO_OK) {
        redis_destroy(&a->base);
        return NULL;
    }
    return &a->base;
}
