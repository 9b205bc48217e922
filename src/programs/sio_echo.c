/* sio-echo: the Socket.IO conformance server, on the namespaces "/" and
 * "/custom":
 *   on connection      emits "auth" with the handshake's auth object
 *   "message"          answered with "message-back" and the same arguments
 *   "message-with-ack" acknowledged with the same arguments
 *   "broadcast"        "broadcast-back" with the same arguments to every
 *                      socket of the namespace
 * Binary arguments come back as binary.
 *
 * The other namespaces do the same, and each shows one more feature:
 *   "/early"    its middleware emits "early" 1, 2 (with 4 bytes of binary)
 *               and 3 before the CONNECT reply, its connection handler
 *               "early" 4 (and no "auth"): they must arrive right after the
 *               reply, in that order.
 *   "/async"    an asynchronous middleware hands the decision to a worker
 *               thread, which answers through sio_server_call() 100 ms later
 *               (or "delay" ms later, at most 10000, when the auth object has
 *               that number): refused with "denied" and data {"by":"worker"}
 *               when the auth object has "deny": true (or "true", the query
 *               string of a 2.x client), else allowed. While it waits the
 *               middleware emits "early" 1, which arrives right after the
 *               CONNECT reply.
 *   "/rooms"    "join" (room, ack): joins the room and acknowledges with the
 *               list of the socket's rooms, its own id first; "leave" (room,
 *               ack): leaves it and acknowledges the same way;
 *               "server-disconnect" (close_client): the server disconnects
 *               the socket (with true, its whole connection); when a socket
 *               leaves, whatever the reason, the others in its rooms receive
 *               "leaving" {"id", "rooms" (its rooms, own id first), "reason"}.
 *   "/guarded"  events a socket receives go through two packet middlewares
 *               (sio_socket_use): the first refuses "forbidden" with the error
 *               "not allowed", the second refuses any event whose first
 *               argument is the string "drop" with the default error. An
 *               acknowledgement asked for a refused event carries
 *               {"error": ...}; "forbidden" has a handler of its own that
 *               would echo it as "message" does, were it let through. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/server_flags.h"
#include "sio.h"
#include "sio_json.h"

static sio_server *server;

static void on_signal(int sig)
{
    (void)sig;
    if (server)
        sio_server_stop(server);
}

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

static void on_connection(sio_socket *s, void *user)
{
    char args[8192];
    const char *auth = sio_socket_auth(s);
    if ((size_t)snprintf(args, sizeof(args), "[%s]", auth) < sizeof(args))
        sio_emit(s, "auth", args);
}

static void on_message(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_binary bins[16];
    size_t n = attachments(args, bins, 16);
    sio_emit_binary(s, "message-back", sio_args_json(args, NULL), bins, n);
}

static void on_message_with_ack(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
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

/* --- /async: a decision taken by a worker thread ------------------------------------------- */

#define WORKER_DELAY_MS 100 /* as a slow database would take */
#define WORKER_DELAY_MAX_MS 10000

/* One connection awaiting its answer. The worker reads `auth` and sets
 * `allow`; the decision itself is only touched on the loop thread. */
typedef struct auth_job {
    struct auth_job *next;
    sio_decision *d;
    char *auth;
    struct timespec due; /* CLOCK_MONOTONIC */
    bool allow;
} auth_job;

/* One worker thread with a queue, in the order the jobs are due. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* on CLOCK_MONOTONIC */
    auth_job *head;
    auth_job *undelivered; /* sio_server_call refused them: the server stopped */
    bool stop;
    pthread_t thread;
} worker = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void job_free(auth_job *j)
{
    free(j->auth);
    free(j);
}

static bool due_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Whether the auth object asks to be refused: "deny": true, or "true" as a
 * 2.x client's query string has it. */
static bool auth_denies(const char *auth)
{
    sio_json *doc = sio_json_parse(auth, strlen(auth), NULL);
    sio_json_value deny = sio_json_get(sio_json_root(doc), "deny");
    bool b = false;
    bool denies = (sio_json_bool(deny, &b) && b) || sio_json_string_eq(deny, "true");
    sio_json_free(doc);
    return denies;
}

/* On the loop thread: the worker's answer. With srv NULL (the server stopped
 * before it ran) the socket is gone: the decision is only released. */
