/* sio-server: the project's main program. A Socket.IO server that
 *   - serves the socket.io browser client under its path (client_bundle.c);
 *   - serves static files, by default the chat demo (static_files.c);
 *   - runs a room chat on the namespace "/" (chat.c);
 *   - lets other backends emit: POST /api/emit with a bearer token
 *     (emit_api.c);
 *   - serves Prometheus metrics at /metrics and its health at /health
 *     (metrics.c).
 * What it serves comes from its data directory (data_dir.c), found beside
 * the executable whatever the current directory. Logs go to stderr, one line
 * each, with a UTC timestamp and a level, as text or JSON (log.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/server_flags.h"
#include "../common/signals.h"
#include "admin.h"
#include "chat.h"
#include "client_bundle.h"
#include "data_dir.h"
#include "emit_api.h"
#include "log.h"
#include "metrics.h"
#include "served_urls.h"
#include "sio.h"
#include "static_files.h"

/* Every HTTP request outside the Socket.IO path, offered to each route in
 * turn. Returning false answers the library's 404 (and it logs it). */
static bool on_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    (void)user;
    if (metrics_serve(req, res))
        return true;
    if (emit_api_serve(req, res))
        return true;
    if (admin_ui_serve(req, res))
        return true;
    if (client_bundle_serve(req, res))
        return true;
    return static_files_serve(req, res);
}

/* This program's own flags. */
typedef struct settings {
    sio_options *o;
    const char *data_dir, *client_dir, *static_dir, *api_token;
    const char *metrics_path; /* NULL: no metrics */
    bool serve_client, serve_static;
} settings;

enum { F_DATA_DIR = 'D', F_CLIENT_DIR = 'd', F_NO_CLIENT = 'N', F_STATIC = 's', F_NO_STATIC = 'S',
       F_API_TOKEN = 'a', F_MAX_HTTP_BODY = 'b', F_LOG_LEVEL = 'l', F_LOG_FORMAT = 'f', F_METRICS_PATH = 'm',
       F_NO_METRICS = 'M' };

static const struct option own_flags[] = {
    {"data-dir", required_argument, 0, F_DATA_DIR},
    {"client-dir", required_argument, 0, F_CLIENT_DIR},
    {"no-serve-client", no_argument, 0, F_NO_CLIENT},
    {"static", required_argument, 0, F_STATIC},
    {"no-static", no_argument, 0, F_NO_STATIC},
    {"api-token", required_argument, 0, F_API_TOKEN},
    {"max-http-body", required_argument, 0, F_MAX_HTTP_BODY},
    {"log-level", required_argument, 0, F_LOG_LEVEL},
    {"log-format", required_argument, 0, F_LOG_FORMAT},
    {"metrics-path", required_argument, 0, F_METRICS_PATH},
    {"no-metrics", no_argument, 0, F_NO_METRICS},
    ADMIN_FLAGS,
    {0, 0, 0, 0},
};

static int on_flag(int val, const char *arg, void *user)
{
    settings *s = user;
    switch (val) {
    case F_DATA_DIR: s->data_dir = arg; break;
    case F_CLIENT_DIR: s->client_dir = arg; break;
    case F_NO_CLIENT: s->serve_client = false; break;
    case F_STATIC: s->static_dir = arg; s->serve_static = true; break;
    case F_NO_STATIC: s->serve_static = false; break;
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
    case F_LOG_FORMAT:
        if (!log_set_format(arg)) {
            fprintf(stderr, "sio-server: --log-format must be text or json\n");
            return 2;
        }
        break;
    default: return admin_flag(val, arg);
    }
    return 0;
}

/* Where each part comes from: its own flag, else the data directory. */
static bool choose_dirs(settings *s)
{
    char why[PATH_MAX + 128];
    if (!data_dir_init(s->data_dir, why, sizeof(why))) {
        logmsg(L_ERROR, "%s", why);
        return false;
    }
    if (data_dir())
        logmsg(L_INFO, "data directory %s", data_dir());
    else if ((s->serve_client && !s->client_dir) || (s->serve_static && !s->static_dir))
        logmsg(L_WARN, "no data directory beside the executable (share/sio-server or ../share/sio-server): "
                       "give --data-dir, or run `make` to assemble it");
    if (!s->client_dir)
        s->client_dir = data_dir_path("client");
    if (!s->static_dir)
        s->static_dir = data_dir_path("demo");
    return true;
}

