/* The public Socket.IO server (include/sio.h): wires the core to the
 * transport and runs the loop. */
#include "sio.h"

#include <stdio.h>
#include <string.h>

#include "cluster/redis_adapter.h"
#include "msgpack/mp_parser.h"
#include "sio/sio_core.h"
#include "transport/transport.h"

/* A response under construction is the transport's. */
struct sio_http_response {
    transport_http_response r;
};

int sio_http_reply(sio_http_response *res, unsigned status, const char *content_type, const void *body,
                   size_t len)
{
    res->r.status = status;
    res->r.content_type = content_type;
    sio_buf_reset(&res->r.body);
    return sio_buf_append(&res->r.body, body, len) ? SIO_ENOMEM : SIO_OK;
}

void sio_http_set_etag(sio_http_response *res, const char *etag)
{
    snprintf(res->r.etag, sizeof(res->r.etag), "%s", etag ? etag : "");
}

void sio_http_set_cache_control(sio_http_response *res, const char *value) { res->r.cache_control = value; }

static bool on_http(void *ctx, const transport_http_request *req, transport_http_response *res)
{
    sio_server *srv = ctx;
    if (!srv->opt.http_handler)
        return false;
    sio_http_request r = {req->method, req->path,         req->query, req->authorization,
                          req->content_type, req->if_none_match, req->body, req->body_len, req->address};
    return srv->opt.http_handler(&r, (sio_http_response *)res, srv->opt.http_user);
}

static void on_http_refusal(void *ctx, const transport_http_request *req, unsigned status, const char *reason,
                            transport_http_response *res)
{
    sio_server *srv = ctx;
    sio_http_request r = {req->method, req->path,         req->query, req->authorization,
                          req->content_type, req->if_none_match, NULL, 0, req->address};
    srv->opt.http_refusal(&r, status, reason, (sio_http_response *)res, srv->opt.http_user);
}

/* libwebsockets' own lines, in the application's log. */
static void on_lws_log(void *ctx, int level, const char *line)
{
    sio_log_field source = {"source", "libwebsockets", 0};
    sio_log(ctx, level, line, &source, 1);
}

/* The transport's own lines, as they are. */
static void on_notice(void *ctx, int level, const char *line) { sio_log(ctx, level, line, NULL, 0); }

/* How loud a refusal is. What a page load or a client after a restart does
 * every day is debug: a 404 for a GET or HEAD (a browser's /favicon.ico), a
 * session id that is no more. A request a client of ours would not make is
 * info; a refused origin, a request that breaks HTTP's rules or the
 * server's limits, and a connection over the cap, which the operator may
 * have to act on, a warning. Each refused request is one line at most. */
static int refusal_level(const transport_refusal *r)
{
    if (r->status == 404)
        return strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0 ? 3 : 2;
    if (r->code == EIO_ERR_UNKNOWN_SID)
        return 3;
    if (r->code >= 0 && r->code != EIO_ERR_FORBIDDEN)
        return 2;
    return 1;
}

static void on_refused(void *ctx, const transport_refusal *r)
{
    sio_server *srv = ctx;
    sio_log_field f[6], *p = f;
    *p++ = (sio_log_field){"status", NULL, r->status};
    if (r->code >= 0)
        *p++ = (sio_log_field){"code", NULL, r->code};
    *p++ = (sio_log_field){"reason", r->reason, 0};
    *p++ = (sio_log_field){"method", r->method, 0};
    *p++ = (sio_log_field){"path", r->path, 0};
    *p++ = (sio_log_field){"address", r->address, 0};
    sio_log(srv, refusal_level(r), "refused", f, (size_t)(p - f));
}

/* On an application's loop: the stop is complete. What sio_server_run does
 * after its loop, then the application's callback. */
static void on_stopped(void *ctx)
{
    sio_server *srv = ctx;
    sio_core_close_posts(srv);
    if (srv->opt.on_stopped)
        srv->opt.on_stopped(srv, srv->opt.on_stopped_user);
}

static void wake(void *transport) { transport_wake(transport); }
static void on_wake(void *ctx) { sio_core_run_posted(ctx); }
static int64_t next_deadline(void *ctx) { return sio_core_next_deadline(ctx); }
static void tick(void *ctx, int64_t now) { sio_core_tick(ctx, now); }

