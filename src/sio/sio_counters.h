/* The Socket.IO core's counters, for the server's metrics
 * (include/sio_metrics.h): plain integers incremented on the loop thread,
 * no locks, nothing allocated. */
#ifndef SIO_SIO_COUNTERS_H
#define SIO_SIO_COUNTERS_H

#include <stdint.h>

#include "sio_metrics.h"

typedef struct sio_counters {
    uint64_t connect_errors[SIO_CONNECT_ERROR_REASONS];
    uint64_t ack_timeouts;
    uint64_t disconnects[SIO_DISCONNECT_REASONS];
} sio_counters;

/* One namespace's. */
typedef struct sio_nsp_counters {
    uint64_t events_received, events_sent;
    uint64_t broadcasts, broadcast_recipients;
} sio_nsp_counters;

/* Counts a connected socket's disconnect by its reason's words. */
void sio_count_disconnect(sio_counters *c, const char *reason);

#endif
