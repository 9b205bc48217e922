/* libwebsockets binding of the Engine.IO engine: the loop, the timers, the
 * protocol callback and the lifecycle. See transport.h; the HTTP side is in
 * lws_http.c, the WebSocket side in lws_ws.c, request reading in
 * lws_request.c. */
#include "transport/lws_internal.h"

#include "transport/listen_check.h"

#include <signal.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <malloc.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

_Static_assert(LWS_PRE + 1 <= SIO_HEADROOM, "SIO_HEADROOM must cover LWS_PRE and the v3 type byte");

#define STOP_GRACE_MS 2000
/* File descriptors kept for what is not a connection (stdio, the loop's own,
 * files being served, Redis): the connection cap stays this far below the
 * descriptor limit, so accept() does not fail with EMFILE (lws would retry
 * it in a busy loop). */
#define FD_RESERVE 64

int64_t transport_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void close_conn(void *ctx, eio_conn *c)
{
    pss *p = pss_of(c);
    p->close_requested = true;
    lws_callback_on_writable(p->wsi);
}

/* A network failure, on purpose (eio_session_abort): the TCP connection is
 * reset (SO_LINGER 0: no FIN, no WebSocket close, no HTTP answer) as soon
 * as lws next checks its timeouts, which the wake brings forward. */
