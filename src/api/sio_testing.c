/* Hooks for test servers (include/sio_testing.h), on the engine's faults
 * and tap (eio/eio_faults.h), and deferred HTTP responses
 * (include/sio_deferred.h) on the transport's. */
#include "sio_deferred.h"
#include "sio_testing.h"

#include "eio/eio_faults.h"
#include "sio/sio_core.h"
#include "transport/transport.h"

#include <stdlib.h>

_Static_assert(SIO_FAULT_NO_HEARTBEAT == EIO_FAULT_NO_HEARTBEAT && SIO_FAULT_STALL_POLLS == EIO_FAULT_STALL_POLLS &&
                   SIO_FAULT_CLOSE_POLLS == EIO_FAULT_CLOSE_POLLS &&
                   SIO_FAULT_REFUSE_UPGRADE == EIO_FAULT_REFUSE_UPGRADE && SIO_FAULT_DELAY == EIO_FAULT_DELAY,
               "the public fault bits are the engine's");

/* The handle is the transport's. */
struct sio_http_deferred {
    char unused;
};

sio_http_deferred *sio_http_defer(sio_http_response *res)
{
    return (sio_http_deferred *)transport_http_defer((transport_http_response *)res);
}

bool sio_http_deferred_open(const sio_http_deferred *d)
{
    return transport_deferred_open((const transport_deferred *)d);
}

int sio_http_deferred_reply(sio_http_deferred *d, unsigned status, const char *content_type, const void *body,
                            size_t len)
{
    transport_deferred *td = (transport_deferred *)d;
    if (!transport_deferred_open(td)) {
        transport_deferred_reply(td, status, content_type, body, len); /* frees it */
        return SIO_ECLOSED;
    }
    return transport_deferred_reply(td, status, content_type, body, len) ? SIO_ENOMEM : SIO_OK;
}

/* Work done from outside the server's own callbacks: what it closed is
 * reaped and the timers it moved are re-armed. */
static void settle(sio_server *srv)
{
    if (srv->transport)
        transport_settle(srv->transport);
}

int sio_test_set_faults(sio_server *srv, const char *conn, unsigned faults, unsigned delay_ms)
{
    if (!conn) {
        eio_engine_set_faults(srv->eng, faults, delay_ms);
        return SIO_OK;
    }
    eio_session *s = eio_engine_find_session(srv->eng, conn);
    if (!s)
        return SIO_ENOTFOUND;
    return eio_session_set_faults(s, faults, delay_ms) ? SIO_ENOMEM : SIO_OK;
}

int sio_test_drop(sio_server *srv, const char *conn)
{
    int n = 0;
    if (conn) {
        eio_session *s = eio_engine_find_session(srv->eng, conn);
        if (!s)
            return SIO_ENOTFOUND;
        eio_session_abort(s);
        n = 1;
    } else {
        /* Aborting takes the session out of the table: look again each time. */
        for (eio_session *s; (s = eio_engine_any_session(srv->eng)); n++)
            eio_session_abort(s);
    }
    settle(srv);
    return n;
}

int sio_test_send_raw(sio_server *srv, const char *conn, const char *packet, size_t len)
{
    if (!packet || !len)
        return SIO_EINVAL;
    eio_session *s = conn ? eio_engine_find_session(srv->eng, conn) : NULL;
    if (!s)
        return SIO_ENOTFOUND;
    sio_msg *m = sio_msg_new(0, packet, len, false);
    if (!m)
        return SIO_ENOMEM;
    int rc = eio_session_send(s, m);
    sio_msg_unref(m);
    settle(srv);
    return rc == EIO_SEND_OK ? SIO_OK : SIO_ENOTFOUND;
}

typedef struct tap_ctx {
    sio_test_tap_fn fn;
    void *user;
} tap_ctx;

static void on_tap(void *ctx, eio_session *s, bool outgoing, const unsigned char *p, size_t n, bool binary)
{
    sio_server *srv = ctx;
    tap_ctx *t = srv->test_tap;
    if (t && t->fn)
        t->fn(eio_session_sid(s), outgoing, p, n, binary, t->user);
}

void sio_test_tap(sio_server *srv, sio_test_tap_fn fn, void *user)
{
    if (!srv->test_tap && !(srv->test_tap = calloc(1, sizeof(tap_ctx))))
        return;
    tap_ctx *t = srv->test_tap;
    t->fn = fn;
    t->user = user;
    eio_engine_set_tap(srv->eng, fn ? on_tap : NULL, srv, transport_now_ms);
}
