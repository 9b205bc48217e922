/* The core's log records: sockets connecting and going, CONNECTs refused,
 * and the socket accessors those records read (sio.h). Records go to the
 * application's log_record callback, or as a line of text to its `log`. */
#include "sio/sio_core.h"
#include "util/log_format.h"

#include <stdio.h>
#include <string.h>

void sio_log(const sio_server *srv, int level, const char *msg, const sio_log_field *fields, size_t n)
{
    sio_log_record r = {level, msg, fields, n};
    if (srv->opt.log_record) {
        srv->opt.log_record(&r, srv->opt.log_user);
        return;
    }
    if (!srv->opt.log)
        return;
    sio_buf b;
    sio_buf_init(&b, 0);
    if (log_format(&b, &r, SIO_LOG_TEXT, NULL) == 0 && sio_buf_putc(&b, 0) == 0)
        srv->opt.log(level, (const char *)b.data, srv->opt.log_user);
    sio_buf_free(&b);
}

bool sio_log_wanted(const sio_server *srv) { return srv->opt.log_record || srv->opt.log; }

static const char *transport_name(unsigned kind) { return kind == EIO_WEBSOCKET ? "websocket" : "polling"; }

static unsigned client_transport(const sio_client *c)
{
    return c->es ? eio_session_transport(c->es) : c->closed_transport;
}

const char *sio_socket_transport(const sio_socket *s)
{
    return transport_name(s->client ? client_transport(s->client) : s->transport);
}

int sio_socket_protocol(const sio_socket *s)
{
    if (s->client)
        return s->client->protocol == 4 ? 3 : 4;
    return s->eio_protocol ? s->eio_protocol : 4;
}

static const char *address_of(const sio_request *r)
{
    const char *a = r ? sio_request_address(r) : NULL;
    return a ? a : "";
}

/* The fields every record of a socket starts with; returns how many (5). */
static size_t socket_fields(const sio_socket *s, sio_log_field *f)
{
    f[0] = (sio_log_field){"address", address_of(s->req), 0};
    f[1] = (sio_log_field){"transport", transport_name(s->transport), 0};
    f[2] = (sio_log_field){"protocol", NULL, s->eio_protocol};
    f[3] = (sio_log_field){"namespace", s->nsp->name, 0};
    f[4] = (sio_log_field){"socket", s->id, 0};
    return 5;
}

void sio_log_connect(sio_socket *s)
{
    sio_server *srv = s->nsp->srv;
    s->connected_at = srv->clock();
    s->transport = (uint8_t)client_transport(s->client);
    s->eio_protocol = (uint8_t)sio_socket_protocol(s);
    if (!sio_log_wanted(srv))
        return;
    sio_log_field f[6];
    size_t n = socket_fields(s, f);
    f[n++] = (sio_log_field){"sid", s->client->es ? eio_session_sid(s->client->es) : "", 0};
    sio_log(srv, 2, "connect", f, n);
}

void sio_log_disconnect(sio_socket *s, const char *reason)
{
    if (s->client)
        s->transport = (uint8_t)client_transport(s->client);
    sio_server *srv = s->nsp->srv;
    if (!sio_log_wanted(srv))
        return;
    int64_t ms = srv->clock() - s->connected_at;
    sio_log_field f[7];
    size_t n = socket_fields(s, f);
    f[n++] = (sio_log_field){"duration_ms", NULL, ms < 0 ? 0 : ms};
    f[n++] = (sio_log_field){"reason", reason ? reason : "", 0};
    sio_log(srv, 2, "disconnect", f, n);
}

void sio_log_connect_refused(const sio_client *c, const char *nsp, size_t len, const char *message)
{
    if (!sio_log_wanted(c->srv))
        return;
    char name[256];
    snprintf(name, sizeof(name), "%.*s", (int)(len < sizeof(name) ? len : sizeof(name) - 1), nsp);
    sio_log_field f[] = {
        {"address", address_of(c->req), 0},
        {"transport", transport_name(client_transport(c)), 0},
        {"protocol", NULL, c->protocol == 4 ? 3 : 4},
        {"namespace", name, 0},
        {"sid", c->es ? eio_session_sid(c->es) : "", 0},
        {"reason", message, 0},
    };
    sio_log(c->srv, 2, "connect refused", f, sizeof(f) / sizeof(f[0]));
}