static void abort_conn(void *ctx, eio_conn *c)
{
    pss *p = pss_of(c);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(lws_get_socket_fd(p->wsi), SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    p->close_requested = true;
    lws_set_timeout(p->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    lws_cancel_service(((sio_transport *)ctx)->ctx);
}

/* --- timers --------------------------------------------------------------- */

static void reschedule(sio_transport *t);

static void on_timer(lws_sorted_usec_list_t *sul)
{
    sio_transport *t = lws_container_of(sul, sio_transport, sul);
    t->scheduled = INT64_MAX;
    int64_t now = transport_now_ms();
    eio_engine_tick(t->eng, now);
    if (t->cfg.tick)
        t->cfg.tick(t->cfg.timer_ctx, now);
    transport_after_event(t);
    /* lws runs due timers before it waits: what they queued (pings) must
     * leave now, not after the wait. */
    transport_flush_writes(t);
}

static void reschedule(sio_transport *t)
{
    int64_t d = eio_engine_next_deadline(t->eng);
    if (t->cfg.next_deadline) {
        int64_t u = t->cfg.next_deadline(t->cfg.timer_ctx);
        if (u < d)
            d = u;
    }
    if (t->stopping && t->stop_deadline < d)
        d = t->stop_deadline;
    if (d == t->scheduled)
        return;
    t->scheduled = d;
    if (d == INT64_MAX) {
        lws_sul_cancel(&t->sul);
        return;
    }
    /* At least 1 ms: libuv runs a timer re-armed at 0 from its own callback
     * again at once, without returning (a past stop deadline would spin). */
    int64_t delay = d - transport_now_ms();
    lws_sul_schedule(t->ctx, 0, &t->sul, on_timer, (delay > 1 ? delay : 1) * LWS_US_PER_MS);
}

/* Memory a burst of queued messages took goes back to the system once the
 * queues have drained: glibc keeps freed heap memory that is not at the top
 * of the heap, and RSS would stay at the burst's high-water mark. */
#define TRIM_AFTER_BYTES (8u << 20)

static void trim_after_burst(sio_transport *t)
{
    size_t q = eio_engine_queued_bytes(t->eng);
    if (q > t->queue_peak) {
        t->queue_peak = q;
    } else if (t->queue_peak >= TRIM_AFTER_BYTES && q < t->queue_peak / 16) {
        malloc_trim(0);
        t->queue_peak = q;
    }
}

/* Work after any event: free what closed, move the timer. */
void transport_after_event(sio_transport *t)
{
    eio_engine_reap(t->eng);
    trim_after_burst(t);
    reschedule(t);
}

/* --- TLS ------------------------------------------------------------------------ */

/* Loads the certificate and key files again into the vhost that uses them
 * (lws reports a file it cannot use through its log, and keeps serving). */
static void reload_tls(sio_transport *t)
{
    if (!t->cfg.tls_cert || !t->ctx)
        return;
    lws_tls_cert_updated(t->ctx, t->cfg.tls_cert, t->cfg.tls_key, NULL, 0, NULL, 0);
    if (t->cfg.notice) {
        char line[600];
        snprintf(line, sizeof(line), "TLS certificate reloaded from %s and %s", t->cfg.tls_cert, t->cfg.tls_key);
        t->cfg.notice(t->cfg.log_ctx, 2, line);
    }
}

void transport_reload_tls(sio_transport *t)
{
    atomic_store(&t->tls_reload, true);
    lws_cancel_service(t->ctx);
}

/* Whether both files can be read; else a line saying which cannot. */
static bool tls_files_readable(const transport_config *cfg, char *why, size_t len)
{
    const char *files[2] = {cfg->tls_cert, cfg->tls_key};
    const char *names[2] = {"certificate", "private key"};
    for (int i = 0; i < 2; i++) {
        FILE *f = files[i] ? fopen(files[i], "r") : NULL;
        if (!f) {
            snprintf(why, len, "cannot read the TLS %s %s", names[i], files[i] ? files[i] : "(not given)");
            return false;
        }
        fclose(f);
    }
    return true;
}

/* --- the protocol callback -------------------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    sio_transport *t = lws_context_user(lws_get_context(wsi));
    /* Reasons without per-connection data (`user` is something else). */
    switch (reason) {
    case LWS_CALLBACK_WSI_CREATE:
        if (t)
            t->live_wsi++;
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        if (t)
            t->live_wsi--;
        return 0;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
        /* An accepted socket over the cap is closed at once: cheap, and
         * clearer than leaving it in the listen queue. So is any after a
         * stop on the application's loop, which runs on until it frees us. */
        if (t && t->stopped)
            return -1;
        if (t && t->live_wsi - t->base_wsi >= t->max_connections) {
            transport_refused_socket(t, (int)(intptr_t)in, 503, "Too many connections: closed");
            return -1;
        }
        return 0;
    default:
        break;
    }
    pss *p = user;
    int rc = 0;
    if (p && !p->t) {
        p->t = t;
        p->wsi = wsi;
    }
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        transport_idle_end(p);
        rc = transport_http_on_request(p, wsi, in, len);
        break;
    case LWS_CALLBACK_HTTP_BODY:
        rc = transport_http_body(p, in, len);
        break;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        rc = transport_http_body_done(p);
        break;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        rc = transport_http_writable(p);
        break;
    case LWS_CALLBACK_RAW_RX_FILE:
        if (t && wsi == t->held_watch)
            transport_held_hangups(t);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        if (t && wsi == t->held_watch)
            t->held_watch = NULL;
        break;
    case LWS_CALLBACK_CLOSED_HTTP:
        transport_idle_end(p);
        if (p && p->kind == K_HTTP)
            transport_http_closed(p);
        break;
    case LWS_CALLBACK_CONFIRM_EXTENSION_OKAY:
        rc = transport_ws_confirm_extension(p, wsi, in);
        break;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        transport_idle_end(p);
        rc = transport_ws_filter(p, wsi);
        break;
    case LWS_CALLBACK_ESTABLISHED:
        rc = transport_ws_established(p, wsi);
        break;
    case LWS_CALLBACK_RECEIVE:
        t->received = true;
        rc = transport_ws_receive(p, wsi, in, len);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        rc = transport_ws_writable(p, wsi);
        break;
    case LWS_CALLBACK_CLOSED:
        transport_idle_end(p);
        transport_ws_closed(p);
        break;
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* lws frees the per-connection data next */
        transport_idle_end(p);
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        if (!t)
            return 0;
        if (atomic_load(&t->stop_requested) && !t->stopping) {
            t->stopping = true;
            t->stop_deadline = transport_now_ms() + STOP_GRACE_MS;
            eio_engine_close_all(t->eng);
        }
        if (atomic_exchange(&t->tls_reload, false))
            reload_tls(t);
        if (t->cfg.on_wake)
            t->cfg.on_wake(t->cfg.wake_ctx);
        break;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
    if (t)
        transport_after_event(t);
    return rc;
}

/* --- lifecycle ---------------------------------------------------------------- */

void transport_config_defaults(transport_config *c)
{
    memset(c, 0, sizeof(*c));
    c->path = "/engine.io/";
    c->ws_rx_buffer = 256;
    c->max_http_body = 1u << 20;
    c->request_timeout_ms = 300000;
    c->keep_alive_secs = 5;
    c->compress_threshold = 1024;
    c->deflate_threshold = 1024;
}


/* Runs the loop without waiting until nothing is left in it (bounded: a
 * handle that never closes must not hang the shutdown). */
static void drain_loop(sio_transport *t)
{
    for (int i = 0; i < 10000 && uv_run(t->uv, UV_RUN_NOWAIT); i++)
        ;
}

/* Destroys the lws context (when there is one) and closes the loop (our
 * own; the application's stays open). On a foreign loop, which ours is too
 * for lws, lws closes its handles asynchronously and frees the context once
 * they are closed (it then clears t->ctx, see info.pcontext); a context that
 * is still there after the loop ran dry is destroyed again, which completes
 * it. lws 4.1 does not tell when its handles on a foreign loop are closed,
 * which is why an application's loop must not be running then (see
 * transport_free). */
static void close_loop(sio_transport *t)
{
    if (t->app_handles) {
        uv_close((uv_handle_t *)&t->before_poll, NULL);
        uv_close((uv_handle_t *)&t->after_poll, NULL);
        t->app_handles = false;
    }
    for (int i = 0; i < 3 && t->ctx; i++) {
        lws_context_destroy(t->ctx);
        drain_loop(t);
    }
    drain_loop(t);
    if (t->uv == &t->own_loop)
        uv_loop_close(t->uv);
}

/* --- on the application's loop ------------------------------------------------ */

/* What transport_run does between rounds of events, by libuv's prepare
 * (before the loop waits: emits and timers the application's own callbacks
 * set go out, and the wait is bounded by our next deadline) and check (after
 * the round's I/O callbacks) phases. */
static void app_round_done(sio_transport *t)
{
    t->received = false;
    transport_flush_writes(t);
    transport_after_event(t);
}

static void before_poll(uv_prepare_t *h) { app_round_done(h->data); }

static void after_poll(uv_check_t *h)
{
    sio_transport *t = h->data;
    app_round_done(t);
    if (t->stopping && !t->stopped &&
        (eio_engine_session_count(t->eng) == 0 || transport_now_ms() >= t->stop_deadline)) {
        t->stopped = true;
        if (t->cfg.on_stopped)
            t->cfg.on_stopped(t->cfg.stopped_ctx);
    }
}

/* Neither handle keeps the loop alive by itself. */
static int start_app_handles(sio_transport *t)
{
    if (uv_prepare_init(t->uv, &t->before_poll) || uv_check_init(t->uv, &t->after_poll))
        return -1;
    t->app_handles = true;
    t->before_poll.data = t->after_poll.data = t;
    uv_unref((uv_handle_t *)&t->before_poll);
    uv_unref((uv_handle_t *)&t->after_poll);
    if (uv_prepare_start(&t->before_poll, before_poll) || uv_check_start(&t->after_poll, after_poll))
        return -1;
    return 0;
}

/* The size of lws's descriptor tables, and the connection cap below the
 * descriptor limit (over the cap, accepted sockets are closed at once, so
 * accept() does not run into EMFILE while FD_RESERVE descriptors are left
 * for everything else).
 *
 * lws sizes its tables from the soft RLIMIT_NOFILE when fd_limit is 0, and
 * then finds a descriptor's connection by indexing. Any fd_limit below that
 * limit makes lws 4.1 search its whole table on every event of every
 * connection (wsi_from_fd), which cost 3/4 of the echo throughput at 8,000
 * clients. So fd_limit is only set when the limit is so high (or infinite)
 * that tables of its size would not be reasonable; those machines get the
 * search, and the docs say to lower `ulimit -n` there. */
#define FD_TABLE_MAX (1L << 20)
static void connection_limits(const transport_config *cfg, unsigned *fd_limit, long *max_conn)
{
    struct rlimit rl;
    long fds = FD_TABLE_MAX;
    *fd_limit = FD_TABLE_MAX;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= (rlim_t)FD_TABLE_MAX) {
        fds = (long)rl.rlim_cur;
        *fd_limit = 0;
    }
    long usable = fds > 2 * FD_RESERVE ? fds - FD_RESERVE : fds / 2;
    /* Our own lws objects (listener, wakeup pipe, held-poll watch) are
     * connections to lws too: the cap keeps room for them. */
    long room = usable > 16 ? usable - 8 : usable / 2;
    *max_conn = cfg->max_connections && (long)cfg->max_connections < room ? (long)cfg->max_connections : room;
}

