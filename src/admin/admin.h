/* The admin UI's server side (include/sio_admin.h): state shared by its
 * files. admin.c sets it up and runs the UI's commands, admin_auth.c checks
 * logins, admin_feed.c sends the UI what happens, admin_sockets.c the
 * sockets and their list, admin_stats.c the periodic server_stats. Built on the public API and sio_observer.h only. */
#ifndef SIO_ADMIN_ADMIN_H
#define SIO_ADMIN_ADMIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sio.h"
#include "sio_admin.h"
#include "sio_json.h"
#include "sio_observer.h"

#define ADMIN_SESSIONS 64     /* logins remembered; the oldest goes first */
#define ADMIN_SESSION_ID_LEN 16 /* hex digits */
#define ADMIN_LOGINS_WAITING 16 /* logins waiting for the worker; more are refused */
#define ADMIN_MAX_AGGREGATED 512 /* distinct (second, type, subtype) between two stats */

/* One count of Node's EventBuffer: what happened in one second. */
typedef struct admin_count {
    int64_t second_ms; /* wall clock, ms, rounded down to the second */
    const char *type;  /* static */
    char subtype[32];  /* "" for none */
    uint64_t count;
} admin_count;

typedef struct admin_login admin_login;

typedef struct admin {
    sio_server *srv;
    sio_namespace *nsp;
    char *nsp_name, *username, *hash, *server_id;
    bool no_auth, readonly, production;
    char hostname[256];
    int64_t started_ms; /* monotonic */
    sio_interval *stats_timer;
    char sessions[ADMIN_SESSIONS][ADMIN_SESSION_ID_LEN + 1];
    size_t next_session;
    admin_count *counts;
    size_t n_counts;
    sio_json_writer *w; /* reused for every message */
    /* The login worker (admin_login.c): its queue, under login_lock. */
    pthread_t login_thread;
    pthread_mutex_t login_lock;
    pthread_cond_t login_cond;
    admin_login *login_head, *login_tail, *logins_stranded;
    size_t logins_waiting;
    bool login_stopping, logins_running;
} admin;

/* admin.c: frees the state (the observer's server_free). */
void admin_free(admin *a);

/* admin_auth.c: the namespace's middleware (basic auth and sessions); the
 * check of a login's name and password (any thread: it reads only what
 * does not change); a new session sent to the socket that logged in (loop
 * thread; false when no randomness was to be had). */
void admin_auth_middleware(sio_socket *s, sio_decision *d, void *user);
bool admin_credentials_ok(const admin *a, const char *user, const char *password);
bool admin_session_send(admin *a, sio_socket *s);

/* admin_login.c: the worker thread that checks passwords off the loop.
 * admin_logins_init starts it; admin_login_check hands it a login and
 * takes `user` and `password` (malloc'd), and the decision is answered
 * when it is checked (or at once when too many wait); admin_logins_stop
 * (loop thread) ends it and refuses what it had not answered. */
int admin_logins_init(admin *a);
void admin_login_check(admin *a, sio_decision *d, char *user, char *password);
void admin_logins_stop(admin *a);

/* admin_feed.c: the observer that tells the UI, and the socket list. */
extern const sio_observer admin_observer_hooks;
/* The writer's finished text as a copy to free() (NULL on error), and the
 * writer emptied: free for whatever sending the text leads to. */
char *admin_take_text(admin *a);
/* Sends the writer's text (an array of arguments) to every admin socket. */
void admin_broadcast(admin *a, const char *event);
/* Whether what the module sends may reach a UI: one connected here, or,
 * in a cluster, one that may be connected to another server (through the
 * adapter; Node's admin UI always sends). A server alone with no UI
 * connected skips the work. */
bool admin_heard(const admin *a);
/* Adds to this second's count of `type` (Node's EventBuffer.push). */
void admin_count_add(admin *a, const char *type, const char *subtype, uint64_t n);
/* The current time as JSON's Date: "2024-06-04T10:00:00.000Z". */
void admin_timestamp(char out[32]);
int64_t admin_now_ms(bool wall);

/* admin_sockets.c: a socket as the UI reads it, written to `w`; and
 * all_sockets (every socket of every namespace, of every node in a
 * cluster) emitted to one admin socket, at once when the server is alone,
 * when the other nodes have answered in a cluster. */
void admin_write_socket(sio_json_writer *w, sio_socket *s);
void admin_send_all_sockets(admin *a, sio_socket *to);

/* admin_stats.c: server_stats every interval. */
void admin_send_stats(sio_server *srv, void *user);

#endif
