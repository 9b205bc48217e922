/* sio-server's log: one line per record on stderr, as text
 *   2026-01-02T03:04:05.678Z info connect address=127.0.0.1 transport=polling ...
 * or as JSON, one object per line
 *   {"time":"2026-01-02T03:04:05.678Z","level":"info","msg":"connect","address":...}
 * The library's records (connections, refusals, libwebsockets' lines) and
 * the program's own go through here. */
#ifndef SIO_SERVER_LOG_H
#define SIO_SERVER_LOG_H

#include <stdbool.h>

#include "sio.h"

enum { L_ERROR, L_WARN, L_INFO, L_DEBUG };

/* Sets the level by name (error, warn, info, debug); false for another name. */
bool log_set_level(const char *name);
/* Sets the format by name (text, json); false for another name. */
bool log_set_format(const char *name);
/* A record of the program's own: a message and fields (n may be 0). */
void log_fields(int level, const char *msg, const sio_log_field *fields, size_t n);
/* A record made of a formatted message alone. */
__attribute__((format(printf, 2, 3))) void logmsg(int level, const char *fmt, ...);
/* The line that says the port, printed whatever the level (a supervisor, or
 * a test, reads the port from it): "sio-server listening on port N" as it is
 * in text (no time, no level), an info record with that message and the
 * field "port" in JSON. */
void log_listening(int port);
/* The library's log callback (sio_options.log_record). */
void log_from_library(const sio_log_record *r, void *user);

#endif
