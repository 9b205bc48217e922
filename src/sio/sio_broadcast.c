/* The public operations on a target of sockets (broadcasts, fetch, join,
 * leave, disconnect): each turns the target into a sio_bcast and hands it
 * to the namespace's adapter, which decides which servers it reaches. */
#include "sio/sio_core.h"

#include <stdlib.h>
#include <string.h>

int sio_bcast_from_target(sio_namespace *nsp, const sio_target *to, sio_bcast *b, const char ***owned)
{
    *owned = NULL;
    *b = (sio_bcast){.timeout_ms = nsp->srv->opt.requests_timeout};
    if (!to)
        return SIO_OK;
    b->rooms = to->rooms;
    b->n_rooms = to->rooms ? to->n_rooms : 0;
    b->except = to->except;
    b->n_except = to->except ? to->n_except : 0;
    b->exclude = to->exclude;
    b->flags = (to->local ? SIO_BCAST_LOCAL : 0) | (to->is_volatile ? SIO_BCAST_VOLATILE : 0) |
               (to->uncompressed ? SIO_BCAST_UNCOMPRESSED : 0);
    if (to->timeout_ms)
        b->timeout_ms = to->timeout_ms;
    if (to->exclude) {
        /* Other servers know the excluded socket by its room, as Node
         * sends socket.broadcast's. */
        const char **ex = malloc((b->n_except + 1) * sizeof(*ex));
        if (!ex)
            return SIO_ENOMEM;
        if (b->n_except)
            memcpy(ex, b->except, b->n_except * sizeof(*ex));
        ex[b->n_except] = to->exclude->id;
        b->except = ex;
        b->n_except++;
        *owned = ex;
    }
    return SIO_OK;
}

/* The arguments every operation below starts with. */
#define WITH_BCAST(nsp, to, b, call)                                                                       \
    do {                                                                                                   \
        const char **owned_;                                                                               \
        if (sio_bcast_from_target((nsp), (to), &(b), &owned_) != SIO_OK)                                   \
            return SIO_ENOMEM;                                                                             \
        int rc_ = (call);                                                                                  \
        free(owned_);                                                                                      \
        return rc_;                                                                                        \
    } while (0)

int sio_broadcast(sio_namespace *nsp, const sio_target *to, const char *event, const char *args_json,
                  const sio_binary *bins, size_t nbins)
{
    if (!event)
        return SIO_EINVAL;
    sio_bcast b;
    sio_adapter_packet p = {event, args_json, bins, nbins};
    WITH_BCAST(nsp, to, b, nsp->adapter->ops->broadcast(nsp->adapter, &b, &p));
}

int sio_disconnect_room(sio_namespace *nsp, const char *room, bool close_client)
{
    const char *rooms[1] = {room};
    sio_target to = {.rooms = rooms, .n_rooms = room ? 1 : 0};
    return sio_disconnect_sockets(nsp, &to, close_client);
}

int sio_sockets_join(sio_namespace *nsp, const sio_target *to, const char *const *rooms, size_t n)
{
    if (n && !rooms)
        return SIO_EINVAL;
    sio_bcast b;
    WITH_BCAST(nsp, to, b, nsp->adapter->ops->add_sockets(nsp->adapter, &b, rooms, n));
}

int sio_sockets_leave(sio_namespace *nsp, const sio_target *to, const char *const *rooms, size_t n)
{
    if (n && !rooms)
        return SIO_EINVAL;
    sio_bcast b;
    WITH_BCAST(nsp, to, b, nsp->adapter->ops->del_sockets(nsp->adapter, &b, rooms, n));
}

int sio_disconnect_sockets(sio_namespace *nsp, const sio_target *to, bool close_client)
{
    sio_bcast b;
    WITH_BCAST(nsp, to, b, nsp->adapter->ops->disconnect_sockets(nsp->adapter, &b, close_client));
}

/* Starts an op and hands it to the adapter; an op the adapter refused ends
 * without calling back. */
static int start_op(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p, sio_op_kind kind,
                    sio_op_done done)
{
    bool acks = p != NULL;
    sio_op *op = sio_op_new(nsp, kind, done, b->timeout_ms, acks);
    if (!op)
        return SIO_ENOMEM;
    sio_adapter *a = nsp->adapter;
    int rc = acks ? a->ops->broadcast_with_ack(a, b, p, op) : a->ops->fetch_sockets(a, b, op);
    if (rc < 0)
        sio_op_abandon(op);
    return rc;
}

int sio_broadcast_with_ack(sio_namespace *nsp, const sio_target *to, const char *event,
                           const char *args_json, const sio_binary *bins, size_t nbins, sio_replies_cb cb,
                           void *user)
{
    if (!event || !cb)
        return SIO_EINVAL;
    sio_bcast b;
    sio_adapter_packet p = {event, args_json, bins, nbins};
    sio_op_done done = {.replies = cb, .user = user};
    WITH_BCAST(nsp, to, b, start_op(nsp, &b, &p, SIO_OP_REPLIES, done));
}

int sio_fetch_sockets(sio_namespace *nsp, const sio_target *to, sio_fetch_cb cb, void *user)
{
    if (!cb)
        return SIO_EINVAL;
    sio_bcast b;
    sio_op_done done = {.fetch = cb, .user = user};
    WITH_BCAST(nsp, to, b, start_op(nsp, &b, NULL, SIO_OP_FETCH, done));
}
