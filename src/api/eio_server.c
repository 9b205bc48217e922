/* The public raw Engine.IO API (include/eio.h) over the transport. */
#include "eio.h"

#include <stdio.h>
#include <stdlib.h>

#include "eio/eio_engine.h"
#include "transport/transport.h"

struct eio_server {
    sio_transport *t;
    eio_server_callbacks cb;
    void *user;
};

/* An eio_client is the engine's session: the handle is the same pointer. */
static eio_session *session_of(eio_client *c) { return (eio_session *)c; }

void eio_server_options_init(eio_server_options *o)
{
    eio_options d;
    eio_options_defaults(&d);
    *o = (eio_server_options){
        .port = 3000,
        .path = "/engine.io/",
        .ping_interval = d.ping_interval,
        .ping_timeout = d.ping_timeout,
        .upgrade_timeout = d.upgrade_timeout,
        .max_payload = d.max_payload,
        .max_queue_bytes = d.max_queue_bytes,
        .max_total_queue_bytes = d.max_total_queue_bytes,
        .request_timeout = 300000,
        .keep_alive_timeout = 5000,
        .transports = EIO_TRANSPORT_POLLING | EIO_TRANSPORT_WEBSOCKET,
        .allow_upgrades = d.allow_upgrades,
        .allow_eio3 = d.allow_eio3,
    };
}

static void on_open(void *ctx, eio_session *s)
{
    eio_server *srv = ctx;
    if (srv->cb.on_connection)
        srv->cb.on_connection(srv, (eio_client *)s, srv->user);
}

static void on_message(void *ctx, eio_session *s, const unsigned char *p, size_t n, bool binary)
{
    eio_server *srv = ctx;
    if (srv->cb.on_message)
        srv->cb.on_message((eio_client *)s, p, n, binary, srv->user);
}

static void on_close(void *ctx, eio_session *s, eio_close_reason r)
{
    eio_server *srv = ctx;
    if (srv->cb.on_close)
        srv->cb.on_close((eio_client *)s, eio_close_reason_str(r), srv->user);
}

_Static_assert(EIO_SERVER_ENOMEM == (int)TRANSPORT_ENOMEM && EIO_SERVER_EADDRINUSE == (int)TRANSPORT_EADDRINUSE &&
                   EIO_SERVER_EADDRNOTAVAIL == (int)TRANSPORT_EADDRNOTAVAIL &&
                   EIO_SERVER_EACCES == (int)TRANSPORT_EACCES && EIO_SERVER_EEVENTLOOP == (int)TRANSPORT_EEVENTLOOP &&
                   EIO_SERVER_ELISTEN == (int)TRANSPORT_ELISTEN,
               "the public codes are the transport's");

eio_server *eio_server_new(const eio_server_options *o, const eio_server_callbacks *cb, void *user)
{
    char why[256];
    eio_server *srv = NULL;
    if (eio_server_create(o, cb, user, &srv, why, sizeof(why)) != EIO_SERVER_OK)
        fprintf(stderr, "%s\n", why);
    return srv;
}

int eio_server_create(const eio_server_options *o, const eio_server_callbacks *cb, void *user,
                      eio_server **out, char *why, size_t why_len)
{
    *out = NULL;
    if (why && why_len)
        snprintf(why, why_len, "out of memory");
    eio_server *srv = calloc(1, sizeof(*srv));
    if (!srv)
        return EIO_SERVER_ENOMEM;
    srv->cb = *cb;
    srv->user = user;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.ping_interval = o->ping_interval;
    eo.ping_timeout = o->ping_timeout;
    eo.upgrade_timeout = o->upgrade_timeout;
    eo.max_payload = o->max_payload;
    if (o->max_queue_bytes)
        eo.max_queue_bytes = o->max_queue_bytes;
    eo.max_total_queue_bytes = o->max_total_queue_bytes;
    if (o->transports) {
        eo.allow_polling = o->transports & EIO_TRANSPORT_POLLING;
        eo.allow_websocket = o->transports & EIO_TRANSPORT_WEBSOCKET;
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
    if (o->request_timeout)
        tc.request_timeout_ms = o->request_timeout;
    if (o->keep_alive_timeout)
        tc.keep_alive_secs = (o->keep_alive_timeout + 999) / 1000;
    tc.max_connections = o->max_connections;
    eio_handler h = {srv, on_open, on_message, on_close, NULL, NULL};
    transport_failure tf = {TRANSPORT_ENOMEM, "out of memory"};
    srv->t = transport_new(&tc, &eo, &h, &tf);
    if (!srv->t) {
        free(srv);
        if (why && why_len)
            snprintf(why, why_len, "%s", tf.message);
        return (int)tf.code;
    }
    *out = srv;
    return EIO_SERVER_OK;
}

int eio_server_port(const eio_server *srv) { return transport_port(srv->t); }
int eio_server_run(eio_server *srv) { return transport_run(srv->t); }
void eio_server_stop(eio_server *srv) { transport_stop(srv->t); }

void eio_server_free(eio_server *srv)
{
    if (!srv)
        return;
    transport_free(srv->t);
    free(srv);
}

int eio_client_send(eio_client *c, const void *data, size_t len, bool binary)
{
    sio_msg *m = sio_msg_new(binary ? 0 : '4', data, len, binary);
    if (!m)
        return -1;
    int rc = eio_session_send(session_of(c), m);
    sio_msg_unref(m);
    return rc == EIO_SEND_OK ? 0 : -1;
}

void eio_client_close(eio_client *c) { eio_session_close(session_of(c)); }
const char *eio_client_id(const eio_client *c) { return eio_session_sid((const eio_session *)c); }
