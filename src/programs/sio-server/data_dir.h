/* sio-server's data directory: what it serves besides its own answers, in
 * one folder found whatever the current directory is:
 *   client/    the socket.io browser client (socket.io-client's dist/ files)
 *   demo/      the chat demo (tools/demo/)
 *   admin-ui/  the admin UI's static files (@socket.io/admin-ui's ui/dist/)
 * The build assembles it in BUILD/share/sio-server/ and `make install` puts
 * it in PREFIX/share/sio-server/. */
#ifndef SIO_SERVER_DATA_DIR_H
#define SIO_SERVER_DATA_DIR_H

#include <stdbool.h>

/* Chooses the data directory, the first that is a directory of:
 *   `dir` (--data-dir; NULL when not given), then $SIO_SERVER_DATA_DIR, then,
 *   beside the executable (/proc/self/exe) at EXE_DIR/share/sio-server (the
 *   build tree) or EXE_DIR/../share/sio-server (an installed prefix).
 * A `dir` or $SIO_SERVER_DATA_DIR that is not a directory is an error:
 * false, with the reason in why[0..why_len). Finding none beside the
 * executable is not one: data_dir() is then NULL. */
bool data_dir_init(const char *dir, char *why, size_t why_len);
/* The chosen directory (resolved), or NULL when there is none. */
const char *data_dir(void);
/* DATA_DIR/part ("client", "demo", "admin-ui"), or NULL when there is no
 * data directory. The string lives until data_dir_free(). */
const char *data_dir_path(const char *part);
void data_dir_free(void);

#endif
