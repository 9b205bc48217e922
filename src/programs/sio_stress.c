/* sio-stress: the thread-safety stress server (issue 3).
 *
 * Four worker threads post broadcasts with sio_post_emit while clients come
 * and go; a fifth thread posts direct emits to socket ids the loop thread
 * publishes. Everything the threads share with the loop thread goes through
 * the library's post queue, or through this program's own mutex (the list
 * of socket ids and the run's bookkeeping). On namespace "/":
 *
 *   "join-stress"  joins the room "stress"; acked with {"ok":true,"id":ID}
 *   "start"        argument {"total":N,"window":W} (or N): starts a run;
 *                  acked with {"ok":true,"total":N,"window":W,"run":R}, or
 *                  {"ok":false,...} while a run is in progress. Worker w
 *                  (0..3) posts
 *                  N/4 (+1 for w < N%4) events
 *                    "tick" {"w":w,"seq":0,1,2,...}
 *                  to the room "stress". When the four are done, the last
 *                  of them posts "done" {"run":R,"total":N,"totals":[...]}
 *                  to the room "stress" (after its own ticks; after the
 *                  other workers' ticks in time).
 *                  Meanwhile the direct thread posts up to N/10 events
 *                    "direct" {"seq":k,"to":ID}
 *                  each to one socket id picked at random among the
 *                  connected ones (the id may be gone by the time the loop
 *                  runs it); k increases over the run, so each recipient
 *                  sees increasing seq values.
 *                  Without a window (W 0, the default) the threads post as
 *                  fast as they can: the whole run is in the post queue
 *                  within milliseconds. With a window, they post at most
 *                  W ticks (W/10 direct emits) beyond the latest credit, so
 *                  that the posting spans the delivery to the clients.
 *   "credit"       argument {"ticks":C}: a client has received C ticks of
 *                  the run (for the window); acked with nothing
 *   "population"   argument {"sockets":N}: acked with
 *                  {"ok":true,"sockets":N,"clients":C} as soon as the
 *                  namespace has exactly N sockets (now, or later)
 *   "stats"        acked with the server's counters
 *
 *   --events N     start a run of N events at startup (no window)
 *
 * SIGINT / SIGTERM stop the server; the threads are joined, the server freed,
 * and the exit status is 0. */
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/signals.h"
#include "sio.h"

#define N_WORKERS 4
#define ID_MAX 64
#define MAX_TOTAL 100000000L

static sio_server *server;
static const char *const stress_room[] = {"stress"};

/* --- state shared between the loop thread and the posting threads -------- */

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit;
    uint64_t run;     /* number of the current (or last) run; 0: none yet */
    long total;       /* events of the current run */
    long window;      /* pacing: ticks posted ahead of the credit; 0: no pacing */
    long credit;      /* ticks a client reported received during the run */
    int busy;         /* threads (workers + direct) still on the current run */
    int workers_left; /* workers still posting ticks */
    long posted[N_WORKERS];
    int first_error;  /* first error a post returned, 0 if none */
    uint64_t ticks_posted, directs_posted, directs_skipped, done_posted;
    int64_t run_started_ms, run_posted_ms; /* when the run started; how long its ticks took to post */
    /* Ids of the connected sockets, published by the loop thread. */
    char (*ids)[ID_MAX];
    size_t n_ids, cap_ids;
} app = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Set by the last worker: the direct thread stops with the ticks. */
static atomic_bool ticks_finished;

static void note_error(int err)
{
    /* app.mu held */
    if (err && !app.first_error)
        app.first_error = err;
}

/* Waits for a run newer than *seen; false when quitting. */
static bool wait_for_run(uint64_t *seen, long *total, long *window)
{
    pthread_mutex_lock(&app.mu);
    while (!app.quit && app.run == *seen)
        pthread_cond_wait(&app.cv, &app.mu);
    bool go = !app.quit;
    *seen = app.run;
    *total = app.total;
    *window = app.window;
    pthread_mutex_unlock(&app.mu);
    return go;
}

