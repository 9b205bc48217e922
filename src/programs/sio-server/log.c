/* sio-server's log (log.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static int log_level = L_INFO;

bool log_set_level(const char *name)
{
    for (int l = L_ERROR; l <= L_DEBUG; l++) {
        if (strcmp(name, level_names[l]) == 0) {
            log_level = l;
            return true;
        }
    }
    return false;
}

/* Control characters in the message (a decoded request path may hold a
 * newline) are printed as '?', so one call is always one line. */
void logmsg(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    for (unsigned char *c = (unsigned char *)msg; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            *c = '?';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s %s\n", when, ts.tv_nsec / 1000000, level_names[level], msg);
}

void log_from_library(int level, const char *line, void *user)
{
    (void)user;
    logmsg(level < L_ERROR ? L_ERROR : level > L_DEBUG ? L_DEBUG : level, "%s", line);
}
