/* sio-testserver: a Socket.IO server that a frontend's tests drive.
 *
 * The clients connect to it as to any server (every transport, Engine.IO
 * v3 and v4, every namespace accepted); the tests tell it what to do and
 * ask what the clients did through a control API, HTTP/JSON on another
 * port (loopback only unless --control-host says otherwise): rules for
 * what to answer, actions, inspection, waits, and faults of the network.
 * With --scenario FILE it plays a declared sequence of steps instead and
 * exits 0 when all were met, 1 with a diff otherwise. See
 * docs/testing-frontends.md.
 *
 * Files: control.c (the HTTP side), commands.c and faults.c (the
 * commands), rules.c (expectations and replies), log.c, journal.c and
 * sockets.c (what the clients did), waits.c, scenario.c, match.c (the
 * JSON subset match), binary.c ({"$binary": base64}). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/server_flags.h"
#include "../common/signals.h"
#include "rules.h"
#include "sio_testing.h"
#include "testserver.h"

enum { F_CONTROL_PORT = 1, F_CONTROL_HOST, F_SCENARIO };

static const struct option own_flags[] = {
    {"control-port", required_argument, 0, F_CONTROL_PORT},
    {"control-host", required_argument, 0, F_CONTROL_HOST},
    {"scenario", required_argument, 0, F_SCENARIO},
    {0, 0, 0, 0},
};

typedef struct flags {
    int control_port;
    bool control_port_set; /* a scenario runs without the control API unless asked */
    const char *control_host;
    const char *scenario;
} flags;

static int on_flag(int val, const char *arg, void *user)
{
    flags *f = user;
    switch (val) {
    case F_CONTROL_PORT:
        f->control_port = (int)server_flags_number("sio-testserver", "control-port", arg, 0, 65535);
        f->control_port_set = true;
        return 0;
    case F_CONTROL_HOST:
        f->control_host = arg;
        return 0;
    case F_SCENARIO:
        f->scenario = arg;
        return 0;
    }
    return 2;
}

/* The library's errors and warnings (a refused request, libwebsockets'
 * troubles); its notices would only bury the test's own output. */
static void log_line(int level, const char *line, void *user)
{
    if (level <= 1)
        fprintf(stderr, "sio-testserver: %s\n", line);
}

/* The server under test stopped (a signal, or the end of a scenario): the
 * held control requests are answered, then the control server stops. */
static void io_stopped(sio_server *srv, void *user)
{
    ts_state *st = user;
    st->stopping = true;
    ts_control_finish(st);
    if (st->control)
        sio_server_stop(st->control);
    else
        uv_stop(st->loop);
}

static void control_stopped(sio_server *srv, void *user)
{
    ts_state *st = user;
    uv_stop(st->loop);
}

static sio_server *start_control(ts_state *st, const flags *f)
{
    sio_options c;
    sio_options_init(&c);
    c.bind_addr = f->control_host;
    c.port = f->control_port;
    c.uv_loop = st->loop;
    c.http_handler = ts_control_http;
    c.http_user = st;
    c.on_stopped = control_stopped;
    c.on_stopped_user = st;
    c.log = log_line;
    char why[256];
    sio_server *srv = NULL;
    if (sio_server_create(&c, &srv, why, sizeof(why)) != SIO_OK)
        fprintf(stderr, "sio-testserver: control API: %s\n", why);
    return srv;
}

int main(int argc, char **argv)
{
    flags f = {.control_port = 3100, .control_host = "127.0.0.1"};
    sio_options o;
    sio_options_init(&o);
    server_flags sf = {
        .prog = "sio-testserver",
        .about = "A Socket.IO server for frontends' tests, driven over an HTTP/JSON control API\n"
                 "(docs/testing-frontends.md).\n",
        .extra = own_flags,
        .extra_usage = "  --control-port N       the control API's port (default 3100; 0: any free port)\n"
                       "  --control-host ADDR    the address it listens on (default 127.0.0.1)\n"
                       "  --scenario FILE        play the steps of FILE, then exit: 0 when all were met,\n"
                       "                         1 (with a diff on stderr) when one was not, 2 for a bad file\n",
        .on_extra = on_flag,
        .user = &f,
    };
    int status = server_flags_parse(&sf, argc, argv, &o, NULL);
    if (status >= 0)
        return status;
    ts_scenario *sc = NULL;
    if (f.scenario && !(sc = ts_scenario_load(f.scenario)))
        return 2;

    uv_loop_t loop;
    uv_loop_init(&loop);
    ts_state st = {.loop = &loop, .rules = ts_rules_new(), .journal = ts_journal_new()};
    o.uv_loop = &loop;
    o.on_stopped = io_stopped;
    o.on_stopped_user = &st;
    o.log = log_line;
    int rc = 1;
    char why[256];
    if (!st.rules || !st.journal) {
        fprintf(stderr, "sio-testserver: out of memory\n");
        goto out;
    }
    if (sio_server_create(&o, &st.io, why, sizeof(why)) != SIO_OK) {
        fprintf(stderr, "sio-testserver: %s\n", why);
        goto out;
    }
    if (ts_rules_install(&st) != SIO_OK) {
        fprintf(stderr, "sio-testserver: out of memory\n");
        goto out;
    }
    sio_test_tap(st.io, ts_journal_tap, st.journal);
    if ((!sc || f.control_port_set) && !(st.control = start_control(&st, &f)))
        goto out;
    signals_stop_sio(st.io, SIGNALS_ONCE);
    fprintf(stderr, "sio-testserver listening on port %d, path %s\n", sio_server_port(st.io), o.path);
    if (st.control)
        fprintf(stderr, "sio-testserver control API on http://%s:%d/\n", f.control_host,
                sio_server_port(st.control));
    if (sc)
        ts_scenario_start(&st, sc);
    uv_run(&loop, UV_RUN_DEFAULT);
    rc = sc ? ts_scenario_status(sc) : 0;
out:
    signals_forget();
    ts_waits_cancel(&st);
    ts_delays_cancel(&st);
    ts_sockets_clear(&st.sockets);
    sio_server_free(st.control);
    sio_server_free(st.io);
    uv_run(&loop, UV_RUN_DEFAULT); /* the handles closed above */
    uv_loop_close(&loop);
    ts_log_clear(&st.log);
    ts_rules_free(st.rules);
    ts_journal_free(st.journal);
    ts_scenario_free(sc);
    return rc;
}
