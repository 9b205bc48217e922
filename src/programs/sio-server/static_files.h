/* Static files under a root folder (by default the chat demo), with weak
 * ETags and 304s; no path may lead outside the root, through ".." or a
 * symbolic link, and hidden files are not served. */
#ifndef SIO_SERVER_STATIC_FILES_H
#define SIO_SERVER_STATIC_FILES_H

#include <stdbool.h>

#include "sio.h"

/* Sets the root folder (NULL for none). False, with errno, when it cannot be
 * resolved: then nothing is served. */
bool static_files_init(const char *dir);
/* The resolved root, or "" when there is none. */
const char *static_files_root(void);
/* Answers a request for a file; false when there is no such file (404). */
bool static_files_serve(const sio_http_request *req, sio_http_response *res);

#endif
