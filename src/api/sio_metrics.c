/* The server's metrics (include/sio_metrics.h): the engine's counters and
 * the core's, read where they are kept, and the Prometheus text of them
 * (metrics_text.c). Loop thread. */
#include "sio_metrics.h"

#include <stdlib.h>
#include <string.h>

#include "api/metrics_text.h"
#include "eio/eio_metrics.h"
#include "sio/sio_core.h"
#include "transport/transport.h"

void sio_server_metrics(sio_server *srv, sio_metrics *out)
{
    memset(out, 0, sizeof(*out));
    const eio_metrics *e = eio_engine_metrics(srv->eng);
    memcpy(out->connections, e->open, sizeof(out->connections));
    memcpy(out->connections_opened, e->opened, sizeof(out->connections_opened));
    out->received_bytes = e->bytes_received;
    out->sent_bytes = e->bytes_sent;
    out->queued_bytes = eio_engine_queued_bytes(srv->eng);
    out->queue_full_closes = e->closed[EIO_CLOSE_QUEUE_FULL];
    memcpy(out->handshake_errors, e->refused, sizeof(out->handshake_errors));
    out->upgrades = e->upgrades;
    out->upgrade_failures = e->upgrade_failures;
    memcpy(out->connect_errors, srv->counters.connect_errors, sizeof(out->connect_errors));
    out->ack_timeouts = srv->counters.ack_timeouts;
    memcpy(out->disconnects, srv->counters.disconnects, sizeof(out->disconnects));
    out->namespaces = srv->nsps.count;
    out->stopping = transport_stopping(srv->transport);
}

size_t sio_server_namespace_metrics(sio_server *srv, sio_namespace_metrics *out, size_t cap)
{
    const strmap_slot *slot;
    size_t k = 0;
    for (size_t i = 0; strmap_next(&srv->nsps, &i, &slot); k++) {
        if (k >= cap)
            continue;
        const sio_namespace *nsp = slot->val;
        out[k] = (sio_namespace_metrics){
            .name = nsp->name,
            .sockets = nsp->all.n,
            .rooms = nsp->rooms.count,
            .events_received = nsp->counters.events_received,
            .events_sent = nsp->counters.events_sent,
            .broadcasts = nsp->counters.broadcasts,
            .broadcast_recipients = nsp->counters.broadcast_recipients,
        };
    }
    return k;
}

char *sio_metrics_text(sio_server *srv, size_t *len)
{
    sio_metrics m;
    sio_server_metrics(srv, &m);
    size_t n = sio_server_namespace_metrics(srv, NULL, 0);
    sio_namespace_metrics *nsps = calloc(n ? n : 1, sizeof(*nsps));
    if (!nsps)
        return NULL;
    sio_server_namespace_metrics(srv, nsps, n);
    sio_process_metrics proc;
    sio_process_metrics_read(&proc);
    sio_buf out;
    sio_buf_init(&out, 0);
    int rc = metrics_text_write(&out, &m, nsps, n, &proc);
    free(nsps);
    if (rc || sio_buf_putc(&out, 0)) {
        sio_buf_free(&out);
        return NULL;
    }
    if (len)
        *len = out.len - 1;
    return (char *)out.mem; /* headroom 0: data is the allocation itself */
}
