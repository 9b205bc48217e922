/* Static files (static_files.h). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "http_reply.h"
#include "read_file.h"
#include "static_files.h"

#define MAX_STATIC_FILE (32u << 20)

static static_dir main_dir; /* --static */

bool static_dir_init(static_dir *d, const char *dir)
{
    d->root[0] = 0;
    if (!dir || realpath(dir, d->root))
        return true;
    d->root[0] = 0; /* realpath may have left a partial path */
    return false;
}

bool static_files_init(const char *dir)
{
    return static_dir_init(&main_dir, dir);
}

const char *static_files_root(void)
{
    return main_dir.root;
}

static const char *content_type(const char *path)
{
    static const char *const types[][2] = {
        {".html", "text/html; charset=utf-8"},
        {".htm", "text/html; charset=utf-8"},
        {".js", "application/javascript; charset=utf-8"},
        {".mjs", "application/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".json", "application/json; charset=utf-8"},
        {".map", "application/json; charset=utf-8"},
        {".txt", "text/plain; charset=utf-8"},
        {".png", "image/png"},
        {".jpg", "image/jpeg"},
        {".jpeg", "image/jpeg"},
        {".gif", "image/gif"},
        {".webp", "image/webp"},
        {".svg", "image/svg+xml"},
        {".ico", "image/x-icon"},
        {".woff2", "font/woff2"},
        {".woff", "font/woff"},
        {".ttf", "font/ttf"},
        {".otf", "font/otf"},
        {".eot", "application/vnd.ms-fontobject"},
        {".wasm", "application/wasm"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
            if (strcasecmp(dot, types[i][0]) == 0)
                return types[i][1];
    return "application/octet-stream";
}

/* Checks a decoded request path: 0 when it may name a file under the root,
 * else the status to refuse it with (403 for a traversal attempt, 404 for a
 * hidden file). */
static unsigned static_path_status(const char *path)
{
    if (path[0] != '/' || strlen(path) > 1024)
        return 403;
    for (const unsigned char *c = (const unsigned char *)path; *c; c++)
        if (*c < 0x20 || *c == 0x7f || *c == '\\')
            return 403;
    for (const char *seg = path + 1; *seg;) {
        size_t n = strcspn(seg, "/");
        if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return 403;
        if (n && seg[0] == '.')
            return 404;
        seg += n + (seg[n] == '/');
    }
    return 0;
}

bool static_files_serve(const sio_http_request *req, sio_http_response *res)
{
    return static_dir_serve(&main_dir, req->path, req, res);
}

bool static_dir_serve(const static_dir *d, const char *path, const sio_http_request *req, sio_http_response *res)
{
    const char *static_root = d->root;
    if (!static_root[0])
        return false;
    unsigned refuse = static_path_status(path);
    if (refuse == 403)
        return reply_error(req, res, 403, "forbidden path");
    if (refuse)
        return false;
    char file[PATH_MAX], real[PATH_MAX];
    size_t plen = strlen(path);
    if (snprintf(file, sizeof(file), "%s%s%s", static_root, path, path[plen - 1] == '/' ? "index.html" : "") >=
        (int)sizeof(file))
        return false;
    /* Symbolic links may not lead outside the root. */
    size_t rlen = strcmp(static_root, "/") == 0 ? 0 : strlen(static_root);
    if (!realpath(file, real) || strncmp(real, static_root, rlen) != 0 || real[rlen] != '/')
        return false;
    /* A file that is there, asked for with another method; anything else
     * is not found, whatever the method. */
    if (!is_get(req))
        return reply_error(req, res, 405, "method not allowed");
    size_t len;
    struct stat st;
    char *data = read_file(real, MAX_STATIC_FILE, &len, &st);
    if (!data)
        return false;
    char etag[64];
    snprintf(etag, sizeof(etag), "W/\"%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec * 1000 + (unsigned long long)st.st_mtim.tv_nsec / 1000000);
    sio_http_set_etag(res, etag);
    sio_http_set_cache_control(res, "public, max-age=0");
    if (reply_content(req, res, etag, content_type(real), data, len) != SIO_OK)
        reply_text(res, 500, "text/plain", "Internal error");
    free(data);
    return true;
}