/* Pacing: waits until this thread's share (1/share) of credit + window
 * covers event n (or the ticks are finished, for the direct thread).
 * Returns the new allowance, or -1 when quitting. */
static long wait_for_credit(long n, long window, long share, bool until_ticks_finished)
{
    pthread_mutex_lock(&app.mu);
    long allowed;
    while ((allowed = (app.credit + window) / share) <= n && !app.quit &&
           !(until_ticks_finished && atomic_load(&ticks_finished)))
        pthread_cond_wait(&app.cv, &app.mu);
    if (app.quit)
        allowed = -1;
    pthread_mutex_unlock(&app.mu);
    return allowed;
}

static void thread_finished_run(void)
{
    pthread_mutex_lock(&app.mu);
    app.busy--;
    pthread_mutex_unlock(&app.mu);
}

static void *worker_main(void *arg)
{
    int w = (int)(intptr_t)arg;
    uint64_t seen = 0;
    long total, window;
    while (wait_for_run(&seen, &total, &window)) {
        long mine = total / N_WORKERS + (w < total % N_WORKERS ? 1 : 0);
        long n = 0, allowed = window ? 0 : mine;
        int err = 0;
        char args[96];
        for (; n < mine; n++) {
            if (n >= allowed && (allowed = wait_for_credit(n, window, N_WORKERS, false)) < 0)
                break; /* quitting */
            snprintf(args, sizeof(args), "[{\"w\":%d,\"seq\":%ld}]", w, n);
            err = sio_post_emit(server, "/", NULL, stress_room, 1, "tick", args);
            if (err)
                break; /* SIO_ESTATE: the server is stopping */
        }
        char done[256];
        pthread_mutex_lock(&app.mu);
        app.posted[w] = n;
        app.ticks_posted += (uint64_t)n;
        note_error(err);
        bool last = --app.workers_left == 0;
        if (last) {
            atomic_store(&ticks_finished, true);
            pthread_cond_broadcast(&app.cv); /* the direct thread may wait for credit */
            app.run_posted_ms = now_ms() - app.run_started_ms;
            snprintf(done, sizeof(done),
                     "[{\"run\":%" PRIu64 ",\"total\":%ld,\"totals\":[%ld,%ld,%ld,%ld]}]", seen,
                     total, app.posted[0], app.posted[1], app.posted[2], app.posted[3]);
        }
        pthread_mutex_unlock(&app.mu);
        if (last) {
            /* Posted by this thread after its own ticks, and after the other
             * workers finished posting theirs. */
            int rc = sio_post_emit(server, "/", NULL, stress_room, 1, "done", done);
            pthread_mutex_lock(&app.mu);
            note_error(rc);
            if (rc == SIO_OK)
                app.done_posted++;
            pthread_mutex_unlock(&app.mu);
        }
        thread_finished_run();
    }
    return NULL;
}

/* xorshift64*: the direct thread's own generator. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ULL;
}

static void *direct_main(void *arg)
{
    uint64_t rnd = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)&rnd;
    uint64_t seen = 0;
    long total, window;
    while (wait_for_run(&seen, &total, &window)) {
        long cap = total / 10, allowed = window ? 0 : cap;
        uint64_t posted = 0, skipped = 0;
        int err = 0;
        char id[ID_MAX], args[160];
        for (long k = 0; k < cap && !atomic_load(&ticks_finished); k++) {
            if (k >= allowed && (allowed = wait_for_credit(k, window, 10, true)) < 0)
                break;
            if (k >= allowed)
                break; /* the ticks are finished */
            pthread_mutex_lock(&app.mu);
            bool have = app.n_ids > 0;
            if (have)
                memcpy(id, app.ids[next_random(&rnd) % app.n_ids], ID_MAX);
            pthread_mutex_unlock(&app.mu);
            if (!have) {
                skipped++;
                continue;
            }
            snprintf(args, sizeof(args), "[{\"seq\":%ld,\"to\":\"%s\"}]", k, id);
            err = sio_post_emit(server, "/", id, NULL, 0, "direct", args);
            if (err)
                break;
            posted++;
        }
        pthread_mutex_lock(&app.mu);
        app.directs_posted += posted;
        app.directs_skipped += skipped;
        note_error(err);
        pthread_mutex_unlock(&app.mu);
        thread_finished_run();
    }
    return NULL;
}