static void answer(sio_server *srv, void *arg)
{
    auth_job *j = arg;
    if (srv && !j->allow) {
        sio_json_writer *w = sio_jw_new();
        sio_jw_object(w);
        sio_jw_key(w, "by");
        sio_jw_string(w, "worker");
        sio_jw_object_end(w);
        sio_decide(j->d, false, "denied", sio_jw_text(w, NULL));
        sio_jw_free(w);
    } else {
        sio_decide(j->d, srv != NULL, srv ? NULL : "server shutting down", NULL);
    }
    job_free(j);
}

static void *worker_main(void *unused)
{
    pthread_mutex_lock(&worker.lock);
    while (!worker.stop) {
        auth_job *j = worker.head;
        if (!j) {
            pthread_cond_wait(&worker.cond, &worker.lock);
            continue;
        }
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (due_before(&now, &j->due)) {
            pthread_cond_timedwait(&worker.cond, &worker.lock, &j->due);
            continue;
        }
        worker.head = j->next;
        j->next = NULL;
        pthread_mutex_unlock(&worker.lock);
        j->allow = !auth_denies(j->auth);
        int rc = sio_server_call(server, answer, j);
        pthread_mutex_lock(&worker.lock);
        if (rc != SIO_OK) {
            j->next = worker.undelivered;
            worker.undelivered = j;
        }
    }
    pthread_mutex_unlock(&worker.lock);
    return NULL;
}

/* Returns 0 or an error number. */
static int worker_start(void)
{
    pthread_condattr_t ca;
    int err = pthread_condattr_init(&ca);
    if (err)
        return err;
    err = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (!err)
        err = pthread_cond_init(&worker.cond, &ca);
    pthread_condattr_destroy(&ca);
    if (err)
        return err;
    err = pthread_create(&worker.thread, NULL, worker_main, NULL);
    if (err)
        pthread_cond_destroy(&worker.cond);
    return err;
}

/* After sio_server_run returned, on the thread that ran it: stops the worker
 * and releases the decisions it still held (their sockets are gone). */
static void worker_finish(void)
{
    pthread_mutex_lock(&worker.lock);
    worker.stop = true;
    pthread_cond_signal(&worker.cond);
    pthread_mutex_unlock(&worker.lock);
    pthread_join(worker.thread, NULL);
    auth_job *lists[2] = {worker.head, worker.undelivered};
    worker.head = worker.undelivered = NULL;
    for (int i = 0; i < 2; i++) {
        for (auth_job *j = lists[i], *next; j; j = next) {
            next = j->next;
            answer(NULL, j);
        }
    }
    pthread_cond_destroy(&worker.cond);
}

/* The asynchronous middleware: queues the question, emits "early" while it
 * waits, and returns; the answer comes later through answer(). */
static void check_auth_async(sio_socket *s, sio_decision *d, void *user)
{
    const char *auth = sio_socket_auth(s);
    auth_job *j = calloc(1, sizeof(*j));
    if (!j || !(j->auth = strdup(auth))) {
        free(j);
        sio_decide(d, false, "out of memory", NULL);
        return;
    }
    j->d = d;
    sio_emit(s, "early", "[1]");
    int64_t delay = WORKER_DELAY_MS;
    sio_json *doc = sio_json_parse(auth, strlen(auth), NULL);
    if (sio_json_int(sio_json_get(sio_json_root(doc), "delay"), &delay) &&
        (delay < 0 || delay > WORKER_DELAY_MAX_MS))
        delay = WORKER_DELAY_MS;
    sio_json_free(doc);
    clock_gettime(CLOCK_MONOTONIC, &j->due);
    j->due.tv_sec += delay / 1000;
    j->due.tv_nsec += (long)(delay % 1000) * 1000000L;
    if (j->due.tv_nsec >= 1000000000L) {
        j->due.tv_sec++;
        j->due.tv_nsec -= 1000000000L;
    }
    /* After every job due no later than this one. */
    pthread_mutex_lock(&worker.lock);
    auth_job **pp = &worker.head;
    while (*pp && !due_before(&j->due, &(*pp)->due))
        pp = &(*pp)->next;
    j->next = *pp;
    *pp = j;
    pthread_cond_signal(&worker.cond);
    pthread_mutex_unlock(&worker.lock);
}

/* --- /rooms: the rooms a socket leaves --------------------------------------------------------- */

