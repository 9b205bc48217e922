/* The event log (testserver.h): what the clients did, in order, bounded
 * (the oldest entries go past LOG_CAP), each entry told to the waits. */
#include "testserver.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG_CAP 20000

int64_t ts_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static void entry_free(void *item)
{
    ts_entry *e = item;
    free(e->socket);
    free(e->nsp);
    free(e->event);
    free(e->args);
    free(e->reason);
}

const ts_entry *ts_log_at(const ts_log *log, size_t i) { return ts_ring_at(&log->ring, i); }

size_t ts_log_count(const ts_log *log) { return log->ring.len; }

uint64_t ts_log_last_seq(const ts_log *log) { return log->next_seq ? log->next_seq - 1 : 0; }

void ts_log_add(ts_state *st, const char *kind, const char *socket, const char *nsp, const char *event,
                const char *args, const char *reason)
{
    ts_log *log = &st->log;
    if (!log->next_seq)
        log->next_seq = 1;
    ts_entry *e = ts_ring_push(&log->ring, sizeof(ts_entry), LOG_CAP, entry_free);
    if (!e)
        return;
    *e = (ts_entry){
        .seq = log->next_seq++,
        .time = ts_now(),
        .kind = kind,
        .socket = dup_or_null(socket),
        .nsp = dup_or_null(nsp),
        .event = dup_or_null(event),
        .args = dup_or_null(args),
        .reason = dup_or_null(reason),
    };
    ts_waits_notify(st, e);
}

void ts_log_clear(ts_log *log)
{
    ts_ring_clear(&log->ring, entry_free);
    log->next_seq = 0;
}

void ts_entry_write(sio_json_writer *w, const ts_entry *e)
{
    sio_jw_object(w);
    sio_jw_key(w, "seq");
    sio_jw_int(w, (int64_t)e->seq);
    sio_jw_key(w, "time");
    sio_jw_int(w, e->time);
    sio_jw_key(w, "kind");
    sio_jw_string(w, e->kind);
    sio_jw_key(w, "socket");
    sio_jw_string(w, e->socket);
    sio_jw_key(w, "namespace");
    sio_jw_string(w, e->nsp);
    if (e->event) {
        sio_jw_key(w, "event");
        sio_jw_string(w, e->event);
    }
    if (e->args) {
        sio_jw_key(w, strcmp(e->kind, "connect") == 0 ? "auth" : "args");
        sio_jw_raw(w, e->args, strlen(e->args));
    }
    if (e->reason) {
        sio_jw_key(w, strcmp(e->kind, "refused") == 0 ? "message" : "reason");
        sio_jw_string(w, e->reason);
    }
    sio_jw_object_end(w);
}
