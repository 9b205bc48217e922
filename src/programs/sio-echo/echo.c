/* The echo handlers of every sio-echo namespace (namespaces.h). Binary
 * arguments come back as binary. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "namespaces.h"

/* The arguments' attachments, to send them back as they came. */
static size_t attachments(const sio_args *args, sio_binary *bins, size_t cap)
{
    size_t n = sio_args_binary_count(args);
    if (n > cap)
        n = cap;
    for (size_t k = 0; k < n; k++)
        bins[k].data = sio_args_binary(args, k, &bins[k].len);
    return n;
}

void echo_connection(sio_socket *s, void *user)
{
    char args[8192];
    const char *auth = sio_socket_auth(s);
    if ((size_t)snprintf(args, sizeof(args), "[%s]", auth) < sizeof(args))
        sio_emit(s, "auth", args);
}

void echo_message(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    sio_emit_binary(s, "message-back", sio_args_json(args, NULL), bins, n);
}

void echo_message_with_ack(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                            void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    if (ack)
        sio_ack_send(ack, sio_args_json(args, NULL), bins, n);
}

static void on_broadcast(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    sio_broadcast(sio_socket_namespace(s), NULL, "broadcast-back", sio_args_json(args, NULL), bins, n);
}

/* "message-uncompressed": "message-back" to the sender alone (its own
 * room), marked not to be compressed (Node's socket.compress(false)). */
static void on_message_uncompressed(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                                    void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    const char *own = sio_socket_id(s);
    sio_target to = {.rooms = &own, .n_rooms = 1, .uncompressed = true};
    sio_broadcast(sio_socket_namespace(s), &to, "message-back", sio_args_json(args, NULL), bins, n);
}

void echo_setup(sio_namespace *nsp)
{
    sio_on_connection(nsp, echo_connection, NULL);
    sio_on(nsp, "message", echo_message, NULL);
    sio_on(nsp, "message-with-ack", echo_message_with_ack, NULL);
    sio_on(nsp, "broadcast", on_broadcast, NULL);
    sio_on(nsp, "message-uncompressed", on_message_uncompressed, NULL);
}
