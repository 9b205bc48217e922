/* Answers of sio-server's own HTTP routes (the client bundle, static files,
 * the emit API). */
#ifndef SIO_SERVER_HTTP_REPLY_H
#define SIO_SERVER_HTTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include "sio.h"

/* A body of text; returns true (the request is answered). */
bool reply_text(sio_http_response *res, unsigned status, const char *ctype, const char *body);
/* A JSON error answer {"error": msg}, logged as a refused request; true. */
bool reply_error(const sio_http_request *req, sio_http_response *res, unsigned status, const char *msg);
/* The same without the log line (for refusals the library logs). */
void reply_json_error(sio_http_response *res, unsigned status, const char *msg);
bool is_get(const sio_http_request *req);
/* A 200 with `data`, or a 304 when the request's If-None-Match holds
 * `etag` (already set on `res`). A HEAD answer carries no body. */
int reply_content(const sio_http_request *req, sio_http_response *res, const char *etag, const char *ctype,
                  const void *data, size_t len);
/* Does an If-None-Match header (a list, weak tags allowed) match `etag`? */
bool etag_matches(const char *if_none_match, const char *etag);

#endif
