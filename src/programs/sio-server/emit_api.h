/* POST /api/emit: other backends emit to this server's clients. The caller
 * authenticates with "Authorization: Bearer <token>"; the body is read by
 * emit_request.h; the answer is {"recipients": N} or {"error": "..."}. */
#ifndef SIO_SERVER_EMIT_API_H
#define SIO_SERVER_EMIT_API_H

#include <stdbool.h>

#include "sio.h"

/* Turns the API on with `token` (NULL or "" leaves it off). */
void emit_api_init(sio_server *srv, const char *token);
bool emit_api_enabled(void);
/* Answers a request to the API's path. */
bool emit_api_handle(const sio_http_request *req, sio_http_response *res);

#endif
