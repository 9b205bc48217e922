#include "api/metrics_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eio/eio_engine.h"

/* A writer that remembers a failure, so that the families below read as a
 * list rather than as a ladder of checks. */
typedef struct writer {
    sio_buf *b;
    int err;
} writer;

static void put(writer *w, const char *s) { w->err |= sio_buf_puts(w->b, s); }

/* A label value: backslash, double quote and line feed escaped; every
 * other byte as it is (the format is UTF-8, and a namespace's name is text
 * the client sent, already valid UTF-8). */
static void put_label_value(writer *w, const char *v)
{
    for (; *v; v++) {
        switch (*v) {
        case '\\': put(w, "\\\\"); break;
        case '"': put(w, "\\\""); break;
        case '\n': put(w, "\\n"); break;
        default: w->err |= sio_buf_putc(w->b, (unsigned char)*v);
        }
    }
}

static void family(writer *w, const char *name, const char *type, const char *help)
{
    w->err |= sio_buf_printf(w->b, "# HELP %s ", name);
    put(w, help); /* our own text: no backslash, no line feed */
    w->err |= sio_buf_printf(w->b, "\n# TYPE %s %s\n", name, type);
}

/* name{k1="v1",k2="v2"} (labels: NULL-terminated key, value pairs). */
static void sample_head(writer *w, const char *name, const char *const *labels)
{
    put(w, name);
    if (!labels || !labels[0])
        return;
    put(w, "{");
    for (size_t i = 0; labels[i]; i += 2) {
        w->err |= sio_buf_printf(w->b, "%s%s=\"", i ? "," : "", labels[i]);
        put_label_value(w, labels[i + 1]);
        put(w, "\"");
    }
    put(w, "}");
}

static void sample(writer *w, const char *name, const char *const *labels, uint64_t v)
{
    sample_head(w, name, labels);
    w->err |= sio_buf_printf(w->b, " %" PRIu64 "\n", v);
}

static void sample_double(writer *w, const char *name, double v)
{
    sample_head(w, name, NULL);
    w->err |= sio_buf_printf(w->b, " %.3f\n", v);
}

static const char *const transport_names[SIO_METRICS_TRANSPORTS] = {"polling", "websocket"};
static const char *const version_names[SIO_METRICS_EIO_VERSIONS] = {"3", "4"};

static void by_transport(writer *w, const char *name, const char *type, const char *help,
                         const uint64_t v[SIO_METRICS_TRANSPORTS][SIO_METRICS_EIO_VERSIONS])
{
    family(w, name, type, help);
    for (int t = 0; t < SIO_METRICS_TRANSPORTS; t++)
        for (int p = 0; p < SIO_METRICS_EIO_VERSIONS; p++)
            sample(w, name, (const char *[]){"transport", transport_names[t], "protocol_version", version_names[p], NULL},
                   v[t][p]);
}

/* One sample per namespace of the field at `offset` in sio_namespace_metrics. */
static void by_namespace(writer *w, const char *name, const char *type, const char *help,
                         const sio_namespace_metrics *nsps, size_t n, size_t offset)
{
    family(w, name, type, help);
    for (size_t i = 0; i < n; i++) {
        uint64_t v;
        memcpy(&v, (const char *)&nsps[i] + offset, sizeof(v));
        sample(w, name, (const char *[]){"namespace", nsps[i].name, NULL}, v);
    }
}

static void single(writer *w, const char *name, const char *type, const char *help, uint64_t v)
{
    family(w, name, type, help);
    sample(w, name, NULL, v);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const sio_namespace_metrics *)a)->name, ((const sio_namespace_metrics *)b)->name);
}

