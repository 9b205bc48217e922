/* POST /api/emit (emit_api.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "emit_api.h"
#include "emit_request.h"
#include "http_reply.h"
#include "log.h"

static sio_server *server;
static const char *api_token; /* NULL: the API is off */
static size_t max_body;

void emit_api_init(sio_server *srv, const char *token, size_t max_http_body)
{
    server = srv;
    api_token = token && token[0] ? token : NULL;
    max_body = max_http_body;
}

/* "/api" and every path under it belong to the API. */
static bool api_path(const char *path)
{
    return strncmp(path, "/api", 4) == 0 && (path[4] == 0 || path[4] == '/');
}

bool emit_api_enabled(void)
{
    return api_token != NULL;
}

/* Compares in time that depends only on the expected token's length. */
static bool token_equal(const char *given, size_t glen, const char *want)
{
    size_t wlen = strlen(want);
    unsigned char diff = glen != wlen;
    for (size_t i = 0; i < wlen; i++)
        diff |= (unsigned char)want[i] ^ (unsigned char)(i < glen ? given[i] : 0);
    return diff == 0;
}

/* Is the request's "Authorization: Bearer <token>" the API token? */
static bool authorized(const char *auth)
{
    if (!auth || strncasecmp(auth, "Bearer ", 7) != 0)
        return false;
    const char *t = auth + 7;
    while (*t == ' ')
        t++;
    size_t n = strlen(t);
    while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
        n--;
    return n && token_equal(t, n, api_token);
}

static bool emit(const sio_http_request *req, sio_http_response *res);

bool emit_api_serve(const sio_http_request *req, sio_http_response *res)
{
    if (!api_path(req->path))
        return false;
    if (strcmp(req->path, "/api/emit") != 0)
        return reply_error(req, res, 404, "not found: the API has only POST /api/emit");
    if (!api_token)
        return reply_error(req, res, 404, "not found: the emit API is off (no --api-token)");
    return emit(req, res);
}

void emit_api_refusal(const sio_http_request *req, unsigned status, const char *reason, sio_http_response *res,
                      void *user)
{
    (void)user;
    if (!api_path(req->path))
        return; /* the library's own words */
    char msg[96];
    if (status == 413)
        snprintf(msg, sizeof(msg), "body too large: at most %zu bytes (--max-http-body)", max_body);
    else
        snprintf(msg, sizeof(msg), "%s", reason);
    reply_json_error(res, status, msg); /* the library logs the refusal */
}

static bool emit(const sio_http_request *req, sio_http_response *res)
{
    if (strcmp(req->method, "POST") != 0)
        return reply_error(req, res, 405, "method not allowed: use POST");
    if (!authorized(req->authorization))
        return reply_error(req, res, 401, req->authorization ? "invalid token" : "missing bearer token");

    emit_request r;
    char why[192];
    unsigned status = emit_request_parse(req->body, req->body_len, &r, why, sizeof(why));
    if (status) {
        emit_request_free(&r);
        return reply_error(req, res, status, why);
    }
    /* Only namespaces that exist: sio_of would create a new one, and a typo
     * must not pass for an emit to nobody. */
    sio_namespace *nsp = sio_find_namespace(server, r.nsp);
    if (!nsp) {
        char msg[160];
        snprintf(msg, sizeof(msg), "no namespace \"%.100s\"", r.nsp);
        emit_request_free(&r);
        return reply_error(req, res, 404, msg);
    }
    sio_target to = {.rooms = (const char *const *)r.rooms, .n_rooms = r.n_rooms,
                     .except = (const char *const *)r.except, .n_except = r.n_except};
    int n = sio_broadcast(nsp, &to, r.event, r.data, NULL, 0);
    bool done;
    if (n < 0) {
        done = reply_error(req, res, n == SIO_EINVAL ? 400 : 500,
                           n == SIO_EINVAL ? "\"data\" is not valid event arguments" : sio_strerror(n));
    } else {
        logmsg(L_DEBUG, "api emit \"%s\" on %s to %zu room(s) except %zu: %d recipient(s)", r.event, r.nsp,
               r.n_rooms, r.n_except, n);
        char body[48];
        snprintf(body, sizeof(body), "{\"recipients\":%d}", n);
        done = reply_text(res, 200, "application/json", body);
    }
    emit_request_free(&r);
    return done;
}
