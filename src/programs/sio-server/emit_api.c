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

void emit_api_init(sio_server *srv, const char *token)
{
    server = srv;
    api_token = token && token[0] ? token : NULL;
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

bool emit_api_handle(const sio_http_request *req, sio_http_response *res)
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
    int n = 0;
    /* Only namespaces that exist: sio_of would create a new one. */
    if (strcmp(r.nsp, "/") == 0) {
        sio_target to = {.rooms = (const char *const *)r.rooms, .n_rooms = r.n_rooms,
                         .except = (const char *const *)r.except, .n_except = r.n_except};
        n = sio_broadcast(sio_of(server, "/"), &to, r.event, r.data, NULL, 0);
    }
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
