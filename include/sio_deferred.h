/* libsio: HTTP responses given later.
 *
 * An http_handler (sio_options.http_handler) that cannot answer at once (a
 * long poll: "tell me when X happens, or after 10 s") defers its response:
 *
 *     sio_http_deferred *d = sio_http_defer(res);
 *     if (!d) return sio_http_reply(res, 503, ...) == SIO_OK;
 *     keep d; return true;          // no sio_http_reply now
 *     ...later, on the loop thread (a timer, an event handler):
 *     sio_http_deferred_reply(d, 200, "application/json", body, len);
 *
 * Meanwhile the connection is held without a timeout. A client that hangs
 * up is noticed: its connection is closed and sio_http_deferred_open()
 * turns false; the handle stays valid until it is answered. Every deferred
 * response must be answered exactly once (sio_http_deferred_reply frees the
 * handle), also after the server stopped, before sio_server_free. The
 * request (sio_http_request, its body included) is valid only during the
 * handler: copy what the later answer needs. */
#ifndef LIBSIO_SIO_DEFERRED_H
#define LIBSIO_SIO_DEFERRED_H

#include "sio.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sio_http_deferred sio_http_deferred;

/* In an http_handler: the response will be given later. Returns the
 * handle, or NULL when out of memory (then answer now). The handler then
 * returns true; if it returns false instead, the client gets 404 now and
 * the handle is freed (it must not be used). Calling it twice for one
 * response returns the same handle. */
SIO_API sio_http_deferred *sio_http_defer(sio_http_response *res);
/* Whether the client is still waiting. Loop thread. */
SIO_API bool sio_http_deferred_open(const sio_http_deferred *d);
/* Answers (the body is copied; `content_type` a static string) and frees
 * `d`. Loop thread. Returns SIO_OK; SIO_ECLOSED when the client went away
 * (nothing is sent); SIO_ENOMEM (the client gets 500). */
SIO_API int sio_http_deferred_reply(sio_http_deferred *d, unsigned status, const char *content_type,
                                    const void *body, size_t len);

#ifdef __cplusplus
}
#endif
#endif
