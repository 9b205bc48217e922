/* sio-testserver's state, shared by its files: the server under test, the
 * control API's server, the rules the tests set, what the clients did (the
 * event log, the packet journal), the sockets, and the waits. Everything
 * runs on the one loop thread. */
#ifndef SIO_TESTSERVER_H
#define SIO_TESTSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "sio.h"
#include "ring.h"
#include "sio_json.h"

typedef struct ts_state ts_state;

/* --- the event log (log.c): what the clients did, numbered ---------------- */

typedef struct ts_entry {
    uint64_t seq;   /* from 1, never reused until a reset */
    int64_t time;   /* ms since the Unix epoch */
    const char *kind; /* "connect", "event", "disconnect", "refused" (static) */
    char *socket;   /* the socket's id */
    char *nsp;
    char *event;    /* "event": its name; else NULL */
    char *args;     /* "event": its arguments, a JSON array, binaries as {"$binary": base64} */
    char *reason;   /* "disconnect": why; "refused": the message */
} ts_entry;

typedef struct ts_log {
    ts_ring ring; /* the latest entries (ts_entry) */
    uint64_t next_seq;
} ts_log;

/* Records an entry (the strings are copied; NULLs allowed) and tells the
 * waits. */
void ts_log_add(ts_state *st, const char *kind, const char *socket, const char *nsp, const char *event,
                const char *args, const char *reason);
void ts_log_clear(ts_log *log);
/* Entry i, oldest first (i < ts_log_count(log)). */
size_t ts_log_count(const ts_log *log);
const ts_entry *ts_log_at(const ts_log *log, size_t i);
void ts_entry_write(sio_json_writer *w, const ts_entry *e);
/* The latest sequence number given, 0 when none. */
uint64_t ts_log_last_seq(const ts_log *log);

/* --- the packet journal (journal.c) --------------------------------------- */

typedef struct ts_journal ts_journal;
ts_journal *ts_journal_new(void);
void ts_journal_free(ts_journal *j);
void ts_journal_clear(ts_journal *j);
/* The library's packet tap (sio_test_tap), with the journal as user. */
void ts_journal_tap(const char *conn, bool outgoing, const void *data, size_t len, bool binary, void *user);
/* Writes the packets of connection `conn` that belong to namespace `nsp`
 * (NULL: all), as an array of {seq, time, direction, packet | binary}. */
void ts_journal_write(const ts_journal *j, sio_json_writer *w, const char *conn, const char *nsp);

/* --- the sockets (sockets.c) ---------------------------------------------- */

/* Every socket since the last reset: connected ones with their handle
 * (referenced), the others still with their id, namespace and connection,
 * so that their packets can be read after they left. */
typedef struct ts_known {
    char *id, *nsp, *conn;
    sio_socket *s; /* NULL once disconnected */
} ts_known;

typedef struct ts_sockets {
    ts_known *k; /* in the order they connected */
    size_t n, cap;
} ts_sockets;

void ts_sockets_add(ts_sockets *ss, sio_socket *s);
/* The socket disconnected: its handle is let go. */
void ts_sockets_gone(ts_sockets *ss, sio_socket *s);
void ts_sockets_clear(ts_sockets *ss);
/* The socket with this id ("last": the latest to connect), connected or
 * not; NULL when none. With nsp non-NULL, only one of that namespace. */
ts_known *ts_sockets_find(const ts_sockets *ss, const char *id, const char *nsp);
/* Writes a connected socket: id, namespace, connection, transport,
 * protocol, auth, query, handshake (headers, address, url, time, secure),
 * rooms. */
void ts_socket_write(sio_json_writer *w, sio_socket *s);

/* --- rules: expectations and replies (rules.c) ------------------------------ */

typedef struct ts_rules ts_rules;
ts_rules *ts_rules_new(void);
void ts_rules_free(ts_rules *r);
void ts_rules_clear(ts_rules *r);
/* Sets every namespace up (handlers that log, answer and refuse). */
int ts_rules_install(ts_state *st);

/* --- waits (waits.c) ---------------------------------------------------------- */

/* The end of a wait: `e` the first entry that matched, or NULL on timeout
 * (or a reset). */
typedef void (*ts_wait_fn)(ts_state *st, const ts_entry *e, void *user);
/* Waits for a log entry after sequence number `after` that matches
 * `criteria` ({kind, event, namespace, socket, args}); `fn` runs once,
 * maybe before this returns. Returns 0, or -1 with *why set (bad criteria,
 * out of memory: fn will not run). */
int ts_wait(ts_state *st, sio_json_value criteria, uint64_t after, unsigned timeout_ms, ts_wait_fn fn,
            void *user, const char **why);
/* Whether entry `e` matches `criteria`. */
bool ts_wait_matches(sio_json_value criteria, const ts_entry *e);
void ts_waits_notify(ts_state *st, const ts_entry *e);
/* Ends every wait (as timed out). */
void ts_waits_cancel(ts_state *st);

/* --- commands (commands.c), for the control API and scenario files ----------- */

/* A command's answer: an HTTP status and a JSON body. */
typedef void (*ts_done_fn)(ts_state *st, unsigned status, const char *json, void *user);
/* Runs command `name` with the JSON object `body`; `done` runs once, now or
 * later (a wait). */
void ts_command(ts_state *st, const char *name, sio_json_value body, ts_done_fn done, void *user);

/* --- the control API (control.c) ------------------------------------------------- */

bool ts_control_http(const sio_http_request *req, sio_http_response *res, void *user);
/* Answers what is still deferred (at the end). */
void ts_control_finish(ts_state *st);

/* --- scenario files (scenario.c) ----------------------------------------------- */

typedef struct ts_scenario ts_scenario;
/* Reads and checks a scenario file; NULL with a message on stderr. */
ts_scenario *ts_scenario_load(const char *path);
/* Starts its steps once the server listens; when they end, the server is
 * stopped and ts_scenario_status() says how. */
void ts_scenario_start(ts_state *st, ts_scenario *sc);
int ts_scenario_status(const ts_scenario *sc);
void ts_scenario_free(ts_scenario *sc);

struct ts_state {
    uv_loop_t *loop;
    sio_server *io;      /* the server the clients connect to */
    sio_server *control; /* the control API, or NULL */
    ts_rules *rules;
    ts_log log;
    ts_journal *journal;
    ts_sockets sockets;
    struct ts_waiter *waits;
    struct ts_pending *pending; /* deferred control answers */
    struct ts_delay *delays;     /* acks answered later (rules.c) */
    bool stopping;
};

/* ms since the Unix epoch. */
int64_t ts_now(void);

#endif