_Static_assert(SIO_ENOMEM == (int)TRANSPORT_ENOMEM && SIO_EADDRINUSE == (int)TRANSPORT_EADDRINUSE &&
                   SIO_EADDRNOTAVAIL == (int)TRANSPORT_EADDRNOTAVAIL && SIO_EACCES == (int)TRANSPORT_EACCES &&
                   SIO_EEVENTLOOP == (int)TRANSPORT_EEVENTLOOP && SIO_ELISTEN == (int)TRANSPORT_ELISTEN &&
                   SIO_ETLS == (int)TRANSPORT_ETLS,
               "the public codes are the transport's");

sio_server *sio_server_new(const sio_options *o)
{
    char why[256];
    sio_server *srv = NULL;
    if (sio_server_create(o, &srv, why, sizeof(why)) != SIO_OK)
        fprintf(stderr, "%s\n", why);
    return srv;
}

/* The application's allow_request, through the transport. */
static bool allow_request(void *ctx, const sio_request *req, const char **message)
{
    sio_server *srv = ctx;
    return srv->opt.allow_request(req, message, srv->opt.allow_request_user);
}

/* --- the cluster ---------------------------------------------------------------- */

static void log_line(sio_server *srv, int level, const char *line) { sio_log(srv, level, line, NULL, 0); }

static void on_cluster_state(void *ctx, bool up, const char *why)
{
    sio_server *srv = ctx;
    char line[400];
    if (up)
        snprintf(line, sizeof(line), "cluster: Redis is up, this server is a node of the cluster");
    else
        snprintf(line, sizeof(line), "cluster: Redis is down (%s): serving this server's clients only",
                 why ? why : "unknown");
    log_line(srv, up ? 2 : 1, line);
}

static void on_cluster_event(void *ctx)
{
    sio_server *srv = ctx;
    transport_settle(srv->transport);
}

/* Joins the cluster of o->redis_url: the link on the transport's loop, and
 * every namespace's adapter (now and later) a Redis adapter. */
static int join_cluster(sio_server *srv, const sio_options *o, char *why, size_t why_len)
{
    sio_redis_cluster_config cfg = {
        .uv_loop = transport_uv_loop(srv->transport),
        .requests_timeout = srv->opt.requests_timeout,
        .on_state = on_cluster_state,
        .after_event = on_cluster_event,
        .ctx = srv,
    };
    char reason[300];
    if (sio_redis_url_parse(o->redis_url, &cfg.url, reason, sizeof(reason)) != 0) {
        if (why && why_len)
            snprintf(why, why_len, "%s", reason);
        return SIO_EINVAL;
    }
    sio_redis_cluster *c = sio_redis_cluster_new(&cfg);
    if (!c)
        return SIO_ENOMEM;
    srv->cluster = c;
    if (sio_core_set_adapter(srv, sio_redis_adapter_new, c) != SIO_OK)
        return SIO_ENOMEM;
    char line[400];
    snprintf(line, sizeof(line), "cluster: joining through Redis at %s:%d/%d", cfg.url.host, cfg.url.port,
             cfg.url.db);
    log_line(srv, 2, line);
    if (o->connection_state_recovery)
        log_line(srv, 1,
                 "cluster: connection state recovery is unavailable: the Redis adapter keeps no sessions "
                 "(as Node's); reconnecting clients get new sessions");
    return SIO_OK;
}

