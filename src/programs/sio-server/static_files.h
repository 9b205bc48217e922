/* Static files under a root folder (by default the chat demo), with weak
 * ETags and 304s; no path may lead outside the root, through ".." or a
 * symbolic link, and hidden files are not served. */
#ifndef SIO_SERVER_STATIC_FILES_H
#define SIO_SERVER_STATIC_FILES_H

#include <limits.h>
#include <stdbool.h>

#include "sio.h"

/* One root folder; sio-server has the main one (--static, below) and the
 * admin UI's (admin.c). */
typedef struct static_dir {
    char root[PATH_MAX]; /* resolved; "" when there is none */
} static_dir;
/* Sets the root folder (NULL for none). False, with errno, when it cannot be
 * resolved: then nothing is served from it. */
bool static_dir_init(static_dir *d, const char *dir);
/* Answers a request for the file at `path` (decoded, starting with '/';
 * a path ending in '/' names its index.html) under d's root; false when
 * there is no such file (404). */
bool static_dir_serve(const static_dir *d, const char *path, const sio_http_request *req, sio_http_response *res);

/* Sets the root folder (NULL for none). False, with errno, when it cannot be
 * resolved: then nothing is served. */
bool static_files_init(const char *dir);
/* The resolved root, or "" when there is none. */
const char *static_files_root(void);
/* Answers a request for a file; false when there is no such file (404). */
bool static_files_serve(const sio_http_request *req, sio_http_response *res);

#endif
