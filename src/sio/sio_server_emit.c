/* Events between servers (Node's serverSideEmit): sending them through the
 * adapter, and running this server's handlers for those another server
 * sent, with the reply it may wait for. */
#include "sio/sio_core.h"

#include <stdlib.h>
#include <string.h>

typedef struct sio_server_handler {
    sio_server_event_cb cb;
    void *user;
} sio_server_handler;

/* A reply owed to another server. */
struct sio_server_ack {
    sio_reply_sink sink;
    bool in_callback, retained, answered;
};

int sio_on_server_event(sio_namespace *nsp, const char *event, sio_server_event_cb cb, void *user)
{
    if (!event || !cb)
        return SIO_EINVAL;
    size_t len = strlen(event);
    sio_server_handler *h = strmap_get(&nsp->server_events, event, len);
    if (!h) {
        h = malloc(sizeof(*h));
        if (!h || strmap_put(&nsp->server_events, event, len, h)) {
            free(h);
            return SIO_ENOMEM;
        }
    }
    *h = (sio_server_handler){cb, user};
    return SIO_OK;
}

/* Validates what is sent to other servers: a named, unreserved event with a
 * JSON array of arguments and no attachments (they travel as JSON). */
static int check_server_event(sio_server *srv, const char *event, const char *args_json)
{
    if (!event || sio_is_reserved_event(event, strlen(event)))
        return SIO_EINVAL;
    return !args_json || sio_args_is_array(args_json, &srv->lim.json) ? SIO_OK : SIO_EINVAL;
}

int sio_server_side_emit(sio_namespace *nsp, const char *event, const char *args_json)
{
    int rc = check_server_event(nsp->srv, event, args_json);
    if (rc != SIO_OK)
        return rc;
    sio_adapter_packet p = {event, args_json, NULL, 0};
    rc = nsp->adapter->ops->server_side_emit(nsp->adapter, &p, NULL);
    return rc < 0 ? rc : SIO_OK;
}

int sio_server_side_emit_with_ack(sio_namespace *nsp, const char *event, const char *args_json,
                                  sio_replies_cb cb, void *user)
{
    if (!cb)
        return SIO_EINVAL;
    int rc = check_server_event(nsp->srv, event, args_json);
    if (rc != SIO_OK)
        return rc;
    sio_op_done done = {.replies = cb, .user = user};
    sio_op *op = sio_op_new(nsp, SIO_OP_REPLIES, done, nsp->srv->opt.requests_timeout, false);
    if (!op)
        return SIO_ENOMEM;
    sio_adapter_packet p = {event, args_json, NULL, 0};
    rc = nsp->adapter->ops->server_side_emit(nsp->adapter, &p, op);
    if (rc < 0) {
        sio_op_abandon(op);
        return rc;
    }
    return SIO_OK;
}

/* --- events from other servers ------------------------------------------------------ */

static void server_ack_free(sio_server_ack *ack)
{
    ack->sink.release(ack->sink.ctx);
    free(ack);
}

int sio_server_ack_send(sio_server_ack *ack, const char *value_json)
{
    if (!ack)
        return SIO_EINVAL;
    if (ack->answered)
        return SIO_ESTATE;
    ack->answered = true;
    const char *v = value_json ? value_json : "null";
    int rc = SIO_EINVAL;
    if (json_validate(v, strlen(v), NULL) == JSON_OK) {
        ack->sink.reply(ack->sink.ctx, v, strlen(v));
        rc = SIO_OK;
    }
    if (!ack->in_callback)
        server_ack_free(ack);
    return rc;
}

sio_server_ack *sio_server_ack_retain(sio_server_ack *ack)
{
    if (ack)
        ack->retained = true;
    return ack;
}

void sio_server_ack_discard(sio_server_ack *ack)
{
    if (!ack)
        return;
    if (ack->in_callback)
        ack->retained = false;
    else
        server_ack_free(ack);
}

typedef struct event_call {
    sio_namespace *nsp;
    const char *event;
    const sio_server_handler *h;
    sio_server_ack *ack;
} event_call;

static void call_handler(const sio_args *args, void *user)
{
    event_call *c = user;
    c->h->cb(c->nsp, c->event, args, c->ack, c->h->user);
}

int sio_local_server_event(sio_namespace *nsp, const sio_adapter_packet *p, const sio_reply_sink *sink)
{
    const char *event = p->event;
    const sio_server_handler *h = event ? strmap_get(&nsp->server_events, event, strlen(event)) : NULL;
    sio_server_ack *ack = NULL;
    if (h && sink && !(ack = calloc(1, sizeof(*ack)))) {
        sink->release(sink->ctx);
        return SIO_ENOMEM;
    }
    if (!h) { /* nobody listens: no reply, as in Node */
        if (sink)
            sink->release(sink->ctx);
        return SIO_OK;
    }
    if (ack)
        *ack = (sio_server_ack){.sink = *sink, .in_callback = true};
    event_call c = {nsp, event, h, ack};
    const char *args = p->args_json ? p->args_json : "[]";
    int rc = sio_args_with_json(nsp->srv, args, strlen(args), call_handler, &c);
    if (ack) {
        ack->in_callback = false;
        if (!ack->retained || ack->answered)
            server_ack_free(ack);
    }
    return rc;
}