/* The startup log's URLs: what a user can open. */
static void log_urls(const settings *s, int port)
{
    served_urls_init(s->o, port);
    if (static_files_root()[0])
        served_url_log("static files (the chat demo by default)", "/");
    char path[512];
    size_t plen = strlen(s->o->path);
    snprintf(path, sizeof(path), "%s%s", s->o->path, plen && s->o->path[plen - 1] == '/' ? "" : "/");
    served_url_log("Socket.IO endpoint", path);
    if (client_bundle_loaded()) {
        snprintf(path, sizeof(path), "%s%ssocket.io.js", s->o->path,
                 plen && s->o->path[plen - 1] == '/' ? "" : "/");
        served_url_log("socket.io client", path);
    }
    if (emit_api_enabled())
        served_url_log("emit API (POST, bearer token)", "/api/emit");
    if (s->metrics_path)
        served_url_log("Prometheus metrics", s->metrics_path);
    served_url_log("health", "/health");
    admin_ui_log_url();
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    o.max_http_body = 1u << 20;
    settings s = {.o = &o, .api_token = getenv("SIO_API_TOKEN"), .metrics_path = METRICS_DEFAULT_PATH,
                  .serve_client = true, .serve_static = true};
    server_flags f = {
        .prog = "sio-server",
        .about = "A Socket.IO v4 server with a room chat, the socket.io client, static files\n"
                 "and an HTTP emit API.\n",
        .extra = own_flags,
        .extra_usage = "  --data-dir DIR         what it serves: DIR/client, DIR/demo, DIR/admin-ui (or set\n"
                       "                         SIO_SERVER_DATA_DIR; default share/sio-server or\n"
                       "                         ../share/sio-server beside the executable)\n"
                       "  --client-dir DIR       socket.io-client dist/ folder served under PATH\n"
                       "                         (default DATA_DIR/client)\n"
                       "  --no-serve-client      do not serve the socket.io client\n"
                       "  --static DIR           static files (default DATA_DIR/demo, the chat demo)\n"
                       "  --no-static            serve no static files\n"
                       "  --api-token TOKEN      enable POST /api/emit with this bearer token\n"
                       "                         (or set SIO_API_TOKEN; without one the API is off)\n"
                       "  --max-http-body BYTES  largest /api/emit body, default 1048576\n"
                       "  --log-level LEVEL      error, warn, info (default) or debug\n"
                       "  --log-format FORMAT    text (default: key=value) or json (an object a line)\n"
                       "  --metrics-path PATH    Prometheus metrics at PATH (default /metrics)\n"
                       "  --no-metrics           serve no metrics (/health stays)\n" ADMIN_USAGE,
        .on_extra = on_flag,
        .user = &s,
    };
    int status = server_flags_parse(&f, argc, argv, &o, NULL);
    if (status < 0)
        status = admin_check(o.path) ? 2 : -1;
    if (status >= 0)
        return status;
    o.http_handler = on_http;
    o.http_refusal = emit_api_refusal;
    o.log_record = log_from_library;

    if (!choose_dirs(&s))
        return 1;
    if (s.serve_client && s.client_dir)
        client_bundle_load(s.client_dir, o.path);
    if (s.serve_static && s.static_dir && !static_files_init(s.static_dir))
        logmsg(L_WARN, "static directory %s: %s: static files will answer 404", s.static_dir, strerror(errno));

    char why[256];
    sio_server *server;
    if (sio_server_create(&o, &server, why, sizeof(why)) != SIO_OK) {
        logmsg(L_ERROR, "%s", why);
        client_bundle_free();
        data_dir_free();
        return 1;
    }
    emit_api_init(server, s.api_token, o.max_http_body);
    metrics_init(server, s.metrics_path);
    if (!chat_install(server) || !admin_start(server)) {
        logmsg(L_ERROR, "out of memory");
        sio_server_free(server);
        client_bundle_free();
        data_dir_free();
        return 1;
    }

    signals_stop_sio(server, SIGNALS_ONCE); /* a second signal ends the process at once */
    signals_reload_tls_on_hup();

    log_listening(sio_server_port(server));
    log_urls(&s, sio_server_port(server));
    int rc = sio_server_run(server);
    logmsg(L_INFO, "stopped");
    signals_forget();
    sio_server_free(server);
    client_bundle_free();
    data_dir_free();
    return rc;
}
