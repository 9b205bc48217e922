/* Server core: namespaces, clients (one per Engine.IO session), and the
 * packets that arrive on them. */
#include "sio/sio_core.h"
#include "sio/sio_recovery.h"
#include "util/query.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- namespaces ------------------------------------------------------------- */

static sio_namespace *nsp_new(sio_server *srv, const char *name, size_t len)
{
    sio_namespace *nsp = calloc(1, sizeof(*nsp));
    if (!nsp)
        return NULL;
    nsp->srv = srv;
    nsp->name = strndup(name, len);
    strmap_init(&nsp->rooms);
    strmap_init(&nsp->sockets);
    strmap_init(&nsp->events);
    strmap_init(&nsp->server_events);
    if (!nsp->name || !(nsp->adapter = srv->adapter_new(nsp, srv->adapter_user)) ||
        strmap_put(&srv->nsps, nsp->name, len, nsp)) {
        if (nsp->adapter)
            nsp->adapter->ops->destroy(nsp->adapter);
        free(nsp->name);
        free(nsp);
        return NULL;
    }
    nsp->refs = 1;
    nsp->in_map = true;
    return nsp;
}

static void nsp_free(sio_namespace *nsp)
{
    const strmap_slot *slot;
    for (size_t i = 0; strmap_next(&nsp->rooms, &i, &slot);) {
        sio_room *r = slot->val;
        free(r->members);
        free(r->name);
        free(r);
    }
    strmap_free(&nsp->rooms);
    strmap_free(&nsp->sockets);
    for (size_t i = 0; strmap_next(&nsp->events, &i, &slot);)
        free(slot->val);
    strmap_free(&nsp->events);
    for (size_t i = 0; strmap_next(&nsp->server_events, &i, &slot);)
        free(slot->val);
    strmap_free(&nsp->server_events);
    nsp->adapter->ops->destroy(nsp->adapter);
    sio_recovery_free(nsp->recovery);
    free(nsp->all.members);
    free(nsp->mw);
    free(nsp->name);
    free(nsp);
}

void sio_nsp_release(sio_namespace *nsp)
{
    if (nsp && --nsp->refs == 0)
        nsp_free(nsp);
}

void sio_nsp_cleanup_if_empty(sio_namespace *nsp)
{
    /* Sockets still connecting or connected keep it in the map; handles the
     * application holds keep only its memory. */
    if (!nsp->child || !nsp->in_map || !nsp->srv->opt.cleanup_empty_child_namespaces || nsp->live)
        return;
    strmap_del(&nsp->srv->nsps, nsp->name, strlen(nsp->name));
    nsp->in_map = false;
    sio_nsp_release(nsp);
}

sio_namespace *sio_nsp_find(sio_server *srv, const char *name, size_t len)
{
    return strmap_get(&srv->nsps, name, len);
}

sio_namespace *sio_of(sio_server *srv, const char *name)
{
    if (!name || name[0] != '/')
        return NULL;
    size_t len = strlen(name);
    sio_namespace *nsp = sio_nsp_find(srv, name, len);
    return nsp ? nsp : nsp_new(srv, name, len);
}

sio_namespace *sio_find_namespace(sio_server *srv, const char *name)
{
    return name ? sio_nsp_find(srv, name, strlen(name)) : NULL;
}

static int add_dynamic_rule(sio_server *srv, const char *pattern, sio_dyn_nsp rule)
{
    sio_dyn_nsp *d = realloc(srv->dyn, (srv->n_dyn + 1) * sizeof(*d));
    if (!d)
        return SIO_ENOMEM;
    srv->dyn = d;
    if (pattern && !(rule.pattern = strdup(pattern)))
        return SIO_ENOMEM;
    d[srv->n_dyn++] = rule;
    return SIO_OK;
}

int sio_dynamic_namespaces(sio_server *srv, const char *pattern, sio_namespace_filter filter,
                           sio_namespace_setup on_create, void *user)
{
    if (!pattern && !filter)
        return SIO_EINVAL;
    return add_dynamic_rule(srv, pattern, (sio_dyn_nsp){NULL, filter, NULL, on_create, user});
}

