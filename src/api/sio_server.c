/* The public Socket.IO server (include/sio.h): wires the core to the
 * transport and runs the loop. */
#include "sio.h"

#include "sio/sio_core.h"
#include "transport/transport.h"

static void wake(void *transport) { transport_wake(transport); }
static void on_wake(void *ctx) { sio_core_run_posted(ctx); }
static int64_t next_deadline(void *ctx) { return sio_core_next_deadline(ctx); }
static void tick(void *ctx, int64_t now) { sio_core_tick(ctx, now); }

sio_server *sio_server_new(const sio_options *o)
{
    sio_server *srv = sio_core_new(o);
    if (!srv)
        return NULL;
    srv->clock = transport_now_ms;
    eio_options eo;
    eio_options_defaults(&eo);
    eo.ping_interval = o->ping_interval;
    eo.ping_timeout = o->ping_timeout;
    eo.upgrade_timeout = o->upgrade_timeout;
    eo.max_payload = o->max_http_buffer_size;
    transport_config tc;
    transport_config_defaults(&tc);
    tc.bind_addr = o->bind_addr;
    tc.port = o->port;
    tc.path = o->path;
    tc.cors = (eio_cors){o->cors_origins, o->n_cors_origins, o->cors_credentials};
    tc.on_wake = on_wake;
    tc.wake_ctx = srv;
    tc.next_deadline = next_deadline;
    tc.tick = tick;
    tc.timer_ctx = srv;
    eio_handler h = sio_core_engine_handler(srv);
    sio_transport *t = transport_new(&tc, &eo, &h);
    if (!t) {
        sio_core_free(srv);
        return NULL;
    }
    srv->transport = t;
    srv->wake = wake;
    srv->eng = transport_engine(t);
    return srv;
}

int sio_server_port(const sio_server *srv) { return transport_port(srv->transport); }

int sio_server_run(sio_server *srv)
{
    int rc = transport_run(srv->transport);
    sio_core_close_posts(srv);
    return rc;
}

void sio_server_stop(sio_server *srv) { transport_stop(srv->transport); }

void sio_server_free(sio_server *srv)
{
    if (!srv)
        return;
    sio_core_close_posts(srv);
    transport_free(srv->transport); /* closes the sessions: the core hears of it */
    sio_core_free(srv);
}
