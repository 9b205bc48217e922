/* The link to Redis (redis_link.h): hiredis's asynchronous API on the
 * server's libuv loop, through hiredis's own libuv adapter. Each of the two
 * connections has one timer, which either bounds a connection attempt
 * (hiredis 0.14 has no connect timeout of its own) or waits out the backoff
 * before the next one. */
#include "cluster/redis_link.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "sio.h"

#define CONNECT_TIMEOUT_MS 5000 /* a connection (and its AUTH) must be up within this */
#define CONNECT_CHECK_MS 50      /* how often a connection attempt is looked at */
#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 5000
#define DEFAULT_MAX_PENDING (8u << 20)

/* What the subscriber is subscribed to, each name with the number of
 * subscribe calls not yet undone: two adapters of one namespace (the old
 * and its replacement) may hold the same channel for a while. */
typedef struct sub_list {
    char **names;
    unsigned *refs;
    size_t n;
} sub_list;

typedef struct link_conn {
    sio_redis_link *l;
    redisAsyncContext *ac; /* NULL: none, the timer waits to make one */
    bool tcp_up;           /* hiredis is connected */
    int setup_pending;     /* AUTH / SELECT not answered yet */
    bool connected;        /* both: the connection is usable */
    bool subscriber;
    unsigned backoff_ms;
    uint64_t started; /* of the attempt, in the loop's ms */
    uv_timer_t timer;
} link_conn;

struct sio_redis_link {
    uv_loop_t *loop;
    sio_redis_url url;
    sio_redis_link_events ev;
    link_conn cmd, sub;
    sub_list channels, patterns;
    size_t pending, max_pending; /* bytes of publishes not yet answered */
    unsigned long dropped;
    int reported; /* -1 nothing yet, 0 down, 1 up */
    bool freeing;
    int open_handles;
};

/* --- the URL -------------------------------------------------------------------- */

static int url_fail(char *why, size_t why_len, const char *url, const char *what)
{
    if (why && why_len)
        snprintf(why, why_len, "bad Redis URL \"%s\": %s", url, what);
    return -1;
}