/* Starts a run of `total` events (loop thread, or main before the loop).
 * Returns the run's number, or 0 if a run is in progress. */
static uint64_t start_run(long total, long window)
{
    uint64_t run = 0;
    pthread_mutex_lock(&app.mu);
    if (app.busy == 0 && !app.quit) {
        app.total = total;
        app.window = window;
        app.credit = 0;
        app.busy = N_WORKERS + 1;
        app.workers_left = N_WORKERS;
        app.run_started_ms = now_ms();
        app.run_posted_ms = -1;
        atomic_store(&ticks_finished, false);
        run = ++app.run;
        pthread_cond_broadcast(&app.cv);
    }
    pthread_mutex_unlock(&app.mu);
    return run;
}

/* --- the loop thread's handlers ------------------------------------------- */

/* One ack waiting for the namespace to reach a number of sockets. */
static sio_ack *population_ack;
static size_t population_want;

static void check_population(sio_namespace *nsp)
{
    if (!population_ack)
        return;
    size_t n = sio_namespace_socket_count(nsp);
    if (n != population_want)
        return;
    sio_stats st;
    sio_server_stats(server, &st);
    char args[128];
    snprintf(args, sizeof(args), "[{\"ok\":true,\"sockets\":%zu,\"clients\":%zu}]", n, st.clients);
    sio_ack *ack = population_ack;
    population_ack = NULL;
    sio_ack_send(ack, args, NULL, 0);
}

static void publish_id(const char *id)
{
    pthread_mutex_lock(&app.mu);
    if (app.n_ids == app.cap_ids) {
        size_t cap = app.cap_ids ? app.cap_ids * 2 : 64;
        char(*ids)[ID_MAX] = realloc(app.ids, cap * sizeof(*ids));
        if (!ids) {
            pthread_mutex_unlock(&app.mu);
            return; /* not published: it gets no direct emits */
        }
        app.ids = ids;
        app.cap_ids = cap;
    }
    snprintf(app.ids[app.n_ids++], ID_MAX, "%s", id);
    pthread_mutex_unlock(&app.mu);
}

static void unpublish_id(const char *id)
{
    pthread_mutex_lock(&app.mu);
    for (size_t i = 0; i < app.n_ids; i++) {
        if (strncmp(app.ids[i], id, ID_MAX) == 0) {
            if (i != app.n_ids - 1)
                memcpy(app.ids[i], app.ids[app.n_ids - 1], ID_MAX);
            app.n_ids--;
            break;
        }
    }
    pthread_mutex_unlock(&app.mu);
}

static void on_connection(sio_socket *s, void *user)
{
    publish_id(sio_socket_id(s));
    check_population(sio_socket_namespace(s));
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    unpublish_id(sio_socket_id(s));
    check_population(sio_socket_namespace(s));
}

static void reply(sio_ack *ack, const char *args)
{
    if (ack)
        sio_ack_send(ack, args, NULL, 0);
}

static void on_join(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    int rc = sio_join(s, "stress");
    char out[160];
    if (rc == SIO_OK)
        snprintf(out, sizeof(out), "[{\"ok\":true,\"id\":\"%s\"}]", sio_socket_id(s));
    else
        snprintf(out, sizeof(out), "[{\"ok\":false,\"error\":\"%s\"}]", sio_strerror(rc));
    reply(ack, out);
}

/* The integer value of key `key` in a flat JSON object's text, or -1. Good
 * enough for the test's {"total":N}: the program has no JSON parser. */
