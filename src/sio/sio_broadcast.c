/* Broadcast: one encoding shared by every recipient's send queue. */
#include "sio/sio_core.h"

#include <stdlib.h>
#include <string.h>

/* Marks every socket of the except-rooms with `mark`. */
static void mark_except(sio_namespace *nsp, const sio_target *to, uint64_t mark)
{
    for (size_t i = 0; to && i < to->n_except; i++) {
        sio_room *r = strmap_get(&nsp->rooms, to->except[i], strlen(to->except[i]));
        for (size_t k = 0; r && k < r->n; k++)
            r->members[k]->mark = mark;
        sio_socket *own = sio_own_room_member(nsp, to->except[i]);
        if (own)
            own->mark = mark;
    }
}

/* Adds `s` to the list unless it is skipped or already there. Returns 0,
 * or -1 when out of memory. */
static int add_target(sio_socket ***list, size_t *n, size_t *cap, sio_socket *s, const sio_target *to,
                      uint64_t skip, uint64_t sent)
{
    if (s->mark == skip || s->mark == sent || (to && s == to->exclude))
        return 0;
    s->mark = sent;
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 16;
        sio_socket **l = realloc(*list, c * sizeof(*l));
        if (!l)
            return -1;
        *list = l;
        *cap = c;
    }
    (*list)[(*n)++] = sio_socket_ref(s);
    return 0;
}

static void release_targets(sio_socket **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sio_socket_unref(list[i]);
    free(list);
}

/* Collects the target sockets, each once, with a reference each: sending
 * may close a client (a full queue), which changes the rooms and may drop
 * the last other reference to a socket. Marks: except-room members get
 * `skip`, collected sockets `sent`, so a socket in several target rooms is
 * collected once. Returns the count, or -1 when out of memory. */
static int collect_targets(sio_namespace *nsp, const sio_target *to, sio_socket ***out)
{
    size_t n = 0, cap = 0;
    sio_socket **list = NULL;
    sio_server *srv = nsp->srv;
    uint64_t skip = ++srv->epoch, sent = ++srv->epoch;
    mark_except(nsp, to, skip);
    size_t nrooms = to && to->n_rooms ? to->n_rooms : 1;
    int rc = 0;
    for (size_t i = 0; i < nrooms && rc == 0; i++) {
        const char *name = to && to->n_rooms ? to->rooms[i] : NULL;
        sio_room *r = name ? strmap_get(&nsp->rooms, name, strlen(name)) : &nsp->all;
        for (size_t k = 0; r && k < r->n && rc == 0; k++)
            rc = add_target(&list, &n, &cap, r->members[k], to, skip, sent);
        sio_socket *own = name ? sio_own_room_member(nsp, name) : NULL;
        if (own && rc == 0)
            rc = add_target(&list, &n, &cap, own, to, skip, sent);
    }
    if (rc) {
        release_targets(list, n);
        return -1;
    }
    *out = list;
    return (int)n;
}

int sio_broadcast(sio_namespace *nsp, const sio_target *to, const char *event, const char *args_json,
                  const sio_binary *bins, size_t nbins)
{
    sio_server *srv = nsp->srv;
    sio_msg *m, **atts;
    int rc = sio_encode_packet(srv, SIO_PKT_EVENT, nsp->name, -1, event, args_json, bins, nbins, &m, &atts);
    if (rc != SIO_OK)
        return rc;
    sio_socket **list;
    int n = collect_targets(nsp, to, &list);
    int count = 0;
    bool is_volatile = to && to->is_volatile;
    for (int i = 0; i < n; i++)
        if (list[i]->state == SOCK_CONNECTED &&
            sio_socket_deliver(list[i], m, atts, nbins, is_volatile) == SIO_OK)
            count++;
    if (n > 0)
        release_targets(list, (size_t)n);
    sio_release_msgs(m, atts, nbins);
    if (n < 0)
        return SIO_ENOMEM;
    srv->stats.broadcast_recipients += (uint64_t)count;
    return count;
}

int sio_disconnect_room(sio_namespace *nsp, const char *room, bool close_client)
{
    sio_target to = {0};
    const char *rooms[1] = {room};
    if (room) {
        to.rooms = rooms;
        to.n_rooms = 1;
    }
    sio_socket **list;
    int n = collect_targets(nsp, &to, &list);
    if (n < 0)
        return SIO_ENOMEM;
    for (int i = 0; i < n; i++)
        sio_disconnect(list[i], close_client);
    if (n > 0)
        release_targets(list, (size_t)n);
    return n;
}
