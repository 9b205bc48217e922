/* What the files of the Redis adapter share (redis_adapter.h is what the
 * API layer sees): the cluster, one per server, and the adapter, one per
 * namespace.
 *
 *   redis_cluster.c   the link, routing of Redis messages to adapters,
 *                     publishing, counting the servers (PUBSUB NUMSUB)
 *   redis_adapter.c   the adapter's operations: this node's part, then the
 *                     message to the others
 *   redis_receive.c   messages of the other nodes and of the emitter:
 *                     broadcasts, requests (answered), responses (merged)
 *   redis_packet.c    an event as the core holds it <-> Node's packet */
#ifndef SIO_CLUSTER_REDIS_NODE_H
#define SIO_CLUSTER_REDIS_NODE_H

#include "cluster/redis_adapter.h"
#include "cluster/redis_codec.h"
#include "util/strmap.h"

typedef struct redis_query redis_query;

struct sio_redis_cluster {
    /* The API layer's reference until it closes the cluster, one per
     * adapter, one per reply owed to another node (redis_reply). */
    unsigned refs;
    sio_redis_link *link; /* NULL once closed */
    sio_redis_cluster_config cfg;
    char *prefix;
    strmap routes;        /* subscribed channel or pattern -> redis_adapter* */
    redis_query *queries; /* PUBSUB NUMSUB asked, not answered yet */
};

typedef struct redis_adapter {
    sio_adapter base;
    sio_redis_cluster *c;
    char uid[SIO_REDIS_UID_LEN + 1];
    char *nsp; /* the namespace's name */
    /* prefix#nsp#* (psubscribed), prefix#nsp#, prefix-request#nsp#,
     * prefix-response#nsp#, prefix-response#nsp#uid# */
    char *pattern, *bcast_channel, *req_channel, *resp_channel, *own_resp_channel;
} redis_adapter;

void sio_redis_cluster_unref(sio_redis_cluster *c);
/* Publishes an encoded message: SIO_OK, or SIO_EAGAIN (Redis away, too
 * much in flight, the cluster closed) or SIO_ENOMEM, and it is dropped. */
int sio_redis_cluster_publish(sio_redis_cluster *c, const char *channel, const sio_buf *msg);
/* Asks Redis how many servers serve the adapter's namespace and tells the
 * op (by its id) how many other nodes will answer. When Redis cannot
 * answer, the op is left to its timeout. */
void sio_redis_cluster_count_nodes(redis_adapter *a, const sio_op *op);
/* Routes the adapter's channels to it; SIO_OK or SIO_ENOMEM. */
int sio_redis_cluster_route(redis_adapter *a);
void sio_redis_cluster_unroute(redis_adapter *a);

/* Messages for an adapter, as they come from Redis. */
void sio_redis_receive_broadcast(redis_adapter *a, const char *channel, size_t channel_len, const void *data,
                             size_t len);
void sio_redis_receive_request(redis_adapter *a, const void *data, size_t len);
void sio_redis_receive_response(redis_adapter *a, const void *data, size_t len);

/* Node's packet {type: 2, data: [event, ...args], nsp} of an event. The
 * packet's strings point into `json` and `p`; `bins` is an array the
 * caller frees. Returns SIO_OK, SIO_EINVAL (args not an array) or
 * SIO_ENOMEM. */
int sio_redis_packet_make(const char *nsp, const sio_adapter_packet *p, sio_buf *json, sio_redis_bin **bins,
                      sio_redis_packet *out);

/* An event read from a packet's data (["event", ...args]): the name and the
 * arguments as the core takes them, owned by the struct. */
typedef struct redis_event {
    sio_adapter_packet p;
    char *event;
    sio_buf args;
    sio_binary *bins;
} redis_event;

/* Returns SIO_OK, SIO_EINVAL (not an array starting with a string) or
 * SIO_ENOMEM; free with sio_redis_event_free in every case. */
int sio_redis_event_read(const sio_redis_value *data, redis_event *out);
void sio_redis_event_free(redis_event *e);

#endif