int sio_dynamic_namespaces_async(sio_server *srv, const char *pattern, sio_namespace_filter_async filter,
                                 sio_namespace_setup on_create, void *user)
{
    if (!filter)
        return SIO_EINVAL;
    return add_dynamic_rule(srv, pattern, (sio_dyn_nsp){NULL, NULL, filter, on_create, user});
}

/* The namespace dynamic rule `i` accepted: made now, or found when another
 * connection made it while this one's filter was deciding. */
static sio_namespace *dynamic_namespace(sio_server *srv, size_t i, const char *name)
{
    size_t len = strlen(name);
    sio_namespace *nsp = sio_nsp_find(srv, name, len);
    if (nsp || !(nsp = nsp_new(srv, name, len)))
        return nsp;
    nsp->child = true;
    if (srv->dyn[i].setup)
        srv->dyn[i].setup(nsp, srv->dyn[i].user);
    return nsp;
}

void sio_on_connection(sio_namespace *nsp, sio_connection_cb cb, void *user)
{
    nsp->on_connection = cb;
    nsp->on_connection_user = user;
}

int sio_on(sio_namespace *nsp, const char *event, sio_event_cb cb, void *user)
{
    sio_handler *h = strmap_get(&nsp->events, event, strlen(event));
    if (!h) {
        h = malloc(sizeof(*h));
        if (!h || strmap_put(&nsp->events, event, strlen(event), h)) {
            free(h);
            return SIO_ENOMEM;
        }
    }
    h->cb = cb;
    h->user = user;
    return SIO_OK;
}

void sio_on_any(sio_namespace *nsp, sio_event_cb cb, void *user) { nsp->any = (sio_handler){cb, user}; }

void sio_on_disconnect(sio_namespace *nsp, sio_disconnect_cb cb, void *user)
{
    nsp->on_disconnect = cb;
    nsp->on_disconnect_user = user;
}

void sio_on_disconnecting(sio_namespace *nsp, sio_disconnect_cb cb, void *user)
{
    nsp->on_disconnecting = cb;
    nsp->on_disconnecting_user = user;
}

static int add_middleware(sio_namespace *nsp, sio_middleware m)
{
    sio_middleware *mw = realloc(nsp->mw, (nsp->n_mw + 1) * sizeof(*mw));
    if (!mw)
        return SIO_ENOMEM;
    nsp->mw = mw;
    mw[nsp->n_mw++] = m;
    return SIO_OK;
}

int sio_use_async(sio_namespace *nsp, sio_async_middleware_cb cb, void *user)
{
    return add_middleware(nsp, (sio_middleware){NULL, cb, user});
}

int sio_use(sio_namespace *nsp, sio_middleware_cb cb, void *user)
{
    return add_middleware(nsp, (sio_middleware){cb, NULL, user});
}

const char *sio_namespace_name(const sio_namespace *nsp) { return nsp->name; }
size_t sio_namespace_socket_count(const sio_namespace *nsp) { return nsp->all.n; }

/* --- server ------------------------------------------------------------------ */

void sio_options_init(sio_options *o)
{
    eio_options d;
    eio_options_defaults(&d);
    *o = (sio_options){
        .port = 3000,
        .path = "/socket.io/",
        .ping_interval = d.ping_interval,
        .ping_timeout = d.ping_timeout,
        .upgrade_timeout = d.upgrade_timeout,
        .connect_timeout = 45000,
        .max_http_buffer_size = d.max_payload,
        .max_attachments = 10,
        .max_queue_bytes = d.max_queue_bytes,
        .max_total_queue_bytes = d.max_total_queue_bytes,
        .request_timeout = 300000,
        .keep_alive_timeout = 5000,
        .recovery_max_disconnection_duration = 120000,
        .recovery_skip_middlewares = true,
        .recovery_max_bytes = 16u << 20,
        .transports = SIO_TRANSPORT_POLLING | SIO_TRANSPORT_WEBSOCKET,
        .allow_upgrades = d.allow_upgrades,
        .allow_eio3 = d.allow_eio3,
        .requests_timeout = 5000,
        .http_compression = true,
        .http_compression_threshold = 1024,
        .per_message_deflate_threshold = 1024,
        .cookie_path = "/",
        .cookie_same_site = "Lax",
        .cookie_http_only = true,
    };
}