static long object_int(const char *json, size_t len, const char *key)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\"", key);
    size_t pl = strlen(pat);
    for (size_t i = 0; i + pl <= len; i++) {
        if (memcmp(json + i, pat, pl) != 0)
            continue;
        size_t j = i + pl;
        while (j < len && (json[j] == ' ' || json[j] == ':' || json[j] == '\t' || json[j] == '\n'))
            j++;
        long v = 0;
        size_t digits = 0;
        while (j < len && json[j] >= '0' && json[j] <= '9' && digits < 12) {
            v = v * 10 + (json[j] - '0');
            j++;
            digits++;
        }
        return digits ? v : -1;
    }
    return -1;
}

static long int_argument(const sio_args *args, const char *key)
{
    if (sio_args_count(args) < 1)
        return -1;
    int64_t v;
    if (sio_arg_type(args, 0) == SIO_T_NUMBER)
        return sio_arg_int(args, 0, &v) && v >= 0 && v <= MAX_TOTAL ? (long)v : -1;
    if (sio_arg_type(args, 0) != SIO_T_OBJECT)
        return -1;
    size_t len;
    const char *json = sio_arg_json(args, 0, &len);
    return json ? object_int(json, len, key) : -1;
}

static void on_start(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    long total = int_argument(args, "total");
    long window = 0;
    if (sio_arg_type(args, 0) == SIO_T_OBJECT) {
        size_t len;
        const char *json = sio_arg_json(args, 0, &len);
        window = json ? object_int(json, len, "window") : -1;
        if (window < 0) /* absent */
            window = 0;
    }
    char out[160];
    if (total < 0 || total > MAX_TOTAL || (window && window < 4 * N_WORKERS)) {
        reply(ack, "[{\"ok\":false,\"error\":\"bad total or window\"}]");
        return;
    }
    uint64_t run = start_run(total, window);
    if (run)
        snprintf(out, sizeof(out), "[{\"ok\":true,\"total\":%ld,\"window\":%ld,\"run\":%" PRIu64 "}]",
                 total, window, run);
    else
        snprintf(out, sizeof(out), "[{\"ok\":false,\"error\":\"a run is in progress\"}]");
    reply(ack, out);
}

static void on_credit(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    long ticks = int_argument(args, "ticks");
    pthread_mutex_lock(&app.mu);
    if (ticks > app.credit) {
        app.credit = ticks;
        pthread_cond_broadcast(&app.cv);
    }
    pthread_mutex_unlock(&app.mu);
    reply(ack, "[]");
}

static void on_population(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack,
                          void *user)
{
    long want = int_argument(args, "sockets");
    if (!ack)
        return;
    if (want < 0) {
        reply(ack, "[{\"ok\":false,\"error\":\"bad sockets\"}]");
        return;
    }
    if (population_ack) /* one waiter at a time: the older one is told */
        reply(population_ack, "[{\"ok\":false,\"error\":\"replaced\"}]");
    population_ack = sio_ack_retain(ack);
    population_want = (size_t)want;
    check_population(sio_socket_namespace(s));
}

static void on_stats(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    sio_stats st;
    sio_server_stats(server, &st);
    char out[512];
    pthread_mutex_lock(&app.mu);
    snprintf(out, sizeof(out),
             "[{\"clients\":%zu,\"sockets\":%zu,\"packets_encoded\":%" PRIu64
             ",\"broadcast_recipients\":%" PRIu64 ",\"emits_after_close\":%" PRIu64
             ",\"ticks_posted\":%" PRIu64 ",\"directs_posted\":%" PRIu64 ",\"busy\":%d,\"run\":%" PRIu64
             ",\"run_posted_ms\":%" PRId64 "}]",
             st.clients, sio_namespace_socket_count(sio_socket_namespace(s)), st.packets_encoded,
             st.broadcast_recipients, st.emits_after_close, app.ticks_posted, app.directs_posted,
             app.busy, app.run, app.run_posted_ms);
    pthread_mutex_unlock(&app.mu);
    reply(ack, out);
}

