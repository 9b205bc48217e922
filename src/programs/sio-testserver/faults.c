/* The faults' commands (commands.h): the network misbehaving on purpose,
 * through the library's test hooks (sio_testing.h). */
#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "sio_observer.h"
#include "sio_testing.h"

static const struct {
    const char *name;
    unsigned bit;
} FAULTS[] = {
    {"no-heartbeat", SIO_FAULT_NO_HEARTBEAT},     {"stall-polls", SIO_FAULT_STALL_POLLS},
    {"close-polls", SIO_FAULT_CLOSE_POLLS},       {"refuse-upgrade", SIO_FAULT_REFUSE_UPGRADE},
    {"delay", SIO_FAULT_DELAY},
};

/* The connection of the body's socket; NULL for every connection when the
 * body names none. *ok false (with *why) when it names one that is not
 * there. */
static const char *target_conn(ts_state *st, sio_json_value body, bool *ok, const char **why)
{
    *ok = true;
    if (sio_json_is_missing(sio_json_get(body, "socket")))
        return NULL;
    ts_known *k = ts_target_socket(st, body, why);
    const char *conn = k ? sio_socket_client_id(k->s) : NULL;
    *ok = conn != NULL;
    return conn;
}

/* {faults: [names], delay_ms, socket}: sets the faults (replacing those
 * set before) of the socket's connection, or of every connection. */
void ts_cmd_fault(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    sio_json_value list = sio_json_get(body, "faults");
    unsigned bits = 0;
    size_t pos = 0;
    sio_json_value v;
    if (sio_json_typeof(list) != SIO_JSON_ARRAY) {
        ts_answer_error(st, done, user, 400, "faults must be an array of names");
        return;
    }
    while (sio_json_next(list, &pos, NULL, &v)) {
        size_t i = 0, n = sizeof(FAULTS) / sizeof(FAULTS[0]);
        while (i < n && !sio_json_string_eq(v, FAULTS[i].name))
            i++;
        if (i == n) {
            ts_answer_error(st, done, user, 400,
                            "unknown fault (no-heartbeat, stall-polls, close-polls, refuse-upgrade, delay)");
            return;
        }
        bits |= FAULTS[i].bit;
    }
    int64_t delay = 0;
    if (!ts_uint_member(body, "delay_ms", 600000, &delay) || ((bits & SIO_FAULT_DELAY) && delay == 0)) {
        ts_answer_error(st, done, user, 400, "delay needs delay_ms, an integer in [1, 600000]");
        return;
    }
    bool ok;
    const char *why = NULL;
    const char *conn = target_conn(st, body, &ok, &why);
    int rc = ok ? sio_test_set_faults(st->io, conn, bits, (unsigned)delay) : SIO_ENOTFOUND;
    if (rc != SIO_OK)
        ts_answer_error(st, done, user, rc == SIO_ENOTFOUND ? 404 : 500, why ? why : sio_strerror(rc));
    else
        done(st, 200, "{\"ok\":true}", user);
}

/* {socket}: its TCP connection reset, its session lost; without a socket,
 * every connection's. */
void ts_cmd_drop(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    bool ok;
    const char *why = NULL;
    const char *conn = target_conn(st, body, &ok, &why);
    int n = ok ? sio_test_drop(st->io, conn) : SIO_ENOTFOUND;
    if (n < 0)
        ts_answer_error(st, done, user, 404, why ? why : sio_strerror(n));
    else
        ts_answer_count(st, done, user, "dropped", n);
}

/* A restart as the clients see it: every connection reset and every
 * session lost; the rules stay. */
void ts_cmd_restart(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    int n = sio_test_drop(st->io, NULL);
    ts_answer_count(st, done, user, "dropped", n < 0 ? 0 : n);
}

/* {socket, packet}: one Engine.IO packet as text, sent as it is (default
 * "49": a message holding a Socket.IO packet of the unknown type 9, which
 * socket.io-client 4 closes on with "parse error" and 2.x reports as an
 * "error" event). */
void ts_cmd_malformed(ts_state *st, sio_json_value body, ts_done_fn done, void *user)
{
    const char *why = NULL;
    ts_known *k = ts_target_socket(st, body, &why);
    if (!k) {
        ts_answer_error(st, done, user, 404, why);
        return;
    }
    size_t len = 0;
    char *packet = sio_json_strdup(sio_json_get(body, "packet"), &len);
    if (!packet && !sio_json_is_missing(sio_json_get(body, "packet"))) {
        ts_answer_error(st, done, user, 400, "packet must be a string");
        return;
    }
    const char *text = packet ? packet : "49";
    int rc = sio_test_send_raw(st->io, sio_socket_client_id(k->s), text, packet ? len : strlen(text));
    free(packet);
    if (rc != SIO_OK)
        ts_answer_error(st, done, user, rc == SIO_ENOTFOUND ? 404 : 400, sio_strerror(rc));
    else
        done(st, 200, "{\"ok\":true}", user);
}
