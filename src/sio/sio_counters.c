#include "sio/sio_counters.h"

#include <string.h>

/* In the order of sio_disconnect_reason. */
static const char *const disconnect_names[SIO_DISCONNECT_REASONS] = {
    "client namespace disconnect",
    "server namespace disconnect",
    "transport close",
    "transport error",
    "ping timeout",
    "parse error",
    "forced close",
    "server shutting down",
    "send queue full",
    "other",
};

/* In the order of sio_connect_error_reason: label values, snake_case. */
static const char *const connect_error_names[SIO_CONNECT_ERROR_REASONS] = {
    "invalid_namespace",
    "middleware",
    "server_error",
};

const char *sio_disconnect_reason_name(int reason)
{
    return reason >= 0 && reason < SIO_DISCONNECT_REASONS ? disconnect_names[reason] : NULL;
}

const char *sio_connect_error_reason_name(int reason)
{
    return reason >= 0 && reason < SIO_CONNECT_ERROR_REASONS ? connect_error_names[reason] : NULL;
}

void sio_count_disconnect(sio_counters *c, const char *reason)
{
    int i = 0;
    while (i < SIO_DISCONNECT_OTHER && !(reason && strcmp(reason, disconnect_names[i]) == 0))
        i++;
    c->disconnects[i]++;
}