/* The addresses of this machine's interfaces, as text, for the same-origin
 * check of CORS (a page this server serves, opened by one of them). */
static void own_addresses(sio_transport *t)
{
    t->cfg.cors.port = t->port;
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0)
        return;
    size_t n = 0;
    for (struct ifaddrs *i = ifs; i; i = i->ifa_next)
        n++;
    t->own_addrs = calloc(n ? n : 1, sizeof(*t->own_addrs));
    for (struct ifaddrs *i = ifs; i && t->own_addrs; i = i->ifa_next) {
        char buf[INET6_ADDRSTRLEN];
        const void *a = NULL;
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET)
            a = &((struct sockaddr_in *)i->ifa_addr)->sin_addr;
        else if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET6)
            a = &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
        if (a && inet_ntop(i->ifa_addr->sa_family, a, buf, sizeof(buf)) &&
            (t->own_addrs[t->n_own_addrs] = strdup(buf)))
            t->n_own_addrs++;
    }
    freeifaddrs(ifs);
    t->cfg.cors.own_addrs = (const char *const *)t->own_addrs;
    t->cfg.cors.n_own_addrs = t->n_own_addrs;
}

static sio_transport *failed(sio_transport *t, transport_failure *why, transport_error code, const char *msg)
{
    if (why && code != TRANSPORT_OK) {
        why->code = code;
        snprintf(why->message, sizeof(why->message), "%s", msg);
    }
    if (t) {
        transport_log_unroute(t);
        eio_engine_free(t->eng);
        free(t);
    }
    return NULL;
}

