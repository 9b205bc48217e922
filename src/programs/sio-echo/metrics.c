/* sio-echo's GET /metrics (namespaces.h): the library's Prometheus text,
 * served by the application through the public API as any C application
 * embedding libsio would (sio_metrics.h). Every other path is 404. */
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"
#include "sio_metrics.h"

bool metrics_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    sio_server *const *srv = user;
    if (strcmp(req->path, "/metrics") != 0 || !*srv)
        return false;
    size_t len;
    char *text = sio_metrics_text(*srv, &len);
    if (!text)
        return sio_http_reply(res, 500, "text/plain", "out of memory", 13) == SIO_OK;
    int rc = sio_http_reply(res, 200, "text/plain; version=0.0.4; charset=utf-8", text, len);
    free(text);
    return rc == SIO_OK;
}