int sio_redis_url_parse(const char *url, sio_redis_url *out, char *why, size_t why_len)
{
    memset(out, 0, sizeof(*out));
    out->port = 6379;
    static const char scheme[] = "redis://";
    if (!url || strncmp(url, scheme, sizeof(scheme) - 1) != 0)
        return url_fail(why, why_len, url ? url : "", "it must start with redis://");
    const char *p = url + sizeof(scheme) - 1;
    const char *end = p + strcspn(p, "/");
    const char *at = memrchr(p, '@', (size_t)(end - p));
    if (at) { /* [user]:password@ */
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (!colon)
            return url_fail(why, why_len, url, "credentials are [user]:password@");
        if ((size_t)(colon - p) >= sizeof(out->user) || (size_t)(at - colon - 1) >= sizeof(out->password))
            return url_fail(why, why_len, url, "credentials too long");
        memcpy(out->user, p, (size_t)(colon - p));
        memcpy(out->password, colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    const char *hend = end;
    const char *colon = memrchr(p, ':', (size_t)(end - p));
    if (colon) {
        char *e;
        long port = strtol(colon + 1, &e, 10);
        if (e != end || colon + 1 == end || port < 1 || port > 65535)
            return url_fail(why, why_len, url, "the port must be 1 to 65535");
        out->port = (int)port;
        hend = colon;
    }
    if (hend == p || (size_t)(hend - p) >= sizeof(out->host))
        return url_fail(why, why_len, url, "no host");
    memcpy(out->host, p, (size_t)(hend - p));
    if (*end == '/' && end[1]) {
        char *e;
        long db = strtol(end + 1, &e, 10);
        if (*e || db < 0 || db > 65535)
            return url_fail(why, why_len, url, "the database must be a number");
        out->db = (int)db;
    }
    return 0;
}

/* --- state ------------------------------------------------------------------------ */

static void went_down(sio_redis_link *l, const char *why)
{
    if (l->freeing || l->reported == 0)
        return;
    l->reported = 0;
    if (l->ev.on_state)
        l->ev.on_state(l->ev.ctx, false, why && *why ? why : "connection lost");
}

static void maybe_up(sio_redis_link *l)
{
    if (l->freeing || l->reported == 1 || !l->cmd.connected || !l->sub.connected)
        return;
    l->reported = 1;
    if (l->ev.on_state)
        l->ev.on_state(l->ev.ctx, true, NULL);
}

bool sio_redis_link_up(const sio_redis_link *l) { return l->reported == 1; }
unsigned long sio_redis_link_dropped(const sio_redis_link *l) { return l->dropped; }

static void on_timer(uv_timer_t *t);

/* The next attempt, after the backoff. */
static void retry_later(link_conn *c)
{
    c->ac = NULL;
    c->connected = c->tcp_up = false;
    c->setup_pending = 0;
    if (c->l->freeing)
        return;
    uv_timer_start(&c->timer, on_timer, c->backoff_ms, 0);
    c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
}

/* --- the subscriber's messages ---------------------------------------------------- */

static bool is_str(const redisReply *r)
{
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* ["message", channel, data] or ["pmessage", pattern, channel, data]; the
 * confirmations of (p)subscribe are not messages. */
static void on_sub_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    link_conn *c = ac->data;
    redisReply *r = reply;
    if (!r || !c || c->l->freeing || r->type != REDIS_REPLY_ARRAY || r->elements < 3 || !is_str(r->element[0]))
        return;
    sio_redis_link *l = c->l;
    const char *kind = r->element[0]->str;
    const char *pattern = NULL;
    redisReply *ch, *data;
    if (strcmp(kind, "message") == 0) {
        ch = r->element[1];
        data = r->element[2];
    } else if (strcmp(kind, "pmessage") == 0 && r->elements >= 4) {
        pattern = is_str(r->element[1]) ? r->element[1]->str : NULL;
        ch = r->element[2];
        data = r->element[3];
    } else {
        return;
    }
    if (is_str(ch) && is_str(data) && l->ev.on_message)
        l->ev.on_message(l->ev.ctx, pattern, ch->str, ch->len, data->str, data->len);
}

static void subscribe_one(link_conn *c, const char *verb, const char *name)
{
    const char *argv[2] = {verb, name};
    size_t lens[2] = {strlen(verb), strlen(name)};
    redisAsyncCommandArgv(c->ac, on_sub_reply, NULL, 2, argv, lens);
}

/* --- connections ------------------------------------------------------------------- */

static void conn_ready(link_conn *c);

/* An answer to AUTH or SELECT: an error there leaves the connection useless
 * (wrong password, no such database): it is closed and tried again later. */
static void on_setup_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    link_conn *c = ac->data;
    redisReply *r = reply;
    if (!r || !c || c->l->freeing)
        return;
    if (r->type != REDIS_REPLY_ERROR) {
        c->setup_pending--;
        conn_ready(c);
        return;
    }
    char why[300];
    snprintf(why, sizeof(why), "%s refused: %s", (const char *)priv, r->str);
    went_down(c->l, why);
    redisAsyncDisconnect(ac);
}

/* Usable once connected and its AUTH / SELECT are answered. */
static void conn_ready(link_conn *c)
{
    if (!c->tcp_up || c->setup_pending || c->connected)
        return;
    uv_timer_stop(&c->timer);
    c->connected = true;
    c->backoff_ms = BACKOFF_FIRST_MS;
    maybe_up(c->l);
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    link_conn *c = ac->data;
    if (!c)
        return;
    if (status != REDIS_OK) { /* hiredis frees the context after this */
        uv_timer_stop(&c->timer);
        went_down(c->l, ac->errstr);
        retry_later(c);
        return;
    }
    c->tcp_up = true;
    conn_ready(c);
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    link_conn *c = ac->data;
    if (!c || c->l->freeing)
        return;
    went_down(c->l, status == REDIS_OK ? "closed" : ac->errstr);
    retry_later(c); /* hiredis frees the context after this */
}

static void conn_start(link_conn *c)
{
    sio_redis_link *l = c->l;
    redisAsyncContext *ac = redisAsyncConnect(l->url.host, l->url.port);
    if (!ac || ac->err || redisLibuvAttach(ac, l->loop) != REDIS_OK) {
        went_down(l, ac && ac->err ? ac->errstr : "cannot connect");
        if (ac)
            redisAsyncFree(ac);
        retry_later(c);
        return;
    }
    ac->data = c;
    c->ac = ac;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    /* Queued now, written once connected, in this order. */
    if (l->url.password[0]) {
        const char *argv[3] = {"AUTH", l->url.user, l->url.password};
        size_t lens[3] = {4, strlen(l->url.user), strlen(l->url.password)};
        if (l->url.user[0])
            redisAsyncCommandArgv(ac, on_setup_reply, "AUTH", 3, argv, lens);
        else
            redisAsyncCommandArgv(ac, on_setup_reply, "AUTH", 2, (const char *[]){"AUTH", l->url.password},
                                  (size_t[]){4, lens[2]});
        c->setup_pending++;
    }
    if (c->subscriber) {
        for (size_t i = 0; i < l->channels.n; i++)
            subscribe_one(c, "SUBSCRIBE", l->channels.names[i]);
        for (size_t i = 0; i < l->patterns.n; i++)
            subscribe_one(c, "PSUBSCRIBE", l->patterns.names[i]);
    } else if (l->url.db) {
        char db[16];
        snprintf(db, sizeof(db), "%d", l->url.db);
        redisAsyncCommandArgv(ac, on_setup_reply, "SELECT", 2, (const char *[]){"SELECT", db},
                              (size_t[]){6, strlen(db)});
        c->setup_pending++;
    }
    c->started = uv_now(l->loop);
    uv_timer_start(&c->timer, on_timer, CONNECT_CHECK_MS, CONNECT_CHECK_MS);
}

/* While connecting: whether the attempt failed or took too long. hiredis
 * 0.14's libuv adapter drops the error libuv reports for a refused connect,
 * so the attempt would only end at the timeout; the socket's pending error
 * tells at once. Otherwise the backoff is over: the next attempt. */
static void on_timer(uv_timer_t *t)
{
    link_conn *c = t->data;
    if (c->l->freeing)
        return;
    if (!c->ac) {
        conn_start(c);
        return;
    }
    if (c->connected)
        return;
    int err = 0;
    socklen_t len = sizeof(err);
    if (!c->tcp_up && getsockopt(c->ac->c.fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = 0;
    if (!err && uv_now(c->l->loop) - c->started < CONNECT_TIMEOUT_MS)
        return; /* still connecting (or waiting for AUTH / SELECT) */
    redisAsyncContext *ac = c->ac;
    ac->data = NULL; /* no callbacks for it any more */
    c->ac = NULL;
    redisAsyncFree(ac);
    went_down(c->l, err ? strerror(err) : "connection attempt timed out");
    uv_timer_stop(&c->timer);
    retry_later(c);
}

static void conn_init(sio_redis_link *l, link_conn *c, bool subscriber)
{
    c->l = l;
    c->subscriber = subscriber;
    c->backoff_ms = BACKOFF_FIRST_MS;
    uv_timer_init(l->loop, &c->timer);
    c->timer.data = c;
    l->open_handles++;
}

sio_redis_link *sio_redis_link_new(void *uv_loop, const sio_redis_url *url, const sio_redis_link_events *ev,
                                   size_t max_pending)
{
    sio_redis_link *l = calloc(1, sizeof(*l));
    if (!l)
        return NULL;
    l->loop = uv_loop;
    l->url = *url;
    l->ev = *ev;
    l->max_pending = max_pending ? max_pending : DEFAULT_MAX_PENDING;
    l->reported = -1;
    conn_init(l, &l->cmd, false);
    conn_init(l, &l->sub, true);
    conn_start(&l->cmd);
    conn_start(&l->sub);
    return l;
}

/* --- subscriptions ----------------------------------------------------------------- */

/* Adds a reference to `name`; *fresh tells whether it was not there. */
static int remember(sub_list *s, const char *name, bool *fresh)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) == 0) {
            s->refs[i]++;
            *fresh = false;
            return SIO_OK;
        }
    }
    char **names = realloc(s->names, (s->n + 1) * sizeof(*names));
    if (names)
        s->names = names;
    unsigned *refs = names ? realloc(s->refs, (s->n + 1) * sizeof(*refs)) : NULL;
    if (refs)
        s->refs = refs;
    if (!names || !refs || !(names[s->n] = strdup(name)))
        return SIO_ENOMEM;
    refs[s->n++] = 1;
    *fresh = true;
    return SIO_OK;
}