sio_server *sio_core_new(const sio_options *o)
{
    sio_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return NULL;
    srv->opt = *o;
    sio_codec_limits_default(&srv->lim);
    srv->lim.max_attachments = o->max_attachments;
    if (!srv->opt.requests_timeout)
        srv->opt.requests_timeout = 5000;
    srv->adapter_new = sio_adapter_memory_new;
    srv->parser = &sio_parser_json;
    strmap_init(&srv->nsps);
    strmap_init(&srv->ops);
    timer_heap_init(&srv->timers);
    pthread_mutex_init(&srv->post_lock, NULL);
    if (!sio_of(srv, "/")) {
        sio_core_free(srv);
        return NULL;
    }
    return srv;
}

void sio_core_free(sio_server *srv)
{
    if (!srv)
        return;
    sio_core_close_posts(srv);
    sio_observe_free(srv);
    sio_op_close_all(srv);
    strmap_free(&srv->ops);
    free(srv->test_tap);
    const strmap_slot *slot;
    for (size_t i = 0; strmap_next(&srv->nsps, &i, &slot);) {
        sio_namespace *nsp = slot->val;
        nsp->in_map = false;
        sio_recovery_free(nsp->recovery); /* its timer is the server's */
        nsp->recovery = NULL;
        sio_nsp_release(nsp); /* a socket still held keeps it */
    }
    strmap_free(&srv->nsps);
    for (size_t i = 0; i < srv->n_dyn; i++)
        free(srv->dyn[i].pattern);
    free(srv->dyn);
    timer_heap_free(&srv->timers);
    pthread_mutex_destroy(&srv->post_lock);
    free(srv);
}

void sio_core_set_parser(sio_server *srv, const sio_parser *parser)
{
    srv->parser = parser ? parser : &sio_parser_json;
}

int sio_core_set_adapter(sio_server *srv, sio_adapter_new_fn fn, void *user)
{
    if (!fn) {
        fn = sio_adapter_memory_new;
        user = NULL;
    }
    /* All made first, so that a failure leaves every namespace as it was. */
    size_t n = srv->nsps.count, k = 0;
    sio_adapter **made = calloc(n ? n : 1, sizeof(*made));
    const strmap_slot *slot;
    for (size_t i = 0; made && strmap_next(&srv->nsps, &i, &slot); k++)
        if (!(made[k] = fn(slot->val, user)))
            break;
    if (!made || k < n) {
        for (size_t i = 0; made && i < k; i++)
            made[i]->ops->destroy(made[i]);
        free(made);
        return SIO_ENOMEM;
    }
    k = 0;
    for (size_t i = 0; strmap_next(&srv->nsps, &i, &slot); k++) {
        sio_namespace *nsp = slot->val;
        nsp->adapter->ops->destroy(nsp->adapter);
        nsp->adapter = made[k];
    }
    free(made);
    srv->adapter_new = fn;
    srv->adapter_user = user;
    return SIO_OK;
}

int64_t sio_core_next_deadline(sio_server *srv) { return timer_heap_next(&srv->timers); }

void sio_core_tick(sio_server *srv, int64_t now)
{
    timer_heap_run(&srv->timers, now);
}

void sio_server_stats(const sio_server *srv, sio_stats *out)
{
    *out = srv->stats;
    out->clients = srv->eng ? eio_engine_session_count(srv->eng) : 0;
}

