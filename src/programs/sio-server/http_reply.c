/* Answers of sio-server's own HTTP routes (http_reply.h). */
#include <string.h>

#include "http_reply.h"
#include "log.h"
#include "sio_json.h"

bool reply_text(sio_http_response *res, unsigned status, const char *ctype, const char *body)
{
    sio_http_reply(res, status, ctype, body, strlen(body));
    return true;
}

bool reply_error(const sio_http_request *req, sio_http_response *res, unsigned status, const char *msg)
{
    /* As loud as the library's refusals: a 404 for a GET or HEAD is debug. */
    bool read = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
    int level = status >= 500 ? L_ERROR : status != 404 ? L_WARN : read ? L_DEBUG : L_INFO;
    sio_log_field f[] = {{"status", NULL, status}, {"reason", msg, 0}, {"method", req->method, 0},
                         {"path", req->path, 0}, {"address", req->address ? req->address : "", 0}};
    log_fields(level, "refused", f, 5);
    reply_json_error(res, status, msg);
    return true;
}

void reply_json_error(sio_http_response *res, unsigned status, const char *msg)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_object(w);
    sio_jw_key(w, "error");
    sio_jw_string(w, msg);
    sio_jw_object_end(w);
    size_t len;
    const char *body = sio_jw_text(w, &len);
    if (body)
        sio_http_reply(res, status, "application/json", body, len);
    else
        reply_text(res, 500, "application/json", "{\"error\":\"out of memory\"}");
    sio_jw_free(w);
}

bool etag_matches(const char *inm, const char *etag)
{
    if (!inm)
        return false;
    const char *tag = strncmp(etag, "W/", 2) == 0 ? etag + 2 : etag;
    size_t n = strlen(tag);
    for (const char *p = inm; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = p, *te = e;
        while (te > t && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if (te - t == 1 && *t == '*')
            return true;
        if (te - t > 2 && strncmp(t, "W/", 2) == 0)
            t += 2;
        if ((size_t)(te - t) == n && memcmp(t, tag, n) == 0)
            return true;
        p = e;
    }
    return false;
}

bool is_get(const sio_http_request *req)
{
    return strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;
}

int reply_content(const sio_http_request *req, sio_http_response *res, const char *etag, const char *ctype,
                  const void *data, size_t len)
{
    if (etag_matches(req->if_none_match, etag))
        return sio_http_reply(res, 304, ctype, NULL, 0);
    bool head = strcmp(req->method, "HEAD") == 0;
    return sio_http_reply(res, 200, ctype, head ? NULL : data, head ? 0 : len);
}
