/* sio-server's log: "<UTC time> <level> <message>" lines on stderr. */
#ifndef SIO_SERVER_LOG_H
#define SIO_SERVER_LOG_H

#include <stdbool.h>

enum { L_ERROR, L_WARN, L_INFO, L_DEBUG };

/* Sets the level by name (error, warn, info, debug); false for another name. */
bool log_set_level(const char *name);
__attribute__((format(printf, 2, 3))) void logmsg(int level, const char *fmt, ...);
/* The library's log callback (sio_options.log): its lines go through logmsg. */
void log_from_library(int level, const char *line, void *user);

#endif
