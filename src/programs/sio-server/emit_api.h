/* POST /api/emit: other backends emit to this server's clients. The caller
 * authenticates with "Authorization: Bearer <token>"; the body is read by
 * emit_request.h; the answer is {"recipients": N} or {"error": "..."}, and
 * the namespace must exist (404 otherwise). */
#ifndef SIO_SERVER_EMIT_API_H
#define SIO_SERVER_EMIT_API_H

#include <stdbool.h>

#include "sio.h"

/* Turns the API on with `token` (NULL or "" leaves it off); bodies are
 * capped at `max_http_body` bytes (sio_options.max_http_body). */
void emit_api_init(sio_server *srv, const char *token, size_t max_http_body);
bool emit_api_enabled(void);
/* Answers a request to "/api" or a path under it, every error as JSON
 * {"error": "..."} (404 for another path, or when the API is off); false
 * for other paths. */
bool emit_api_serve(const sio_http_request *req, sio_http_response *res);
/* sio_options.http_refusal: the library's refusals (413, ...) of the API's
 * requests as JSON too; other paths keep the library's text. */
void emit_api_refusal(const sio_http_request *req, unsigned status, const char *reason, sio_http_response *res,
                      void *user);

#endif
