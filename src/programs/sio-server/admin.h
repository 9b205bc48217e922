/* sio-server's admin UI (@socket.io/admin-ui 0.5): its flags, the admin
 * namespace (the library's sio_admin.h) and the UI's own files, served at
 * a path of this server so that it works offline. */
#ifndef SIO_SERVER_ADMIN_H
#define SIO_SERVER_ADMIN_H

#include <getopt.h>
#include <stdbool.h>

#include "sio.h"

enum { ADMIN_F_USER = 200, ADMIN_F_HASH, ADMIN_F_NAMESPACE, ADMIN_F_READONLY, ADMIN_F_NO_AUTH, ADMIN_F_UI_DIR,
       ADMIN_F_NO_UI, ADMIN_F_UI_PATH, ADMIN_F_SERVER_ID, ADMIN_F_PRODUCTION, ADMIN_F_HASH_PASSWORD };

/* The entries for sio-server's table of flags. */
#define ADMIN_FLAGS                                                                                        \
    {"admin-user", required_argument, 0, ADMIN_F_USER},                                                    \
        {"admin-password-hash", required_argument, 0, ADMIN_F_HASH},                                       \
        {"admin-namespace", required_argument, 0, ADMIN_F_NAMESPACE},                                      \
        {"admin-readonly", no_argument, 0, ADMIN_F_READONLY},                                              \
        {"no-admin-auth", no_argument, 0, ADMIN_F_NO_AUTH},                                                \
        {"admin-ui-dir", required_argument, 0, ADMIN_F_UI_DIR},                                            \
        {"no-admin-ui", no_argument, 0, ADMIN_F_NO_UI},                                                    \
        {"admin-ui-path", required_argument, 0, ADMIN_F_UI_PATH},                                          \
        {"admin-server-id", required_argument, 0, ADMIN_F_SERVER_ID},                                      \
        {"admin-production", no_argument, 0, ADMIN_F_PRODUCTION},                                          \
        {"hash-password", no_argument, 0, ADMIN_F_HASH_PASSWORD}

#define ADMIN_USAGE                                                                                        \
    "  --admin-user NAME      enable the admin UI's namespace, for this user\n"                           \
    "  --admin-password-hash HASH  the user's password as a bcrypt hash\n"                                \
    "                         (or set SIO_ADMIN_PASSWORD_HASH; make one with\n"                             \
    "                         --hash-password)\n"                                                           \
    "  --no-admin-auth        enable the admin UI without authentication\n"                               \
    "  --admin-namespace NSP  its namespace, default /admin\n"                                             \
    "  --admin-readonly       the UI may look, not join, leave, disconnect or emit\n"                      \
    "  --admin-production     stats only: no socket list, no event log\n"                                  \
    "  --admin-server-id ID   the server's name in the UI (default: the host name)\n"                      \
    "  --admin-ui-dir DIR     the UI's files (default DATA_DIR/admin-ui)\n"                        \
    "  --admin-ui-path PATH   where they are served, default /admin/\n"                                    \
    "  --no-admin-ui          do not serve them (use the hosted UI)\n"                                     \
    "  --hash-password        read a password on stdin, print its bcrypt hash, exit\n"

/* Takes one of the flags above: 0, or an exit status after printing why.
 * --hash-password does its work and ends the process. */
int admin_flag(int val, const char *arg);
/* Checks the flags together, before the server is made: 0, or an exit
 * status after printing why. */
int admin_check(const char *sio_path);
/* Instruments the server when the flags asked for it, and finds the UI's
 * files. False (logged) when it could not. */
bool admin_start(sio_server *srv);
/* Answers a request for the UI's files; false when it is not one. */
bool admin_ui_serve(const sio_http_request *req, sio_http_response *res);
/* The startup log's line with the UI's URL, when its files are served. */
void admin_ui_log_url(void);

#endif
