/* sio-echo's "/guarded" (namespaces.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"

/* --- /guarded: packet middlewares ---------------------------------------------------------------- */

static bool refuse_forbidden(sio_socket *s, const char *event, const sio_args *args, const char **error,
                             void *user)
{
    if (strcmp(event, "forbidden") != 0)
        return true;
    *error = "not allowed";
    return false;
}

static bool refuse_drop(sio_socket *s, const char *event, const sio_args *args, const char **error,
                        void *user)
{
    char *first = sio_arg_string(args, 0);
    bool drop = first && strcmp(first, "drop") == 0;
    free(first);
    return !drop;
}

static void on_guarded_connection(sio_socket *s, void *user)
{
    sio_socket_use(s, refuse_forbidden, NULL);
    sio_socket_use(s, refuse_drop, NULL);
    echo_connection(s, user);
}

/* The handler of "forbidden", which the middleware keeps from running:
 * "message-back" and the acknowledgement, as "message" and
 * "message-with-ack" would answer. */
static void on_echo(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    echo_message(s, event, args, NULL, user);
    echo_message_with_ack(s, event, args, ack, user);
}

void guarded_install(sio_server *srv)
{
    sio_namespace *guarded = sio_of(srv, "/guarded");
    echo_setup(guarded);
    sio_on_connection(guarded, on_guarded_connection, NULL);
    sio_on(guarded, "forbidden", on_echo, NULL);
}