/* Drops a reference to `name`; true when it was the last one. */
static bool forget(sub_list *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->names[i], name) != 0)
            continue;
        if (--s->refs[i])
            return false;
        free(s->names[i]);
        s->names[i] = s->names[s->n - 1];
        s->refs[i] = s->refs[s->n - 1];
        s->n--;
        return true;
    }
    return false;
}

static void sub_list_free(sub_list *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->names[i]);
    free(s->names);
    free(s->refs);
}

static int subscribe(sio_redis_link *l, sub_list *s, const char *verb, const char *name)
{
    bool fresh;
    int rc = remember(s, name, &fresh);
    if (rc == SIO_OK && fresh && l->sub.ac)
        subscribe_one(&l->sub, verb, name);
    return rc;
}

static void unsubscribe(sio_redis_link *l, sub_list *s, const char *verb, const char *name)
{
    if (forget(s, name) && l->sub.ac)
        subscribe_one(&l->sub, verb, name);
}

int sio_redis_link_subscribe(sio_redis_link *l, const char *channel)
{
    return subscribe(l, &l->channels, "SUBSCRIBE", channel);
}

int sio_redis_link_psubscribe(sio_redis_link *l, const char *pattern)
{
    return subscribe(l, &l->patterns, "PSUBSCRIBE", pattern);
}