static void write_rooms(sio_json_writer *w, const sio_socket *s)
{
    sio_jw_array(w);
    const char *room;
    for (size_t i = 0; (room = sio_socket_room(s, i)); i++)
        sio_jw_string(w, room);
    sio_jw_array_end(w);
}

/* Acknowledges with the list of the socket's rooms. */
static void ack_rooms(sio_ack *ack, const sio_socket *s)
{
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    write_rooms(w, s);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    if (text)
        sio_ack_send(ack, text, NULL, 0);
    else
        sio_ack_discard(ack);
    sio_jw_free(w);
}

static void on_join(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    char *room = sio_arg_string(args, 0);
    if (room)
        sio_join(s, room);
    free(room);
    if (ack)
        ack_rooms(ack, s);
}

static void on_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    char *room = sio_arg_string(args, 0);
    if (room)
        sio_leave(s, room);
    free(room);
    if (ack)
        ack_rooms(ack, s);
}

static void on_server_disconnect(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                                 void *user)
{
    bool close_client = false;
    sio_arg_bool(args, 0, &close_client);
    sio_disconnect(s, close_client);
}

/* Still in its rooms: tell the others there. */
static void on_rooms_disconnecting(sio_socket *s, const char *reason, void *user)
{
    size_t n = sio_room_count(s);
    const char **rooms = n ? calloc(n, sizeof(*rooms)) : NULL;
    if (!rooms)
        return;
    for (size_t i = 0; i < n; i++)
        rooms[i] = sio_socket_room(s, i);
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "id");
    sio_jw_string(w, sio_socket_id(s));
    sio_jw_key(w, "rooms");
    write_rooms(w, s);
    sio_jw_key(w, "reason");
    sio_jw_string(w, reason);
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *text = sio_jw_text(w, NULL);
    sio_target to = {.rooms = rooms, .n_rooms = n, .exclude = s};
    if (text)
        sio_broadcast(sio_socket_namespace(s), &to, "leaving", text, NULL, 0);
    sio_jw_free(w);
    free(rooms);
}

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
    on_connection(s, user);
}

/* The handler of "forbidden", which the middleware keeps from running:
 * "message-back" and the acknowledgement, as "message" and
 * "message-with-ack" would answer. */
static void on_echo(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    on_message(s, event, args, NULL, user);
    on_message_with_ack(s, event, args, ack, user);
}

static void setup(sio_namespace *nsp)
{
    sio_on_connection(nsp, on_connection, NULL);
    sio_on(nsp, "message", on_message, NULL);
    sio_on(nsp, "message-with-ack", on_message_with_ack, NULL);
    sio_on(nsp, "broadcast", on_broadcast, NULL);
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    server_flags f = {.prog = "sio-echo", .about = "The Socket.IO conformance server.\n"};
    int status = server_flags_parse(&f, argc, argv, &o, NULL);
    if (status >= 0)
        return status;
    server = sio_server_new(&o);
    if (!server)
        return 1;
    setup(sio_of(server, "/"));
    setup(sio_of(server, "/custom"));
    sio_namespace *early = sio_of(server, "/early");
    setup(early);
    sio_use(early, emit_early, NULL);
    sio_on_connection(early, on_early_connection, NULL);
    sio_namespace *async = sio_of(server, "/async");
    setup(async);
    sio_use_async(async, check_auth_async, NULL);
    sio_namespace *rooms = sio_of(server, "/rooms");
    setup(rooms);
    sio_on(rooms, "join", on_join, NULL);
    sio_on(rooms, "leave", on_leave, NULL);
    sio_on(rooms, "server-disconnect", on_server_disconnect, NULL);
    sio_on_disconnecting(rooms, on_rooms_disconnecting, NULL);
    sio_namespace *guarded = sio_of(server, "/guarded");
    setup(guarded);
    sio_on_connection(guarded, on_guarded_connection, NULL);
    sio_on(guarded, "forbidden", on_echo, NULL);
    int err = worker_start();
    if (err) {
        fprintf(stderr, "sio-echo: cannot start the worker thread: %s\n", strerror(err));
        sio_server_free(server);
        return 1;
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    fprintf(stderr, "sio-echo listening on port %d, path %s\n", sio_server_port(server), o.path);
    int rc = sio_server_run(server);
    worker_finish();
    sio_server_free(server);
    return rc;
}
