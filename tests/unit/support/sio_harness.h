/* The harness of the core's unit tests: a core (sio_core_new) with a fake
 * clock, and the real sans-I/O Engine.IO engine with a fake transport whose
 * ops only record what they are asked. Clients are eio_conn structs opened
 * as WebSocket sessions; they send frames with client_send and read what the
 * server queued with expect_*. Time moves only when a test sets fake_now and
 * calls sio_core_tick. Failures end the current cmocka test. */
#ifndef SIO_TEST_SIO_HARNESS_H
#define SIO_TEST_SIO_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eio/eio_engine.h"
#include "sio.h"
#include "sio/sio_core.h"
#include "util/msg.h"

extern int64_t fake_now;
extern eio_engine *current_engine;
int64_t fake_clock(void);

#define MAX_CLIENTS 16

typedef struct fake_transport {
    int want_writes;
    int closes;
    eio_conn *last_closed;
} fake_transport;
/* The fake transport's ops: they count, and check that the engine let go
 * of a connection before closing it. */
void ft_want_write(void *ctx, eio_conn *c);
void ft_close_conn(void *ctx, eio_conn *c);

typedef struct client {
    eio_conn conn;
    eio_session *es; /* valid while the session is open */
    char eio_sid[SIO_ID_LEN + 1];
} client;

typedef struct env {
    sio_server *srv;
    eio_engine *eng;
    fake_transport ft;
    eio_transport_ops ops;
    long msg_base;
    client cl[MAX_CLIENTS];
    size_t n_cl;
} env;

/* A zeroed env with the message count noted; fake_now is 1000. */
env *env_new(void);
/* Creates the core and the engine. NULL options: defaults. */
void env_start(env *e, const sio_options *so, const eio_options *eo);
/* Drops every client connection, frees the engine and the core and the env,
 * and fails the test if a sio_msg was not released. */
void env_free(env *e);
/* A new WebSocket session (its open packet left unread, or read and checked). */
client *client_open_raw(env *e);
client *client_open(env *e);
/* As the transport does after every event: the engine reports the sessions
 * that closed. */
void settle(void);
int client_send(client *c, const char *text);
int client_send_bin(client *c, const void *p, size_t n);
void conn_gone(eio_conn *c);
void expect_text(client *c, const char *want);
void expect_binary(client *c, const void *want, size_t n);
void expect_none(client *c);
/* Drops what is queued; returns how many frames. */
int drain(client *c);
/* Reads `40[/nsp,]{"sid":"<id>"}` and returns the id in sid. */
void expect_connect_reply(client *c, const char *nsp, char sid[SIO_ID_LEN + 1]);

#endif
