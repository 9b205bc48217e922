/* The Redis adapter: the namespaces of this server as nodes of a cluster of
 * Node's @socket.io/redis-adapter 8.3 (classic pub/sub, MessagePack), with
 * the same channels, server ids and messages (docs/cluster-protocol.md),
 * so that C and Node servers share one cluster and @socket.io/redis-emitter
 * reaches the clients of both.
 *
 * One cluster per server: one link to Redis (redis_link.h) on the server's
 * libuv loop, shared by the adapters of every namespace, each adapter with
 * its own uid as Node's are. The API layer makes the cluster, hands
 * sio_redis_adapter_new to sio_core_set_adapter with the cluster as its
 * `user`, and closes the cluster before the transport drains its loop.
 *
 * Everything runs on the loop thread. */
#ifndef SIO_CLUSTER_REDIS_ADAPTER_H
#define SIO_CLUSTER_REDIS_ADAPTER_H

#include <stdbool.h>

#include "cluster/redis_link.h"
#include "sio/sio_adapter.h"

typedef struct sio_redis_cluster sio_redis_cluster;

typedef struct sio_redis_cluster_config {
    void *uv_loop;             /* a uv_loop_t * */
    sio_redis_url url;
    const char *prefix;        /* channel key prefix; NULL: "socket.io" (Node's default) */
    unsigned requests_timeout; /* ms: the wait for other nodes' clients' acks */
    /* Each change of Redis's state, once (see sio_redis_link_events). */
    void (*on_state)(void *ctx, bool up, const char *why);
    /* Called after the cluster acted on the core from a loop callback of its
     * own (a message from another node, a reply of Redis): sessions may
     * have closed and timers moved, which the transport must take up. */
    void (*after_event)(void *ctx);
    void *ctx;
} sio_redis_cluster_config;

/* Starts connecting (Redis need not be there: the link retries). NULL when
 * out of memory. */
sio_redis_cluster *sio_redis_cluster_new(const sio_redis_cluster_config *cfg);

/* The adapter factory (sio_adapter_new_fn); `cluster` is the cluster. */
sio_adapter *sio_redis_adapter_new(sio_namespace *nsp, void *cluster);

/* Closes the link to Redis (its handles close on the next turns of the
 * loop) and lets go of the cluster: what remains of it goes with the last
 * adapter and the last reply owed to another node. Nothing is published
 * from then on. */
void sio_redis_cluster_close(sio_redis_cluster *c);

#endif
