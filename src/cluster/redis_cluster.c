/* The cluster (redis_adapter.h, redis_node.h): one link to Redis for all
 * the namespaces of a server, the routes from subscribed channels to their
 * adapters, and the server counts Node's way (PUBSUB NUMSUB on a
 * namespace's request channel). */
#include <stdlib.h>
#include <string.h>

#include "cluster/redis_node.h"

/* A PUBSUB NUMSUB asked for an op, known by its id: the op may end (its
 * timeout) before Redis answers. Listed so that the cluster frees those the
 * link will no longer answer once it is closed. */
struct redis_query {
    redis_query *prev, *next;
    sio_redis_cluster *c;
    sio_server *srv;
    char op_id[64];
};

static void query_unlink(redis_query *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        q->c->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
}

static void on_count(void *ctx, long count, int err)
{
    redis_query *q = ctx;
    sio_redis_cluster *c = q->c;
    query_unlink(q);
    sio_op *op = err ? NULL : sio_op_find(q->srv, q->op_id);
    free(q);
    if (!op)
        return; /* ended already, or Redis went away: the op ends at its timeout */
    /* The count includes this server. */
    sio_op_expect_nodes(op, count > 1 ? (unsigned)(count - 1) : 0);
    if (c->cfg.after_event)
        c->cfg.after_event(c->cfg.ctx);
}

void sio_redis_cluster_count_nodes(redis_adapter *a, const sio_op *op)
{
    sio_redis_cluster *c = a->c;
    const char *id = sio_op_id(op);
    redis_query *q = c->link ? calloc(1, sizeof(*q)) : NULL;
    if (!q || strlen(id) >= sizeof(q->op_id)) {
        free(q);
        return;
    }
    q->c = c;
    q->srv = sio_adapter_server(&a->base);
    strcpy(q->op_id, id);
    q->next = c->queries;
    if (q->next)
        q->next->prev = q;
    c->queries = q;
    if (sio_redis_link_numsub(c->link, a->req_channel, on_count, q) != SIO_OK) {
        query_unlink(q);
        free(q);
    }
}

int sio_redis_cluster_publish(sio_redis_cluster *c, const char *channel, const sio_buf *msg)
{
    if (!c->link)
        return SIO_EAGAIN;
    return sio_redis_link_publish(c->link, channel, msg->data, msg->len);
}

/* --- routes ------------------------------------------------------------------------ */

/* The adapter's pattern first, then its channels. */
enum { N_ROUTES = 4 };
static void route_keys(const redis_adapter *a, const char *keys[N_ROUTES])
{
    keys[0] = a->pattern;
    keys[1] = a->req_channel;
    keys[2] = a->resp_channel;
    keys[3] = a->own_resp_channel;
}

int sio_redis_cluster_route(redis_adapter *a)
{
    sio_redis_cluster *c = a->c;
    const char *keys[N_ROUTES];
    size_t n = N_ROUTES;
    route_keys(a, keys);
    for (size_t i = 0; i < n; i++)
        if (strmap_put(&c->routes, keys[i], strlen(keys[i]), a))
            return SIO_ENOMEM;
    if (!c->link)
        return SIO_OK;
    int rc = sio_redis_link_psubscribe(c->link, a->pattern);
    for (size_t i = 1; i < n && rc == SIO_OK; i++)
        rc = sio_redis_link_subscribe(c->link, keys[i]);
    return rc;
}

void sio_redis_cluster_unroute(redis_adapter *a)
{
    sio_redis_cluster *c = a->c;
    const char *keys[N_ROUTES];
    size_t n = N_ROUTES;
    route_keys(a, keys);
    for (size_t i = 0; i < n; i++) {
        if (!keys[i])
            continue;
        /* A replacement adapter of the same namespace may have the route now. */
        if (strmap_get(&c->routes, keys[i], strlen(keys[i])) == a)
            strmap_del(&c->routes, keys[i], strlen(keys[i]));
        if (c->link && i == 0)
            sio_redis_link_punsubscribe(c->link, keys[i]);
        else if (c->link)
            sio_redis_link_unsubscribe(c->link, keys[i]);
    }
}

/* A message from Redis: to the adapter of its pattern (broadcasts) or of
 * its channel (requests and responses). */
static void on_message(void *ctx, const char *pattern, const char *channel, size_t channel_len, const void *data,
                       size_t len)
{
    sio_redis_cluster *c = ctx;
    redis_adapter *a = pattern ? strmap_get(&c->routes, pattern, strlen(pattern))
                               : strmap_get(&c->routes, channel, channel_len);
    if (!a)
        return;
    if (pattern)
        sio_redis_receive_broadcast(a, channel, channel_len, data, len);
    else if (strlen(a->req_channel) == channel_len && memcmp(a->req_channel, channel, channel_len) == 0)
        sio_redis_receive_request(a, data, len);
    else
        sio_redis_receive_response(a, data, len);
    if (c->cfg.after_event)
        c->cfg.after_event(c->cfg.ctx);
}

static void on_state(void *ctx, bool up, const char *why)
{
    sio_redis_cluster *c = ctx;
    if (c->cfg.on_state)
        c->cfg.on_state(c->cfg.ctx, up, why);
}

/* --- life ------------------------------------------------------------------------------ */

sio_redis_cluster *sio_redis_cluster_new(const sio_redis_cluster_config *cfg)
{
    sio_redis_cluster *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->refs = 1;
    c->cfg = *cfg;
    strmap_init(&c->routes);
    c->prefix = strdup(cfg->prefix ? cfg->prefix : "socket.io");
    c->cfg.prefix = c->prefix;
    sio_redis_link_events ev = {on_message, on_state, c};
    if (!c->prefix || !(c->link = sio_redis_link_new(cfg->uv_loop, &cfg->url, &ev, 0))) {
        free(c->prefix);
        free(c);
        return NULL;
    }
    return c;
}

void sio_redis_cluster_unref(sio_redis_cluster *c)
{
    if (--c->refs)
        return;
    strmap_free(&c->routes);
    free(c->prefix);
    free(c);
}

void sio_redis_cluster_close(sio_redis_cluster *c)
{
    if (!c)
        return;
    sio_redis_link_free(c->link); /* answers no more queries */
    c->link = NULL;
    while (c->queries) {
        redis_query *q = c->queries;
        query_unlink(q);
        free(q);
    }
    sio_redis_cluster_unref(c);
}
