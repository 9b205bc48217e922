/* Log records (sio.h's sio_log_record) as lines: logfmt text or JSON. The
 * one formatter of the project: the library's `log` callback gets its text,
 * sio_log_format is its public face. Pure: no I/O, no clock. */
#ifndef SIO_UTIL_LOG_FORMAT_H
#define SIO_UTIL_LOG_FORMAT_H

#include "sio.h"
#include "util/buf.h"

/* Longest string value written whole; a longer one is cut and ends "...". */
#define LOG_VALUE_MAX 1024

/* Appends the record to `out` as sio_log_format describes, with no newline
 * and no NUL. Returns 0, or -1 when out of memory. */
int log_format(sio_buf *out, const sio_log_record *r, sio_log_style style, const char *time);

#endif