void sio_redis_link_unsubscribe(sio_redis_link *l, const char *channel)
{
    unsubscribe(l, &l->channels, "UNSUBSCRIBE", channel);
}

void sio_redis_link_punsubscribe(sio_redis_link *l, const char *pattern)
{
    unsubscribe(l, &l->patterns, "PUNSUBSCRIBE", pattern);
}

/* --- commands ---------------------------------------------------------------------- */

static void on_publish_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    link_conn *c = ac->data;
    if (c)
        c->l->pending -= (size_t)(uintptr_t)priv;
}

int sio_redis_link_publish(sio_redis_link *l, const char *channel, const void *data, size_t len)
{
    if (!l->cmd.connected || l->pending + len > l->max_pending) {
        l->dropped++;
        return SIO_EAGAIN;
    }
    const char *argv[3] = {"PUBLISH", channel, data};
    size_t lens[3] = {7, strlen(channel), len};
    if (redisAsyncCommandArgv(l->cmd.ac, on_publish_reply, (void *)(uintptr_t)len, 3, argv, lens) != REDIS_OK)
        return SIO_ENOMEM;
    l->pending += len;
    return SIO_OK;
}

typedef struct count_req {
    sio_redis_count_cb cb;
    void *ctx;
} count_req;

static void on_count_reply(redisAsyncContext *ac, void *reply, void *priv)
{
    count_req *q = priv;
    link_conn *c = ac->data;
    redisReply *r = reply;
    if (c && !c->l->freeing) {
        if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 && r->element[1]->type == REDIS_REPLY_INTEGER)
            q->cb(q->ctx, (long)r->element[1]->integer, 0);
        else
            q->cb(q->ctx, 0, SIO_EAGAIN);
    }
    free(q);
}

int sio_redis_link_numsub(sio_redis_link *l, const char *channel, sio_redis_count_cb cb, void *ctx)
{
    if (!l->cmd.connected)
        return SIO_EAGAIN;
    count_req *q = malloc(sizeof(*q));
    if (!q)
        return SIO_ENOMEM;
    *q = (count_req){cb, ctx};
    const char *argv[3] = {"PUBSUB", "NUMSUB", channel};
    size_t lens[3] = {6, 6, strlen(channel)};
    if (redisAsyncCommandArgv(l->cmd.ac, on_count_reply, q, 3, argv, lens) != REDIS_OK) {
        free(q);
        return SIO_ENOMEM;
    }
    return SIO_OK;
}

/* --- the end ------------------------------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h)
{
    link_conn *c = h->data;
    sio_redis_link *l = c->l;
    if (--l->open_handles)
        return;
    sub_list_free(&l->channels);
    sub_list_free(&l->patterns);
    free(l);
}

void sio_redis_link_free(sio_redis_link *l)
{
    if (!l)
        return;
    l->freeing = true;
    link_conn *conns[2] = {&l->cmd, &l->sub};
    for (int i = 0; i < 2; i++) {
        link_conn *c = conns[i];
        if (c->ac) {
            redisAsyncContext *ac = c->ac;
            c->ac = NULL;
            redisAsyncFree(ac); /* answers what is pending with no reply */
        }
        c->connected = c->tcp_up = false;
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->timer, on_handle_closed);
    }
}