/* --- main ------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sio-stress [options]\n"
            "  --host ADDR            address to listen on (default: all)\n"
            "  --port N               port (default 3000)\n"
            "  --path PATH            Socket.IO path (default /socket.io/)\n"
            "  --events N             start a run of N events at startup\n"
            "  --ping-interval MS     default 25000\n"
            "  --ping-timeout MS      default 20000\n");
}

static long number_arg(const char *name, const char *v, long min, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max) {
        fprintf(stderr, "sio-stress: bad value for --%s: %s\n", name, v);
        exit(2);
    }
    return n;
}

int main(int argc, char **argv)
{
    sio_options o;
    sio_options_init(&o);
    long events = -1;
    static const struct option opts[] = {
        {"host", required_argument, 0, 'H'},         {"port", required_argument, 0, 'p'},
        {"path", required_argument, 0, 'P'},         {"events", required_argument, 0, 'e'},
        {"ping-interval", required_argument, 0, 'i'}, {"ping-timeout", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},               {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (ch) {
        case 'H': o.bind_addr = optarg; break;
        case 'p': o.port = (int)number_arg("port", optarg, 0, 65535); break;
        case 'P': o.path = optarg; break;
        case 'e': events = number_arg("events", optarg, 0, MAX_TOTAL); break;
        case 'i': o.ping_interval = (unsigned)number_arg("ping-interval", optarg, 1, 1L << 30); break;
        case 't': o.ping_timeout = (unsigned)number_arg("ping-timeout", optarg, 1, 1L << 30); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    server = sio_server_new(&o);
    if (!server)
        return 1;
    sio_namespace *nsp = sio_of(server, "/");
    if (!nsp)
        return 1;
    sio_on_connection(nsp, on_connection, NULL);
    sio_on_disconnect(nsp, on_disconnect, NULL);
    if (sio_on(nsp, "join-stress", on_join, NULL) || sio_on(nsp, "start", on_start, NULL) ||
        sio_on(nsp, "credit", on_credit, NULL) ||
        sio_on(nsp, "population", on_population, NULL) || sio_on(nsp, "stats", on_stats, NULL))
        return 1;

    /* Threads start with every signal blocked, so that SIGTERM is handled
     * by the loop thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t threads[N_WORKERS + 1];
    int n_threads = 0;
    for (int w = 0; w < N_WORKERS + 1; w++) {
        void *(*fn)(void *) = w < N_WORKERS ? worker_main : direct_main;
        if (pthread_create(&threads[w], NULL, fn, (void *)(intptr_t)w) != 0) {
            fprintf(stderr, "sio-stress: cannot start thread %d\n", w);
            break;
        }
        n_threads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    signals_stop_sio(server, 0);

    int rc = 1;
    if (n_threads == N_WORKERS + 1) {
        if (events >= 0)
            start_run(events, 0);
        fprintf(stderr, "sio-stress listening on port %d, path %s\n", sio_server_port(server),
                o.path ? o.path : "/socket.io/");
        rc = sio_server_run(server);
    }

    /* The loop is over: posts now fail with SIO_ESTATE, so a run in
     * progress ends quickly. Join before freeing the server. */
    pthread_mutex_lock(&app.mu);
    app.quit = true;
    pthread_cond_broadcast(&app.cv);
    pthread_mutex_unlock(&app.mu);
    for (int i = 0; i < n_threads; i++)
        pthread_join(threads[i], NULL);
    if (population_ack) {
        sio_ack_discard(population_ack);
        population_ack = NULL;
    }
    fprintf(stderr,
            "sio-stress: %" PRIu64 " runs, %" PRIu64 " ticks, %" PRIu64 " done, %" PRIu64
            " direct emits posted (%" PRIu64 " skipped), first post error: %s\n",
            app.run, app.ticks_posted, app.done_posted, app.directs_posted, app.directs_skipped,
            app.first_error ? sio_strerror(app.first_error) : "none");
    sio_server_free(server);
    free(app.ids);
    return rc;
}
