/* The socket.io browser client served by sio-server under its Socket.IO
 * path (socket.io.js, .min.js, .msgpack.min.js, .esm.min.js and their source
 * maps), from the pinned socket.io-client package, with an ETag and 304s as
 * Node's serveClient does. */
#ifndef SIO_SERVER_CLIENT_BUNDLE_H
#define SIO_SERVER_CLIENT_BUNDLE_H

#include <stdbool.h>

#include "sio.h"

/* Loads the client files found in `dir` (a dist/ folder) once, to be served
 * under `sio_path`. Logs a warning when there are none. */
void client_bundle_load(const char *dir, const char *sio_path);
/* Answers a request for one of the files; false when it is not one. */
bool client_bundle_serve(const sio_http_request *req, sio_http_response *res);
/* Were any of the files found? */
bool client_bundle_loaded(void);
void client_bundle_free(void);

#endif
