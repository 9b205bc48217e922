/* The Prometheus text exposition format (version 0.0.4) of a server's
 * metrics: pure, from numbers already read (sio_metrics.c reads them). */
#ifndef SIO_API_METRICS_TEXT_H
#define SIO_API_METRICS_TEXT_H

#include <stddef.h>

#include "sio_metrics.h"
#include "util/buf.h"

/* Appends every family to `out`, each with its # HELP and # TYPE lines, in
 * a fixed order; the namespaces' samples in the order of their names (nsps
 * is sorted in place). Label values are escaped as the format asks
 * (backslash, double quote, newline). Returns 0, or -1 when out of memory
 * (out then holds part of the text). */
int metrics_text_write(sio_buf *out, const sio_metrics *m, sio_namespace_metrics *nsps, size_t n_nsps,
                       const sio_process_metrics *proc);

#endif