int metrics_text_write(sio_buf *out, const sio_metrics *m, sio_namespace_metrics *nsps, size_t n,
                       const sio_process_metrics *proc)
{
    writer w = {out, 0};
    if (n > 1)
        qsort(nsps, n, sizeof(*nsps), by_name);

    by_transport(&w, "socketio_connections", "gauge",
                 "Engine.IO connections open now, by their current transport and protocol version.",
                 m->connections);
    by_transport(&w, "socketio_connections_opened_total", "counter",
                 "Engine.IO connections opened, by the transport of their handshake and protocol version.",
                 m->connections_opened);
    by_namespace(&w, "socketio_sockets", "gauge", "Sockets connected now, by namespace.", nsps, n,
                 offsetof(sio_namespace_metrics, sockets));
    by_namespace(&w, "socketio_rooms", "gauge",
                 "Rooms with a member now, by namespace (not counting each socket's own room).", nsps, n,
                 offsetof(sio_namespace_metrics, rooms));
    by_namespace(&w, "socketio_events_received_total", "counter", "Event packets received from clients, by namespace.",
                 nsps, n, offsetof(sio_namespace_metrics, events_received));
    by_namespace(&w, "socketio_events_sent_total", "counter",
                 "Event packets queued for clients (one per recipient of a broadcast), by namespace.", nsps, n,
                 offsetof(sio_namespace_metrics, events_sent));
    by_namespace(&w, "socketio_broadcasts_total", "counter", "Broadcasts delivered on this server, by namespace.",
                 nsps, n, offsetof(sio_namespace_metrics, broadcasts));
    by_namespace(&w, "socketio_broadcast_recipients_total", "counter",
                 "Sockets of this server reached by broadcasts, by namespace.", nsps, n,
                 offsetof(sio_namespace_metrics, broadcast_recipients));
    single(&w, "socketio_received_bytes_total", "counter",
           "Engine.IO payload bytes received: polling request bodies and WebSocket message payloads, "
           "uncompressed, without HTTP or WebSocket framing.",
           m->received_bytes);
    single(&w, "socketio_sent_bytes_total", "counter",
           "Engine.IO payload bytes sent: polling response bodies and WebSocket message payloads, "
           "uncompressed, without HTTP or WebSocket framing.",
           m->sent_bytes);
    single(&w, "socketio_queued_bytes", "gauge",
           "Bytes held in the clients' send queues now (payloads plus upkeep, as the queue limit counts them).",
           m->queued_bytes);
    single(&w, "socketio_queue_full_closes_total", "counter",
           "Clients disconnected because their send queue was full.", m->queue_full_closes);

    family(&w, "socketio_handshake_errors_total", "counter",
           "Engine.IO requests refused with an error code (HTTP 400 or 403), by code.");
    for (int c = 0; c < SIO_METRICS_EIO_ERRORS; c++) {
        const char code[2] = {(char)('0' + c), 0};
        sample(&w, "socketio_handshake_errors_total",
               (const char *[]){"code", code, "message", eio_error_message((eio_error)c), NULL},
               m->handshake_errors[c]);
    }
    family(&w, "socketio_connect_errors_total", "counter",
           "Socket.IO CONNECT packets refused (CONNECT_ERROR), by reason.");
    for (int r = 0; r < SIO_CONNECT_ERROR_REASONS; r++)
        sample(&w, "socketio_connect_errors_total", (const char *[]){"reason", sio_connect_error_reason_name(r), NULL},
               m->connect_errors[r]);
    single(&w, "socketio_ack_timeouts_total", "counter",
           "Acknowledgements awaited by the server that did not come in time.", m->ack_timeouts);
    family(&w, "socketio_upgrades_total", "counter", "Upgrades from polling to WebSocket, by result.");
    sample(&w, "socketio_upgrades_total", (const char *[]){"result", "completed", NULL}, m->upgrades);
    sample(&w, "socketio_upgrades_total", (const char *[]){"result", "failed", NULL}, m->upgrade_failures);
    family(&w, "socketio_disconnects_total", "counter", "Sockets disconnected, by Socket.IO disconnect reason.");
    for (int r = 0; r < SIO_DISCONNECT_REASONS; r++)
        sample(&w, "socketio_disconnects_total", (const char *[]){"reason", sio_disconnect_reason_name(r), NULL},
               m->disconnects[r]);

    family(&w, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.");
    sample_double(&w, "process_cpu_seconds_total", proc->cpu_seconds);
    single(&w, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", proc->resident_bytes);
    single(&w, "process_open_fds", "gauge", "Number of open file descriptors.", proc->open_fds);
    single(&w, "process_max_fds", "gauge", "Maximum number of open file descriptors.", proc->max_fds);
    family(&w, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.");
    sample_double(&w, "process_start_time_seconds", proc->start_time_seconds);
    return w.err ? -1 : 0;
}
