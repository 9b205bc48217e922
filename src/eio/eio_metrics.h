/* The engine's counters, for the server's metrics (include/sio_metrics.h).
 * Plain integers, changed only on the loop thread that owns the engine,
 * and read there: no locks, nothing allocated. */
#ifndef SIO_EIO_METRICS_H
#define SIO_EIO_METRICS_H

#include <stdint.h>

/* Indices: [transport (eio_transport_kind)][Engine.IO protocol - 3]. */
#define EIO_METRICS_TRANSPORTS 2
#define EIO_METRICS_VERSIONS 2
/* Engine.IO error codes 0..5 (eio_error), and close reasons (eio_close_reason). */
#define EIO_METRICS_ERRORS 6
#define EIO_METRICS_CLOSE_REASONS 7

typedef struct eio_metrics {
    uint64_t open[EIO_METRICS_TRANSPORTS][EIO_METRICS_VERSIONS];   /* sessions open now, by current transport */
    uint64_t opened[EIO_METRICS_TRANSPORTS][EIO_METRICS_VERSIONS]; /* by the transport of their handshake */
    uint64_t refused[EIO_METRICS_ERRORS]; /* requests answered with an Engine.IO error */
    uint64_t closed[EIO_METRICS_CLOSE_REASONS];
    uint64_t upgrades, upgrade_failures; /* probes that completed, and those abandoned */
    /* Engine.IO payload bytes, as sio_metrics.h defines them: polling
     * bodies (a POST's, a poll's answer; JSONP's form and script), and
     * WebSocket message payloads (the probe's, a v3 binary message with its
     * type byte), uncompressed, without HTTP or WebSocket framing. Counted
     * where the engine takes or hands over those bytes. */
    uint64_t bytes_received, bytes_sent;
} eio_metrics;

/* Counts a request answered with the Engine.IO error `code`. */
static inline void eio_metrics_refused(eio_metrics *m, int code)
{
    if (code >= 0 && code < EIO_METRICS_ERRORS)
        m->refused[code]++;
}

#endif
