/* The socket.io browser client (client_bundle.h). */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_bundle.h"
#include "http_reply.h"
#include "log.h"
#include "read_file.h"
#include "sio_json.h"

typedef struct asset {
    char url[PATH_MAX];
    char *data;
    size_t len;
    const char *ctype;
} asset;

static asset assets[8];
static size_t n_assets;
static char etag[64];

/* The client's version from <dir>/package.json (the data directory keeps
 * the package's there) or <dir>/../package.json (a dist/ folder in
 * node_modules), or "" when unknown or not shaped like a version. */
static void client_version(const char *dir, char out[48])
{
    out[0] = 0;
    char path[PATH_MAX];
    size_t len;
    char *text = NULL;
    for (int up = 0; up < 2 && !text; up++) {
        snprintf(path, sizeof(path), "%s/%spackage.json", dir, up ? "../" : "");
        text = read_file(path, 1u << 20, &len, NULL);
    }
    if (!text)
        return;
    sio_json *doc = sio_json_parse(text, len, NULL);
    size_t n = sio_json_string(sio_json_get(sio_json_root(doc), "version"), out, 48);
    if (n >= 48 || strspn(out, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.+-") != n)
        out[0] = 0;
    sio_json_free(doc);
    free(text);
}

void client_bundle_load(const char *dir, const char *sio_path)
{
    static const char *const names[] = {"socket.io.js", "socket.io.min.js", "socket.io.msgpack.min.js",
                                        "socket.io.esm.min.js"};
    size_t plen = strlen(sio_path);
    while (plen && sio_path[plen - 1] == '/')
        plen--;
    uint64_t hash = 1469598103934665603u; /* FNV-1a over every file */
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        for (int map = 0; map < 2; map++) {
            char file[PATH_MAX];
            snprintf(file, sizeof(file), "%s/%s%s", dir, names[i], map ? ".map" : "");
            asset *a = &assets[n_assets];
            a->data = read_file(file, 64u << 20, &a->len, NULL);
            if (!a->data)
                continue;
            snprintf(a->url, sizeof(a->url), "%.*s/%s%s", (int)plen, sio_path, names[i], map ? ".map" : "");
            a->ctype = map ? "application/json; charset=utf-8" : "application/javascript; charset=utf-8";
            for (size_t k = 0; k < a->len; k++)
                hash = (hash ^ (unsigned char)a->data[k]) * 1099511628211u;
            n_assets++;
        }
    }
    if (!n_assets) {
        logmsg(L_WARN, "socket.io client not found in %s: %.*s/socket.io.js will answer 404", dir, (int)plen,
               sio_path);
        return;
    }
    /* The ETag is the client's version, as Node's serveClient does (a
     * content hash when the version is unknown). */
    char version[48];
    client_version(dir, version);
    if (version[0])
        snprintf(etag, sizeof(etag), "\"%s\"", version);
    else
        snprintf(etag, sizeof(etag), "\"%016llx\"", (unsigned long long)hash);
    logmsg(L_INFO, "serving the socket.io client %s from %s (%zu files)", version[0] ? version : "(unknown version)",
           dir, n_assets);
}

bool client_bundle_serve(const sio_http_request *req, sio_http_response *res)
{
    for (size_t i = 0; i < n_assets; i++) {
        const asset *a = &assets[i];
        if (strcmp(req->path, a->url) != 0)
            continue;
        if (!is_get(req))
            return reply_error(req, res, 405, "method not allowed");
        sio_http_set_etag(res, etag);
        sio_http_set_cache_control(res, "public, max-age=0");
        if (reply_content(req, res, etag, a->ctype, a->data, a->len) != SIO_OK)
            reply_text(res, 500, "text/plain", "Internal error");
        return true;
    }
    return false;
}

bool client_bundle_loaded(void)
{
    return n_assets > 0;
}

void client_bundle_free(void)
{
    for (size_t i = 0; i < n_assets; i++)
        free(assets[i].data);
    n_assets = 0;
}
