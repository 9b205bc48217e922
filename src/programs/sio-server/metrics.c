/* sio-server's /metrics and /health (metrics.h).
 *
 * /health answers 200 {"status":"ok","connections":N} while the server
 * serves, and 503 {"status":"stopping"} once it is stopping (SIGTERM): a
 * load balancer then sends no new clients while the others are closed. It
 * says nothing of Redis: a node whose Redis is down still serves its own
 * clients (and joins the cluster when Redis comes back), so taking it out
 * of the balancer would only lose those. */
#include <stdlib.h>
#include <string.h>

#include "http_reply.h"
#include "metrics.h"
#include "sio_json.h"
#include "sio_metrics.h"

static sio_server *server;
static const char *metrics_path;

void metrics_init(sio_server *srv, const char *path)
{
    server = srv;
    metrics_path = path;
}

/* Answers with `body`; the library leaves it out for a HEAD. */
static bool reply_body(sio_http_response *res, unsigned status, const char *ctype, const char *body, size_t len)
{
    sio_http_set_cache_control(res, "no-store");
    sio_http_reply(res, status, ctype, body, len);
    return true;
}

static bool serve_metrics(const sio_http_request *req, sio_http_response *res)
{
    size_t len;
    char *text = sio_metrics_text(server, &len);
    if (!text)
        return reply_error(req, res, 500, "out of memory");
    reply_body(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return true;
}

static bool serve_health(const sio_http_request *req, sio_http_response *res)
{
    sio_metrics m;
    sio_server_metrics(server, &m);
    uint64_t connections = 0;
    for (int t = 0; t < SIO_METRICS_TRANSPORTS; t++)
        for (int v = 0; v < SIO_METRICS_EIO_VERSIONS; v++)
            connections += m.connections[t][v];
    sio_json_writer *w = sio_jw_new();
    sio_jw_object(w);
    sio_jw_key(w, "status");
    sio_jw_string(w, m.stopping ? "stopping" : "ok");
    if (!m.stopping) {
        sio_jw_key(w, "connections");
        sio_jw_int(w, (int64_t)connections);
    }
    sio_jw_object_end(w);
    size_t len;
    const char *body = sio_jw_text(w, &len);
    if (body)
        reply_body(res, m.stopping ? 503 : 200, "application/json", body, len);
    else
        reply_error(req, res, 500, "out of memory");
    sio_jw_free(w);
    return true;
}

bool metrics_serve(const sio_http_request *req, sio_http_response *res)
{
    bool metrics = metrics_path && strcmp(req->path, metrics_path) == 0;
    if (!metrics && strcmp(req->path, "/health") != 0)
        return false;
    if (!is_get(req))
        return reply_error(req, res, 405, "method not allowed");
    return metrics ? serve_metrics(req, res) : serve_health(req, res);
}