const char *sio_strerror(int err)
{
    switch (err) {
    case SIO_OK: return "success";
    case SIO_EINVAL: return "invalid argument";
    case SIO_ENOMEM: return "out of memory";
    case SIO_ECLOSED: return "socket disconnected";
    case SIO_EFULL: return "send queue full";
    case SIO_ENOTFOUND: return "no such socket or namespace";
    case SIO_EAGAIN: return "transport not writable now";
    case SIO_ESTATE: return "not allowed in this state";
    case SIO_EADDRINUSE: return "address in use";
    case SIO_EADDRNOTAVAIL: return "address not available";
    case SIO_EACCES: return "permission denied";
    case SIO_EEVENTLOOP: return "no event loop (libuv, or libwebsockets' libuv plugin)";
    case SIO_ELISTEN: return "cannot listen";
    }
    return "unknown error";
}

/* --- clients -------------------------------------------------------------------- */

/* A client that broke the protocol: its sockets go with "parse error" and
 * the connection is closed. */
static void client_protocol_error(sio_client *c)
{
    sio_client_close_sockets(c, "parse error", false);
    if (c->es)
        eio_session_fail(c->es);
}

static void on_connect_timeout(sio_timer *t, int64_t now)
{
    sio_client *c = (sio_client *)((char *)t - offsetof(sio_client, connect_timer));
    /* Sockets still awaiting their middlewares' answers do not count. */
    for (const sio_socket *s = c->sockets; s; s = s->next_in_client)
        if (s->state == SOCK_CONNECTED)
            return;
    if (c->es)
        eio_session_close(c->es);
}

static void on_connect_packet(sio_client *c, const sio_packet *pkt);
static void run_middlewares(sio_socket *s, size_t from);
static void refuse_connect(sio_socket *s, const char *message, const char *data, sio_connect_error_reason why);
static void decision_free(sio_decision *d);

static void on_open(void *ctx, eio_session *es)
{
    sio_server *srv = ctx;
    sio_client *c = calloc(1, sizeof(*c));
    if (!c) {
        eio_session_fail(es);
        return;
    }
    c->srv = srv;
    c->es = es;
    c->req = sio_request_ref(eio_session_request(es));
    c->protocol = eio_session_protocol(es) == 3 ? 4 : 5;
    /* The application's own parameters; Engine.IO's are left out. */
    static const char *const engine_keys[] = {"EIO", "transport", "t", "b64", "sid", "j", NULL};
    const char *q = eio_session_query(es);
    if (!(c->query = sio_query_to_json(q, strlen(q), engine_keys))) {
        sio_request_unref(c->req);
        free(c);
        eio_session_fail(es);
        return;
    }
    if (strcmp(c->query, "{}") == 0) { /* the usual case: keep no copy */
        free(c->query);
        c->query = NULL;
    }
    eio_session_set_user(es, c);
    sio_timer_init(&c->connect_timer, on_connect_timeout);
    if (srv->n_observers)
        sio_observe_connection_open(srv, es);
    if (c->protocol == 4) {
        /* socket.io 2.x: the server connects "/" by itself. */
        sio_packet root = {.type = SIO_PKT_CONNECT, .nsp = "/", .nsp_len = 1, .id = -1};
        on_connect_packet(c, &root);
        return;
    }
    timer_heap_arm(&srv->timers, &c->connect_timer, srv->clock() + srv->opt.connect_timeout);
}

static void on_close(void *ctx, eio_session *es, eio_close_reason reason)
{
    sio_server *srv = ctx;
    sio_client *c = eio_session_user(es);
    if (!c)
        return;
    c->closed_transport = (uint8_t)eio_session_transport(es);
    c->es = NULL;
    const char *why = eio_close_reason_str(reason);
    sio_client_close_sockets(c, why, false);
    if (srv->n_observers)
        sio_observe_connection_close(srv, es, why);
    /* Filters still deciding answer into the void (sio_decide: SIO_ECLOSED). */
    for (sio_decision *w = c->nsp_waits, *next; w; w = next) {
        next = w->next_wait;
        w->client = NULL;
        w->next_wait = NULL;
    }
    timer_heap_cancel(&srv->timers, &c->connect_timer);
    sio_decoder_reset(&c->dec);
    eio_session_set_user(es, NULL);
    sio_request_unref(c->req);
    free(c->query);
    free(c);
}

