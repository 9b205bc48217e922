/* sio-server's log (log.h). Records are formatted by the library
 * (sio_log_format), which escapes what needs it: a request's path can hold
 * anything, and a record is always one line. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

static int log_level = L_INFO;
static sio_log_style log_style = SIO_LOG_TEXT;

bool log_set_level(const char *name)
{
    for (int l = L_ERROR; l <= L_DEBUG; l++) {
        if (strcmp(name, sio_log_level_name(l)) == 0) {
            log_level = l;
            return true;
        }
    }
    return false;
}

bool log_set_format(const char *name)
{
    if (strcmp(name, "text") == 0)
        log_style = SIO_LOG_TEXT;
    else if (strcmp(name, "json") == 0)
        log_style = SIO_LOG_JSON;
    else
        return false;
    return true;
}

/* The record on one line, with the time (UTC, ms). One fprintf: a line is
 * written whole. */
static void put(const sio_log_record *r)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char when[40];
    size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when + n, sizeof(when) - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
    char *line = sio_log_format(r, log_style, when);
    if (line)
        fprintf(stderr, "%s\n", line);
    else
        fprintf(stderr, "%s %s out of memory formatting a log record\n", when, sio_log_level_name(L_ERROR));
    free(line);
}

void log_fields(int level, const char *msg, const sio_log_field *fields, size_t n)
{
    if (level > log_level)
        return;
    sio_log_record r = {level, msg, fields, n};
    put(&r);
}

void logmsg(int level, const char *fmt, ...)
{
    if (level > log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_fields(level, msg, NULL, 0);
}

void log_listening(int port)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "sio-server listening on port %d", port);
    if (log_style == SIO_LOG_TEXT) {
        fprintf(stderr, "%s\n", msg);
        return;
    }
    sio_log_field f = {"port", NULL, port};
    sio_log_record r = {L_INFO, msg, &f, 1};
    put(&r);
}

void log_from_library(const sio_log_record *r, void *user)
{
    (void)user;
    if (r->level <= log_level)
        put(r);
}
