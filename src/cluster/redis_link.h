/* A link to one Redis server for the cluster adapter: two hiredis
 * asynchronous connections on the server's libuv loop, one for commands
 * (PUBLISH, PUBSUB NUMSUB) and one in subscriber mode, as Node's
 * @socket.io/redis-adapter uses a pub and a sub client.
 *
 * Redis comes and goes: the link reconnects with backoff (100 ms doubling to
 * 5 s), subscribes again to everything it was asked to, and reports each
 * change of state once (on_state). While it is down a publish is refused
 * (SIO_EAGAIN) rather than queued, and a publish that would put more than
 * max_pending bytes in flight is refused too, so memory stays bounded
 * whatever Redis does. Everything runs on the loop thread. */
#ifndef SIO_CLUSTER_REDIS_LINK_H
#define SIO_CLUSTER_REDIS_LINK_H

#include <stdbool.h>
#include <stddef.h>

/* Where Redis is: redis://[[user]:password@]host[:port][/db] (port 6379, db 0). */
typedef struct sio_redis_url {
    char host[256];
    int port;
    char user[128];     /* "" : none (AUTH password alone) */
    char password[256]; /* "" : no AUTH */
    int db;
} sio_redis_url;

/* Returns 0, or -1 with a one-line reason in `why`. */
int sio_redis_url_parse(const char *url, sio_redis_url *out, char *why, size_t why_len);

typedef struct sio_redis_link sio_redis_link;

typedef struct sio_redis_link_events {
    /* A message on a subscribed channel, or on a channel matching a
     * subscribed pattern (then `pattern` is that pattern, else NULL). The
     * bytes are valid during the call. */
    void (*on_message)(void *ctx, const char *pattern, const char *channel, size_t channel_len,
                       const void *data, size_t len);
    /* Up: both connections are there (and subscribed again). Down: `why`
     * says what failed. Called once per change; the first call at startup
     * tells whether Redis was there. */
    void (*on_state)(void *ctx, bool up, const char *why);
    void *ctx;
} sio_redis_link_events;

/* Starts connecting on `uv_loop` (a uv_loop_t *). max_pending: bytes of
 * publishes in flight (0: 8 MiB). NULL when out of memory. */
sio_redis_link *sio_redis_link_new(void *uv_loop, const sio_redis_url *url, const sio_redis_link_events *ev,
                                   size_t max_pending);
bool sio_redis_link_up(const sio_redis_link *l);

/* Subscriptions are kept and made again after every reconnection.
 * SIO_OK or SIO_ENOMEM. They are counted: a name subscribed twice is
 * unsubscribed from Redis by the second unsubscribe. */
int sio_redis_link_subscribe(sio_redis_link *l, const char *channel);
int sio_redis_link_psubscribe(sio_redis_link *l, const char *pattern);
void sio_redis_link_unsubscribe(sio_redis_link *l, const char *channel);
void sio_redis_link_punsubscribe(sio_redis_link *l, const char *pattern);

/* SIO_OK (sent, or queued in hiredis until written), SIO_EAGAIN (down, or
 * too much in flight: dropped and counted), SIO_ENOMEM. */
int sio_redis_link_publish(sio_redis_link *l, const char *channel, const void *data, size_t len);

/* PUBSUB NUMSUB channel: the number of subscribers, through `cb` on the
 * loop thread (err 0), or err SIO_EAGAIN when the link is down or goes down
 * first. cb is not called once the link is freed. */
typedef void (*sio_redis_count_cb)(void *ctx, long count, int err);
int sio_redis_link_numsub(sio_redis_link *l, const char *channel, sio_redis_count_cb cb, void *ctx);

/* Publishes refused so far. */
unsigned long sio_redis_link_dropped(const sio_redis_link *l);

/* Closes both connections and the link's handles; the memory goes when the
 * loop has run their close callbacks (the transport runs it at shutdown). */
void sio_redis_link_free(sio_redis_link *l);

#endif