static sio_socket *client_socket(sio_client *c, const char *nsp, size_t len)
{
    for (sio_socket *s = c->sockets; s; s = s->next_in_client)
        if (strlen(s->nsp->name) == len && memcmp(s->nsp->name, nsp, len) == 0)
            return s;
    return NULL;
}

/* v5: 44[/nsp,]{"message":...[,"data":...]}; v4: 44[/nsp,]"message" (or the data). */
static void send_connect_error(sio_client *c, const char *nsp, size_t len, const char *message,
                               const char *data_json)
{
    sio_log_connect_refused(c, nsp, len, message);
    bool data_ok = data_json && json_validate(data_json, strlen(data_json), NULL) == JSON_OK;
    char *name = strndup(nsp, len);
    sio_buf b;
    sio_buf_init(&b, 0);
    if (c->protocol == 4) {
        if (data_ok)
            sio_buf_puts(&b, data_json);
        else
            json_write_string(&b, message, strlen(message));
    } else {
        sio_buf_puts(&b, "{\"message\":");
        json_write_string(&b, message, strlen(message));
        if (data_ok) {
            sio_buf_puts(&b, ",\"data\":");
            sio_buf_puts(&b, data_json);
        }
        sio_buf_putc(&b, '}');
    }
    if (name && sio_buf_putc(&b, 0) == 0)
        sio_client_send_packet(c, SIO_PKT_CONNECT_ERROR, name, (const char *)b.data);
    free(name);
    sio_buf_free(&b);
}

/* The socket id: random in v5; in v4 the Engine.IO sid on "/" and
 * "/nsp#sid" elsewhere, as socket.io 2.x named them. */
static char *socket_id(const sio_client *c, const char *nsp)
{
    char *id;
    if (c->protocol == 5) {
        id = malloc(SIO_ID_LEN + 1);
        if (id && sio_rand_id(id)) {
            free(id);
            return NULL;
        }
        return id;
    }
    const char *sid = eio_session_sid(c->es);
    if (strcmp(nsp, "/") == 0)
        return strdup(sid);
    if (asprintf(&id, "%s#%s", nsp, sid) < 0)
        return NULL;
    return id;
}

/* A socket for the client in `nsp`, then its middlewares. Takes `auth`. */
static void connect_socket(sio_client *c, sio_namespace *nsp, char *auth)
{
    sio_socket *s = calloc(1, sizeof(*s));
    if (!s || !(s->id = socket_id(c, nsp->name))) {
        free(s);
        free(auth);
        return;
    }
    s->refs = 1;
    s->state = SOCK_CONNECTING;
    s->nsp = nsp;
    nsp->refs++;
    nsp->live++;
    s->client = c;
    s->req = sio_request_ref(c->req);
    s->auth = auth;
    if (strcmp(auth, "{}") == 0) { /* the usual case: keep no copy */
        free(auth);
        s->auth = NULL;
    }
    s->next_in_client = c->sockets;
    c->sockets = s;
    if (sio_recovery_claim(s)) {
        refuse_connect(s, "out of memory", NULL, SIO_CONNECT_ERROR_SERVER);
        return;
    }
    /* A resumed session skips the middlewares unless told otherwise (Node's skipMiddlewares). */
    bool skip = s->recovered && c->srv->opt.recovery_skip_middlewares;
    run_middlewares(s, skip ? nsp->n_mw : 0);
}

static void wait_unlink(sio_client *c, sio_decision *w)
{
    sio_decision **pp = &c->nsp_waits;
    while (*pp && *pp != w)
        pp = &(*pp)->next_wait;
    if (*pp)
        *pp = w->next_wait;
    w->next_wait = NULL;
}

static bool client_waits_for(const sio_client *c, const char *name, size_t len)
{
    for (const sio_decision *w = c->nsp_waits; w; w = w->next_wait)
        if (strlen(w->nsp_name) == len && memcmp(w->nsp_name, name, len) == 0)
            return true;
    return false;
}