sio_transport *transport_new(const transport_config *cfg, const eio_options *eopt,
                             const eio_handler *h, transport_failure *why)
{
    transport_failure ignored;
    if (!why)
        why = &ignored;
    char addr[64];
    if (transport_listen_check(cfg->bind_addr, cfg->port, addr, sizeof(addr), why) != TRANSPORT_OK)
        return NULL;
    sio_transport *t = calloc(1, sizeof(*t));
    if (!t)
        return failed(NULL, why, TRANSPORT_ENOMEM, "out of memory");
    t->cfg = *cfg;
    t->scheduled = INT64_MAX;
    sio_buf_init(&t->scratch, 0);
    sio_buf_init(&t->ws_out, 0);
    sio_buf_init(&t->zout, 0);
    sio_buf_init(&t->cookie, 0);
    sio_buf_init(&t->wsz, 0);
    eio_transport_ops ops = {t, transport_want_write, close_conn, abort_conn};
    t->eng = eio_engine_new(eopt, &ops, h);
    if (!t->eng)
        return failed(t, why, TRANSPORT_ENOMEM, "out of memory");
    size_t max_payload = eio_engine_options(t->eng)->max_payload;
    t->protocols[0] = (struct lws_protocols){
        .name = "engine.io",
        .callback = callback,
        .per_session_data_size = sizeof(pss),
        .rx_buffer_size = cfg->ws_rx_buffer,
        /* One send() per frame, whatever its size: lws buffers what the
         * kernel does not take. */
        .tx_packet_size = max_payload > (1u << 20) ? max_payload : (1u << 20),
    };
    transport_log_route(t);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = cfg->port;
    info.iface = addr[0] ? addr : NULL;
    info.protocols = t->protocols;
    info.user = t;
    /* lws on a libuv (epoll) loop of ours: a wakeup costs what is ready,
     * where lws's own poll() loop scans every connection each time. */
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 | LWS_SERVER_OPTION_LIBUV;
    if (cfg->tls_cert || cfg->tls_key) {
        char why_tls[sizeof(why->message)];
        if (!tls_files_readable(cfg, why_tls, sizeof(why_tls)))
            return failed(t, why, TRANSPORT_ETLS, why_tls);
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
        /* HTTP/1.1 only, as Node's https server: the binding reads requests
         * and writes answers as HTTP/1.1, and lws would otherwise offer h2. */
        info.alpn = "http/1.1";
    }
    t->uv = cfg->app_loop ? cfg->app_loop : &t->own_loop;
    if (!cfg->app_loop && uv_loop_init(t->uv))
        return failed(t, why, TRANSPORT_EEVENTLOOP, "cannot create a libuv event loop");
    void *loops[1] = {t->uv};
    info.foreign_loops = loops;
    if (cfg->per_message_deflate) {
        /* Negotiated through a pass-through extension (ws_deflate.h): lws
         * then lets compressed frames through, and the binding inflates
         * them, validating their UTF-8 itself once inflated. */
        info.extensions = transport_deflate_extension;
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_VALIDATE_UTF8;
    }
    info.max_http_header_pool = 0; /* as many header tables as connections */
    info.max_http_header_data = LWS_HEADER_TABLE;
    connection_limits(cfg, &info.fd_limit_per_thread, &t->max_connections);
    info.keepalive_timeout = (int)cfg->keep_alive_secs;
    info.timeout_secs = 20;
    info.timeout_secs_ah_idle = AH_IDLE_SECS;
    /* No lws validity timers: Engine.IO has its own heartbeat, and lws keeps
     * those timers in one sorted list, re-inserted (O(connections)) at every
     * frame received. */
    static const lws_retry_bo_t no_validity = {.secs_since_valid_ping = 0, .secs_since_valid_hangup = 0};
    info.retry_and_idle_policy = &no_validity;
    info.pcontext = &t->ctx;
    t->ctx = lws_create_context(&info);
    if (!t->ctx) {
        /* The address was just bound: what fails is lws's start on libuv. */
        close_loop(t);
        return failed(t, why, TRANSPORT_EEVENTLOOP,
                      "cannot start libwebsockets on a libuv loop (is its plugin, package "
                      "libwebsockets-evlib-uv, installed?)");
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(t->ctx, "default");
    if (!vh) {
        /* Taken by another program since the check. A context whose vhost
         * failed cannot be destroyed on our loop without running callbacks
         * of a plugin lws has unloaded: it is left as it is. */
        char msg[sizeof(why->message)];
        if (cfg->tls_cert) { /* readable, so lws could not use them */
            snprintf(msg, sizeof(msg), "cannot use the TLS certificate %s with the key %s", cfg->tls_cert,
                     cfg->tls_key);
            return failed(t, why, TRANSPORT_ETLS, msg);
        }
        snprintf(msg, sizeof(msg), "cannot listen on %s port %d", addr[0] ? addr : "0.0.0.0", cfg->port);
        return failed(t, why, TRANSPORT_ELISTEN, msg);
    }
    t->port = lws_get_vhost_listen_port(vh);
    t->held_epfd = epoll_create1(EPOLL_CLOEXEC);
    lws_sock_file_fd_type fd = {.filefd = t->held_epfd};
    if (t->held_epfd < 0 ||
        !(t->held_watch = lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, "engine.io", NULL))) {
        if (t->held_epfd >= 0)
            close(t->held_epfd);
        close_loop(t);
        return failed(t, why, TRANSPORT_ENOMEM, "cannot watch held polls");
    }
    if (cfg->app_loop && start_app_handles(t)) {
        close(t->held_epfd);
        close_loop(t);
        return failed(t, why, TRANSPORT_EEVENTLOOP, "cannot add handles to the application's libuv loop");
    }
    t->base_wsi = t->live_wsi;
    own_addresses(t);
    return t;
}

