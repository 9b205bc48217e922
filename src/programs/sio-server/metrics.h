/* sio-server's /metrics (the library's Prometheus text, sio_metrics.h) and
 * /health (for load balancers). */
#ifndef SIO_SERVER_METRICS_H
#define SIO_SERVER_METRICS_H

#include <stdbool.h>

#include "sio.h"

/* The default path of the metrics. */
#define METRICS_DEFAULT_PATH "/metrics"

/* Serves the metrics of `srv` at `path` (NULL: not at all) and the health
 * at /health. `path` must outlive the server. */
void metrics_init(sio_server *srv, const char *path);
/* Answers GET (and HEAD) of the two paths, 405 for other methods; false
 * for any other path. Loop thread (the server's HTTP handler). */
bool metrics_serve(const sio_http_request *req, sio_http_response *res);

#endif