/* Tries the dynamic rules from `from` on for a CONNECT to the namespace
 * `name` that does not exist: the first that accepts it makes it, and the
 * socket goes on to its middlewares; with none, "Invalid namespace". An
 * asynchronous filter that does not answer at once suspends the search
 * (sio_decide goes on). Takes `name` and `auth`. */
static void try_dynamic_rules(sio_client *c, char *name, char *auth, size_t from)
{
    sio_server *srv = c->srv;
    for (size_t i = from; i < srv->n_dyn; i++) {
        /* srv->dyn is read again after each callback: one may add a rule. */
        if (srv->dyn[i].pattern && fnmatch(srv->dyn[i].pattern, name, 0) != 0)
            continue;
        if (srv->dyn[i].filter && !srv->dyn[i].filter(srv, name, auth, srv->dyn[i].user))
            continue;
        if (srv->dyn[i].afilter) {
            sio_decision *w = calloc(1, sizeof(*w));
            if (!w)
                break;
            *w = (sio_decision){.index = i, .client = c, .nsp_name = name, .auth = auth,
                                .in_callback = true, .next_wait = c->nsp_waits};
            c->nsp_waits = w;
            srv->dyn[i].afilter(srv, name, auth, w, srv->dyn[i].user);
            w->in_callback = false;
            if (!w->decided)
                return;
            wait_unlink(c, w); /* answered before returning: go on here */
            bool allow = w->allow;
            w->nsp_name = w->auth = NULL;
            decision_free(w);
            if (!allow)
                continue;
        }
        sio_namespace *nsp = dynamic_namespace(srv, i, name);
        free(name);
        if (nsp)
            connect_socket(c, nsp, auth);
        else
            free(auth);
        return;
    }
    srv->counters.connect_errors[SIO_CONNECT_ERROR_INVALID_NAMESPACE]++;
    send_connect_error(c, name, strlen(name), "Invalid namespace", NULL);
    free(name);
    free(auth);
}

static void on_connect_packet(sio_client *c, const sio_packet *pkt)
{
    sio_server *srv = c->srv;
    const char *name = pkt->nsp;
    size_t name_len = pkt->nsp_len;
    char *auth_copy;
    const char *query = memchr(name, '?', name_len);
    if (c->protocol == 4 && query) {
        auth_copy = sio_query_to_json(query + 1, name_len - (size_t)(query - name) - 1, NULL);
        name_len = (size_t)(query - name);
    } else if (c->protocol == 4) {
        /* socket.io 2.x: the handshake's query is the socket's auth */
        auth_copy = strdup(c->query ? c->query : "{}");
    } else {
        auth_copy = pkt->data ? strndup(pkt->data, pkt->data_len) : strdup("{}");
    }
    if (!auth_copy || client_socket(c, name, name_len) || client_waits_for(c, name, name_len)) {
        free(auth_copy);
        return; /* out of memory, or already connected (or connecting) there */
    }
    sio_namespace *nsp = sio_nsp_find(srv, name, name_len);
    if (nsp) {
        connect_socket(c, nsp, auth_copy);
        return;
    }
    char *z = strndup(name, name_len);
    if (!z) {
        free(auth_copy);
        return;
    }
    try_dynamic_rules(c, z, auth_copy, 0);
}

/* Connected: join the namespace and the socket's own room, reply, then
 * flush what was emitted before the reply. */
