/* sio-echo's "/early" (namespaces.h). */
#include "namespaces.h"

/* The namespace /early: its middleware emits before the CONNECT reply (the
 * emits are queued and must arrive right after it, in order, none lost),
 * and so does its connection handler. */
static bool emit_early(sio_socket *s, const char **message, const char **data_json, void *user)
{
    static const unsigned char bin[] = {0, 1, 2, 255};
    sio_binary b = {bin, sizeof(bin)};
    sio_emit(s, "early", "[1]");
    sio_emit_binary(s, "early", "[2,{\"_placeholder\":true,\"num\":0}]", &b, 1);
    sio_emit(s, "early", "[3]");
    return true;
}

static void on_early_connection(sio_socket *s, void *user) { sio_emit(s, "early", "[4]"); }

void early_install(sio_server *srv)
{
    sio_namespace *early = sio_of(srv, "/early");
    echo_setup(early);
    sio_use(early, emit_early, NULL);
    sio_on_connection(early, on_early_connection, NULL);
}