bool transport_on_app_loop(const sio_transport *t) { return t->uv != &t->own_loop; }

eio_engine *transport_engine(sio_transport *t) { return t->eng; }
void *transport_uv_loop(sio_transport *t) { return t->uv; }
/* lws's libuv plugin re-arms its timer for a newly scheduled sul only after
 * one of its own events (its idle handle): a deadline moved earlier here
 * would wait for the next one. Waking lws's service makes that event. */
void transport_settle(sio_transport *t)
{
    int64_t before = t->scheduled;
    transport_after_event(t);
    if (t->scheduled < before)
        lws_cancel_service(t->ctx);
}
int transport_port(const sio_transport *t) { return t->port; }

int transport_run(sio_transport *t)
{
    if (transport_on_app_loop(t))
        return -1;
    for (;;) {
        if (t->stopping && (eio_engine_session_count(t->eng) == 0 ||
                            transport_now_ms() >= t->stop_deadline))
            break;
        uv_run(t->uv, UV_RUN_ONCE);
        /* lws reads a socket one rx buffer at a time, a round each. While
         * frames keep arriving, take the next rounds at once (no waiting)
         * before writing, a bounded number of times: what a burst queues
         * for a client then leaves in one send(), not one per frame. */
        for (int round = 0; t->received && round < FLUSH_MAX_ROUNDS; round++) {
            t->received = false;
            uv_run(t->uv, UV_RUN_NOWAIT);
        }
        t->received = false;
        transport_flush_writes(t);
    }
    return 0;
}

void transport_stop(sio_transport *t)
{
    atomic_store(&t->stop_requested, true);
    lws_cancel_service(t->ctx);
}

bool transport_stopping(sio_transport *t) { return atomic_load(&t->stop_requested); }

void transport_wake(sio_transport *t) { lws_cancel_service(t->ctx); }

void transport_free(sio_transport *t)
{
    if (!t)
        return;
    close_loop(t); /* closes every connection: the engine lets go */
    transport_log_unroute(t); /* after lws's last words */
    close(t->held_epfd);
    /* Sessions with no connection left (a polling client between requests)
     * are closed too, so the layer above frees what it holds for them. */
    eio_engine_shutdown(t->eng);
    eio_engine_free(t->eng);
    sio_buf_free(&t->scratch);
    sio_buf_free(&t->ws_out);
    sio_buf_free(&t->zout);
    sio_buf_free(&t->cookie);
    ws_deflater_free(&t->deflater);
    sio_buf_free(&t->wsz);
    http_encoder_free(&t->enc);
    for (size_t i = 0; i < t->n_own_addrs; i++)
        free(t->own_addrs[i]);
    free(t->own_addrs);
    free(t->flush);
    free(t);
}