static void finish_connect(sio_socket *s)
{
    sio_client *c = s->client;
    sio_namespace *nsp = s->nsp;
    sio_server *srv = nsp->srv;
    /* A resumed session's rooms, data and missed packets, before the reply
     * as Node sends them; this may also make it a new socket (new id). */
    if (sio_recovery_restore(s)) {
        sio_socket_close(s, "transport error", false);
        return;
    }
    sio_buf b;
    sio_buf_init(&b, 0);
    if (c->protocol == 5) {
        sio_buf_puts(&b, "{\"sid\":\"");
        sio_buf_puts(&b, s->id);
        if (s->pid) {
            sio_buf_puts(&b, "\",\"pid\":\"");
            sio_buf_puts(&b, s->pid);
        }
        sio_buf_puts(&b, "\"}");
    }
    bool ok = sio_buf_putc(&b, 0) == 0 && sio_room_add(&nsp->all, s) == 0 && sio_socket_register(s) == 0 &&
              sio_client_send_packet(c, SIO_PKT_CONNECT, nsp->name,
                                     c->protocol == 5 ? (const char *)b.data : NULL) == EIO_SEND_OK;
    sio_buf_free(&b);
    if (!ok) {
        sio_socket_close(s, "transport error", false);
        return;
    }
    s->state = SOCK_CONNECTED;
    sio_log_connect(s);
    timer_heap_cancel(&srv->timers, &c->connect_timer);
    for (uint32_t i = 0; i < s->n_early; i++) {
        if (c->es)
            eio_session_send(c->es, s->early[i]);
        sio_msg_unref(s->early[i]);
    }
    free(s->early);
    s->early = NULL;
    s->n_early = s->cap_early = 0;
    if (srv->n_observers)
        sio_observe_socket_connect(s);
    if (nsp->on_connection)
        nsp->on_connection(s, nsp->on_connection_user);
}

/* A refusal: CONNECT_ERROR with the message (and data), and the socket goes. */
static void refuse_connect(sio_socket *s, const char *message, const char *data, sio_connect_error_reason why)
{
    s->nsp->srv->counters.connect_errors[why]++;
    send_connect_error(s->client, s->nsp->name, strlen(s->nsp->name), message ? message : "not authorized",
                       data);
    sio_socket_close(s, NULL, false);
}

static void decision_free(sio_decision *d)
{
    sio_socket_unref(d->s);
    free(d->message);
    free(d->data);
    free(d->nsp_name);
    free(d->auth);
    free(d);
}

/* Runs the namespace's middlewares from `from` on, then connects the
 * socket, unless one refuses it, it goes away meanwhile, or an asynchronous
 * one keeps it waiting (sio_decide then goes on from the next). */
static void run_middlewares(sio_socket *s, size_t from)
{
    sio_namespace *nsp = s->nsp;
    /* A middleware may disconnect the socket: hold it until they are done. */
    sio_socket_ref(s);
    for (size_t i = from; i < nsp->n_mw && s->state == SOCK_CONNECTING; i++) {
        const sio_middleware *m = &nsp->mw[i];
        const char *message = NULL, *data = NULL;
        if (m->cb) {
            bool ok = m->cb(s, &message, &data, m->user);
            if (!ok && s->state == SOCK_CONNECTING)
                refuse_connect(s, message, data, SIO_CONNECT_ERROR_MIDDLEWARE);
            continue;
        }
        sio_decision *d = calloc(1, sizeof(*d));
        if (!d) {
            refuse_connect(s, "out of memory", NULL, SIO_CONNECT_ERROR_SERVER);
            break;
        }
        d->s = sio_socket_ref(s);
        d->index = i;
        d->in_callback = true;
        s->decision = d;
        m->acb(s, d, m->user);
        d->in_callback = false;
        if (!d->decided) {
            sio_socket_unref(s);
            return; /* sio_decide() goes on */
        }
        /* Answered before returning: go on here. */
        s->decision = NULL;
        bool allow = d->allow;
        if (!allow && s->state == SOCK_CONNECTING)
            refuse_connect(s, d->message, d->data, SIO_CONNECT_ERROR_MIDDLEWARE);
        decision_free(d);
    }
    if (s->state == SOCK_CONNECTING)
        finish_connect(s);
    sio_socket_unref(s);
}