int sio_server_create(const sio_options *o, sio_server **out, char *why, size_t why_len)
{
    *out = NULL;
    if (why && why_len)
        snprintf(why, why_len, "out of memory");
    const char *bad = NULL;
    if (!sio_ranges_valid(o->trusted_proxies, o->n_trusted_proxies, &bad)) {
        if (why && why_len)
            snprintf(why, why_len, "trusted proxy \"%s\" is neither an address nor a CIDR block",
                     bad ? bad : "(null)");
        return SIO_EINVAL;
    }
    http_cookie cookie = {o->cookie_name, o->cookie_path, o->cookie_domain, o->cookie_same_site,
                          o->cookie_http_only, o->cookie_secure, o->cookie_max_age};
    const char *fault;
    if (cookie.name && !http_cookie_valid(&cookie, &fault)) {
        if (why && why_len)
            snprintf(why, why_len, "cookie \"%s\": %s", cookie.name, fault);
        return SIO_EINVAL;
    }
    if (o->parser != SIO_PARSER_DEFAULT && o->parser != SIO_PARSER_MSGPACK) {
        if (why && why_len)
            snprintf(why, why_len, "unknown parser %d", (int)o->parser);
        return SIO_EINVAL;
    }
    sio_server *srv = sio_core_new(o);
    if (!srv)
        return SIO_ENOMEM;
    sio_core_set_parser(srv, o->parser == SIO_PARSER_MSGPACK ? &sio_parser_msgpack : &sio_parser_json);
    srv->clock = transport_now_ms;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.ping_interval = o->ping_interval;
    eo.ping_timeout = o->ping_timeout;
    eo.upgrade_timeout = o->upgrade_timeout;
    eo.max_payload = o->max_http_buffer_size;
    if (o->max_queue_bytes)
        eo.max_queue_bytes = o->max_queue_bytes;
    eo.max_total_queue_bytes = o->max_total_queue_bytes;
    if (o->transports) {
        eo.allow_polling = o->transports & SIO_TRANSPORT_POLLING;
        eo.allow_websocket = o->transports & SIO_TRANSPORT_WEBSOCKET;
    }
    eo.allow_upgrades = o->allow_upgrades;
    eo.allow_eio3 = o->allow_eio3;
    transport_config tc;
    transport_config_defaults(&tc);
    tc.bind_addr = o->bind_addr;
    tc.port = o->port;
    tc.path = o->path;
    tc.cors = (eio_cors){.origins = o->cors_origins, .n_origins = o->n_cors_origins,
                         .credentials = o->cors_credentials, .filter = o->origin_filter,
                         .filter_user = o->origin_user}; /* the transport adds its address */
    tc.http_handler = on_http;
    tc.http_ctx = srv;
    if (o->http_refusal)
        tc.http_refusal = on_http_refusal;
    if (o->max_http_body)
        tc.max_http_body = o->max_http_body;
    if (o->request_timeout)
        tc.request_timeout_ms = o->request_timeout;
    if (o->keep_alive_timeout)
        tc.keep_alive_secs = (o->keep_alive_timeout + 999) / 1000;
    tc.max_connections = o->max_connections;
    tc.on_refused = on_refused;
    tc.refused_ctx = srv;
    tc.on_wake = on_wake;
    tc.wake_ctx = srv;
    tc.next_deadline = next_deadline;
    tc.tick = tick;
    tc.timer_ctx = srv;
    if (o->log || o->log_record) {
        tc.log = on_lws_log;
        tc.notice = on_notice;
        tc.log_ctx = srv;
    }
    tc.trusted_proxies = o->trusted_proxies;
    tc.n_trusted_proxies = o->n_trusted_proxies;
    tc.extra_headers = o->extra_headers;
    tc.n_extra_headers = o->n_extra_headers;
    if (o->allow_request) {
        tc.allow_request = allow_request;
        tc.allow_ctx = srv;
    }
    tc.compress_threshold = o->http_compression ? (o->http_compression_threshold ? o->http_compression_threshold : 1)
                                                : 0;
    tc.cookie = cookie;
    tc.per_message_deflate = o->per_message_deflate;
    tc.deflate_threshold = o->per_message_deflate_threshold;
    tc.tls_cert = o->tls_cert;
    tc.tls_key = o->tls_key;
    tc.app_loop = o->uv_loop;
    tc.on_stopped = on_stopped;
    tc.stopped_ctx = srv;
    eio_handler h = sio_core_engine_handler(srv);
    transport_failure tf = {TRANSPORT_ENOMEM, "out of memory"};
    sio_transport *t = transport_new(&tc, &eo, &h, &tf);
    if (!t) {
        sio_core_free(srv);
        if (why && why_len)
            snprintf(why, why_len, "%s", tf.message);
        return (int)tf.code;
    }
    srv->transport = t;
    srv->wake = wake;
    srv->eng = transport_engine(t);
    if (o->redis_url) {
        int rc = join_cluster(srv, o, why, why_len);
        if (rc != SIO_OK) {
            sio_server_free(srv);
            return rc;
        }
    }
    *out = srv;
    return SIO_OK;
}

int sio_server_port(const sio_server *srv) { return transport_port(srv->transport); }

int sio_server_run(sio_server *srv)
{
    if (transport_on_app_loop(srv->transport))
        return SIO_ESTATE;
    int rc = transport_run(srv->transport);
    sio_core_close_posts(srv);
    return rc;
}

void sio_server_stop(sio_server *srv) { transport_stop(srv->transport); }
void sio_server_reload_tls(sio_server *srv) { transport_reload_tls(srv->transport); }

void sio_server_free(sio_server *srv)
{
    if (!srv)
        return;
    sio_core_close_posts(srv);
    /* The link's handles close while the transport drains its loop; what
     * the cluster still holds goes with the last adapter (sio_core_free). */
    sio_redis_cluster_close(srv->cluster);
    srv->cluster = NULL;
    transport_free(srv->transport); /* closes the sessions: the core hears of it */
    sio_core_free(srv);
}
