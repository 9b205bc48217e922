/* sio-server: the project's main program. A Socket.IO server that
 *   - serves the socket.io browser client under its path (client_bundle.c);
 *   - serves static files, by default the chat demo in tools/demo/
 *     (static_files.c);
 *   - runs a room chat on the namespace "/" (chat.c);
 *   - lets other backends emit: POST /api/emit with a bearer token
 *     (emit_api.c);
 *   - serves Prometheus metrics at /metrics and its health at /health
 *     (metrics.c).
 * Logs go to stderr, one line each, with a UTC timestamp and a level (log.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/server_flags.h"
#include "../common/signals.h"
#include "chat.h"
#include "client_bundle.h"
#include "emit_api.h"
#include "log.h"
#include "metrics.h"
#include "sio.h"
#include "static_files.h"

/* Every HTTP request outside the Socket.IO path. Returning false answers 404
 * (the library logs it). */
static bool on_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    (void)user;
    if (metrics_serve(req, res))
        return true;
    if (strcmp(req->path, "/api/emit") == 0)
        return emit_api_enabled() ? emit_api_handle(req, res) : false;
    if (client_bundle_serve(req, res))
        return true;
    return static_files_serve(req, res);
}

/* This program's own flags. */
typedef struct settings {
    sio_options *o;
    const char *client_dir, *static_dir, *api_token;
    const char *metrics_path; /* NULL: no metrics */
    bool serve_client;
} settings;

enum { F_CLIENT_DIR = 'd', F_NO_CLIENT = 'N', F_STATIC = 's', F_NO_STATIC = 'S', F_API_TOKEN = 'a',
       F_MAX_HTTP_BODY = 'b', F_LOG_LEVEL = 'l', F_METRICS_PATH = 'm', F_NO_METRICS = 'M' };

static const struct option own_flags[] = {
    {"client-dir", required_argument, 0, F_CLIENT_DIR},
    {"no-serve-client", no_argument, 0, F_NO_CLIENT},
    {"static", required_argument, 0, F_STATIC},
    {"no-static", no_argument, 0, F_NO_STATIC},
    {"api-token", required_argument, 0, F_API_TOKEN},
    {"max-http-body", required_argument, 0, F_MAX_HTTP_BODY},
    {"log-level", required_argument, 0, F_LOG_LEVEL},
    {"metrics-path", required_argument, 0, F_METRICS_PATH},
    {"no-metrics", no_argument, 0, F_NO_METRICS},
    {0, 0, 0, 0},
};

static int on_flag(int val, const char *arg, void *user)
{
    settings *s = user;
    switch (val) {
    case F_CLIENT_DIR: s->client_dir = arg; break;
    case F_NO_CLIENT: s->serve_client = false; break;
    case F_STATIC: s->static_dir = arg; break;
    case F_NO_STATIC: s->static_dir = NULL; break;
    case F_API_TOKEN: s->api_token = arg; break;
    case F_MAX_HTTP_BODY:
        s->o->max_http_body = (size_t)server_flags_number("sio-server", "max-http-body", arg, 1, 1L << 30);
        break;
    case F_METRICS_PATH:
        if (arg[0] != '/') {
            fprintf(stderr, "sio-server: --metrics-path must start with '/'\n");
            return 2;
        }
        s->metrics_path = arg;
        break;
    case F_NO_METRICS: s->metrics_path = NULL; break;
    case F_LOG_LEVEL:
        if (!log_set_level(arg)) {
            fprintf(stderr, "sio-server: --log-level must be error, warn, info or debug\n");
            return 2;
        }
        break;
    }
    return 0;
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    o.max_http_body = 1u << 20;
    settings s = {&o, "tests/node_modules/socket.io-client/dist", "tools/demo", getenv("SIO_API_TOKEN"),
                  METRICS_DEFAULT_PATH, true};
    server_flags f = {
        .prog = "sio-server",
        .about = "A Socket.IO v4 server with a room chat, the socket.io client, static files\n"
                 "and an HTTP emit API.\n",
        .extra = own_flags,
        .extra_usage = "  --client-dir DIR       socket.io-client dist/ folder served under PATH\n"
                       "                         (default tests/node_modules/socket.io-client/dist)\n"
                       "  --no-serve-client      do not serve the socket.io client\n"
                       "  --static DIR           static files (default tools/demo, the chat demo)\n"
                       "  --no-static            serve no static files\n"
                       "  --api-token TOKEN      enable POST /api/emit with this bearer token\n"
                       "                         (or set SIO_API_TOKEN; without one the API is off)\n"
                       "  --max-http-body BYTES  largest /api/emit body, default 1048576\n"
                       "  --log-level LEVEL      error, warn, info (default) or debug\n"
                       "  --metrics-path PATH    Prometheus metrics at PATH (default /metrics)\n"
                       "  --no-metrics           serve no metrics (/health stays)\n",
        .on_extra = on_flag,
        .user = &s,
    };
    int status = server_flags_parse(&f, argc, argv, &o, NULL);
    if (status >= 0)
        return status;
    o.http_handler = on_http;
    o.log = log_from_library;

    if (s.serve_client)
        client_bundle_load(s.client_dir, o.path);
    if (!static_files_init(s.static_dir))
        logmsg(L_WARN, "static directory %s: %s: static files will answer 404", s.static_dir, strerror(errno));

    char why[256];
    sio_server *server;
    if (sio_server_create(&o, &server, why, sizeof(why)) != SIO_OK) {
        logmsg(L_ERROR, "%s", why);
        client_bundle_free();
        return 1;
    }
    emit_api_init(server, s.api_token);
    metrics_init(server, s.metrics_path);
    if (!chat_install(server)) {
        logmsg(L_ERROR, "out of memory");
        sio_server_free(server);
        client_bundle_free();
        return 1;
    }

    signals_stop_sio(server, SIGNALS_ONCE); /* a second signal ends the process at once */
    signals_reload_tls_on_hup();

    fprintf(stderr, "sio-server listening on port %d\n", sio_server_port(server));
    const char *root = static_files_root();
    logmsg(L_INFO, "path %s, static files %s, emit API %s", o.path, root[0] ? root : "off",
           emit_api_enabled() ? "on" : "off");
    int rc = sio_server_run(server);
    logmsg(L_INFO, "stopped");
    signals_forget();
    sio_server_free(server);
    client_bundle_free();
    return rc;
}