/* A namespace filter's answer (see sio_decide). */
static int decide_namespace(sio_decision *d)
{
    if (d->in_callback)
        return SIO_OK; /* try_dynamic_rules goes on */
    sio_client *c = d->client;
    if (!c) {
        decision_free(d);
        return SIO_ECLOSED;
    }
    wait_unlink(c, d);
    char *name = d->nsp_name, *auth = d->auth;
    d->nsp_name = d->auth = NULL;
    size_t rule = d->index;
    bool allow = d->allow;
    decision_free(d);
    if (!allow) {
        try_dynamic_rules(c, name, auth, rule + 1);
        return SIO_OK;
    }
    sio_namespace *nsp = dynamic_namespace(c->srv, rule, name);
    free(name);
    if (nsp)
        connect_socket(c, nsp, auth);
    else
        free(auth);
    return SIO_OK;
}

int sio_decide(sio_decision *d, bool allow, const char *message, const char *data_json)
{
    if (!d || d->decided)
        return SIO_ESTATE;
    d->decided = true;
    d->allow = allow;
    if (!allow) {
        d->message = message ? strdup(message) : NULL;
        d->data = data_json ? strdup(data_json) : NULL;
    }
    if (!d->s)
        return decide_namespace(d);
    if (d->in_callback)
        return d->s->state == SOCK_CONNECTING ? SIO_OK : SIO_ECLOSED; /* run_middlewares goes on */
    sio_socket *s = d->s;
    int rc = SIO_OK;
    if (s->state != SOCK_CONNECTING || s->decision != d) {
        rc = SIO_ECLOSED;
    } else {
        s->decision = NULL;
        if (allow)
            run_middlewares(s, d->index + 1);
        else
            refuse_connect(s, d->message, d->data, SIO_CONNECT_ERROR_MIDDLEWARE);
    }
    decision_free(d);
    return rc;
}

sio_socket *sio_decision_socket(const sio_decision *d)
{
    return d ? d->s : NULL;
}

/* Acts on a complete packet (attachments included). */
static void on_packet(sio_client *c, const sio_packet *pkt, sio_buf *bins, unsigned n_bins)
{
    if (pkt->type == SIO_PKT_CONNECT) {
        on_connect_packet(c, pkt);
        return;
    }
    sio_socket *s = client_socket(c, pkt->nsp, pkt->nsp_len);
    if (!s || s->state != SOCK_CONNECTED) {
        /* A packet for a namespace the client is not in. */
        client_protocol_error(c);
        return;
    }
    switch (pkt->type) {
    case SIO_PKT_DISCONNECT:
        sio_socket_close(s, "client namespace disconnect", false);
        break;
    case SIO_PKT_EVENT:
    case SIO_PKT_BINARY_EVENT:
        sio_dispatch_event(s, pkt, bins, n_bins);
        break;
    case SIO_PKT_ACK:
    case SIO_PKT_BINARY_ACK:
        sio_dispatch_ack(s, pkt, bins, n_bins);
        break;
    default:
        client_protocol_error(c);
        break;
    }
}

static void on_message(void *ctx, eio_session *es, const unsigned char *p, size_t n, bool binary)
{
    sio_client *c = eio_session_user(es);
    if (!c)
        return;
    sio_packet pkt;
    int rc = c->srv->parser->decode(&c->dec, p, n, binary, &c->srv->lim, &pkt);
    if (rc == SIO_PARSE_MORE)
        return;
    if (rc != SIO_PARSE_PACKET) {
        sio_decoder_reset(&c->dec);
        client_protocol_error(c);
        return;
    }
    if (c->srv->n_observers)
        sio_observe_message(c->srv, true, n);
    on_packet(c, &pkt, c->dec.bins, c->dec.n_bins);
    sio_packet_free(&pkt);
    /* A close from the handler is only reported at the engine's next reap,
     * so c is still here. */
    sio_decoder_reset(&c->dec);
}

static void on_upgrade(void *ctx, eio_session *es)
{
    sio_server *srv = ctx;
    sio_client *c = eio_session_user(es);
    if (c && srv->n_observers)
        sio_observe_connection_upgrade(srv, c);
}

eio_handler sio_core_engine_handler(sio_server *srv)
{
    return (eio_handler){srv, on_open, on_message, on_close, NULL, on_upgrade};
}
