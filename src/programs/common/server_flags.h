/* The command-line flags every server program takes (--host, --port, the
 * timeouts, the limits, CORS), parsed once for all of them into the library's
 * options; a program adds its own flags through `extra`. */
#ifndef SIO_PROGRAMS_SERVER_FLAGS_H
#define SIO_PROGRAMS_SERVER_FLAGS_H

#include <getopt.h>
#include <stdio.h>

#include "eio.h"
#include "sio.h"

typedef struct server_flags {
    const char *prog;  /* the program's name, for messages */
    const char *about; /* usage lines after "usage: <prog> [options]", or NULL */
    /* The program's own flags (terminated by a zero entry; their `val`
     * below 256), their usage lines, and the function that takes them:
     * it returns 0, or an exit status after printing why. */
    const struct option *extra;
    const char *extra_usage;
    int (*on_extra)(int val, const char *arg, void *user);
    void *user;
} server_flags;

/* Parses argv into *sio (a Socket.IO program) or *eio (an Engine.IO one):
 * pass one, the other NULL; both must have been initialised with their
 * defaults. Returns -1 to go on, or the exit status to end with: 0 after
 * --help, 2 after a bad flag (with a message on stderr). */
int server_flags_parse(const server_flags *f, int argc, char **argv, sio_options *sio,
                       eio_server_options *eio);

/* The value of flag --name as a number in [min, max]; otherwise prints why
 * and exits with status 2. */
long server_flags_number(const char *prog, const char *name, const char *value, long min, long max);

#endif
