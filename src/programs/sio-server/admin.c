/* sio-server's admin UI (admin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "data_dir.h"
#include "http_reply.h"
#include "log.h"
#include "served_urls.h"
#include "sio_admin.h"
#include "static_files.h"

static struct {
    sio_admin_options o;
    bool enabled, serve_ui;
    const char *ui_dir, *ui_path;
    static_dir dir;
} admin = {
    .o = {.namespace_name = "/admin", .stats_interval = 2000}, /* sio_admin_options_init's */
    .ui_path = "/admin/",
    .serve_ui = true,
};

/* Reads one line (the password) from stdin and prints its hash. */
static int hash_password(void)
{
    char line[1024];
    if (!fgets(line, sizeof(line), stdin)) {
        fprintf(stderr, "sio-server: --hash-password reads the password on stdin\n");
        return 2;
    }
    line[strcspn(line, "\r\n")] = 0;
    char *hash = sio_admin_hash_password(line, 10);
    explicit_bzero(line, sizeof(line));
    if (!hash) {
        fprintf(stderr, "sio-server: could not hash the password\n");
        return 1;
    }
    printf("%s\n", hash);
    free(hash);
    return 0;
}

int admin_flag(int val, const char *arg)
{
    switch (val) {
    case ADMIN_F_USER: admin.o.username = arg; admin.enabled = true; break;
    case ADMIN_F_HASH: admin.o.password_hash = arg; break;
    case ADMIN_F_NAMESPACE: admin.o.namespace_name = arg; break;
    case ADMIN_F_READONLY: admin.o.readonly = true; break;
    case ADMIN_F_NO_AUTH: admin.o.no_auth = true; admin.enabled = true; break;
    case ADMIN_F_UI_DIR: admin.ui_dir = arg; break;
    case ADMIN_F_NO_UI: admin.serve_ui = false; break;
    case ADMIN_F_UI_PATH: admin.ui_path = arg; break;
    case ADMIN_F_SERVER_ID: admin.o.server_id = arg; break;
    case ADMIN_F_PRODUCTION: admin.o.production = true; break;
    case ADMIN_F_HASH_PASSWORD: exit(hash_password());
    }
    return 0;
}

int admin_check(const char *sio_path)
{
    if (!admin.enabled)
        return 0;
    if (!admin.o.password_hash)
        admin.o.password_hash = getenv("SIO_ADMIN_PASSWORD_HASH");
    if (admin.o.no_auth && admin.o.username) {
        fprintf(stderr, "sio-server: --no-admin-auth and --admin-user exclude each other\n");
        return 2;
    }
    if (!admin.o.no_auth && !sio_admin_is_bcrypt(admin.o.password_hash)) {
        fprintf(stderr, "sio-server: --admin-user needs --admin-password-hash (or SIO_ADMIN_PASSWORD_HASH), "
                        "a bcrypt hash ($2a$, $2b$ or $2y$): make one with --hash-password\n");
        return 2;
    }
    if (admin.o.namespace_name[0] != '/') {
        fprintf(stderr, "sio-server: --admin-namespace must start with '/'\n");
        return 2;
    }
    size_t n = strlen(admin.ui_path), m = strlen(sio_path);
    if (admin.ui_path[0] != '/' || admin.ui_path[n - 1] != '/' || n < 2) {
        fprintf(stderr, "sio-server: --admin-ui-path must start and end with '/' (e.g. /admin/)\n");
        return 2;
    }
    /* One may not hide the other. */
    if (strncmp(admin.ui_path, sio_path, n < m ? n : m) == 0) {
        fprintf(stderr, "sio-server: --admin-ui-path %s overlaps the Socket.IO path %s\n", admin.ui_path, sio_path);
        return 2;
    }
    return 0;
}

bool admin_start(sio_server *srv)
{
    if (!admin.enabled)
        return true;
    int rc = sio_admin_instrument(srv, &admin.o);
    if (rc != SIO_OK) {
        logmsg(L_ERROR, "admin UI: %s", sio_strerror(rc));
        return false;
    }
    if (admin.o.no_auth)
        logmsg(L_WARN, "admin UI: namespace %s without authentication", admin.o.namespace_name);
    const char *dir = admin.ui_dir ? admin.ui_dir : data_dir_path("admin-ui");
    if (admin.serve_ui && (!dir || !static_dir_init(&admin.dir, dir)))
        logmsg(L_WARN, "admin UI files %s: %s: use the hosted UI (https://admin.socket.io)",
               dir ? dir : "(no data directory)", dir ? strerror(errno) : "not found");
    logmsg(L_INFO, "admin UI: namespace %s%s, its files %s%s", admin.o.namespace_name,
           admin.o.readonly ? " (read-only)" : "", admin.dir.root[0] ? "at " : "not served",
           admin.dir.root[0] ? admin.ui_path : "");
    return true;
}

void admin_ui_log_url(void)
{
    if (admin.dir.root[0])
        served_url_log("admin UI", admin.ui_path);
}

bool admin_ui_serve(const sio_http_request *req, sio_http_response *res)
{
    if (!admin.dir.root[0])
        return false;
    size_t n = strlen(admin.ui_path);
    /* "/admin" alone: the UI's files are named relative to "/admin/". */
    if (strlen(req->path) == n - 1 && strncmp(req->path, admin.ui_path, n - 1) == 0) {
        static const char page[] = "<!DOCTYPE html><meta http-equiv=\"refresh\" content=\"0; url=%s\">"
                                   "<a href=\"%s\">Socket.IO Admin UI</a>\n";
        char body[1200];
        snprintf(body, sizeof(body), page, admin.ui_path, admin.ui_path);
        return reply_text(res, 200, "text/html; charset=utf-8", body);
    }
    if (strncmp(req->path, admin.ui_path, n) != 0)
        return false;
    return static_dir_serve(&admin.dir, req->path + n - 1, req, res);
}
