/* The startup log's lines naming what sio-server serves, as URLs a user can
 * open: "<what>: http://localhost:3000/path" (https with TLS; the bound
 * address instead of localhost when there is one). */
#ifndef SIO_SERVER_SERVED_URLS_H
#define SIO_SERVER_SERVED_URLS_H

#include "sio.h"

/* Sets the scheme, host and port the URLs start with. */
void served_urls_init(const sio_options *o, int port);
/* Logs "<what>: <base><path>" at level info. */
void served_url_log(const char *what, const char *path);

#endif
