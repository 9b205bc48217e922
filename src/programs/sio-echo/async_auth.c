/* sio-echo's "/async" and "/async-dyn-*" (namespaces.h). */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "namespaces.h"
#include "sio_json.h"

static sio_server *server; /* the worker posts its answers to it */

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
int async_worker_start(void)
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
void async_worker_finish(void)
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

/* Hands a decision to the worker, due after the auth's "delay" (ms) or
 * WORKER_DELAY_MS; the answer comes later through answer(). */
static void queue_job(sio_decision *d, const char *auth)
{
    auth_job *j = calloc(1, sizeof(*j));
    if (!j || !(j->auth = strdup(auth))) {
        free(j);
        sio_decide(d, false, "out of memory", NULL);
        return;
    }
    j->d = d;
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

/* The asynchronous middleware: emits "early" while the worker decides. */
static void check_auth_async(sio_socket *s, sio_decision *d, void *user)
{
    sio_emit(s, "early", "[1]");
    queue_job(d, sio_socket_auth(s));
}

/* The asynchronous namespace filter of "/async-dyn-*": the worker decides
 * whether the namespace is made. */
static void check_namespace_async(sio_server *srv, const char *name, const char *auth, sio_decision *d,
                                  void *user)
{
    queue_job(d, auth);
}

static void setup_dynamic(sio_namespace *nsp, void *user) { echo_setup(nsp); }

void async_install(sio_server *srv)
{
    server = srv;
    sio_namespace *async = sio_of(srv, "/async");
    echo_setup(async);
    sio_use_async(async, check_auth_async, NULL);
    sio_dynamic_namespaces_async(srv, "/async-dyn-*", check_namespace_async, setup_dynamic, NULL);
}
