/* chat_server: a room chat on libsio, the example of docs/guide.md.
 *
 *   chat_server [--port N] [--tick SECONDS] [--client FILE]
 *
 * Events on the namespace "/"; each is acknowledged, when the client asks,
 * with {"ok":true} or {"ok":false,"error":"..."}:
 *   join  (room)          joins a room: 1-64 characters, no control
 *                         characters, not shaped like a socket id
 *   leave (room)          leaves it
 *   nick  (name)          the name shown as "from" (1-32 characters); until
 *                         then it is the socket id
 *   say   ({room, text})  sends `said` {room, from, text} to every socket in
 *                         the room, the sender included (its copy tells it
 *                         where its message falls among the others); the
 *                         sender must be in the room
 * A connection whose auth has "banned":true is refused with "banned". A
 * worker thread emits `tick` {time, seq} to the room "clock" every --tick
 * seconds (default 5; 0: none), through sio_post_emit. GET / is a small
 * browser page to try it, which loads the socket.io client from this server:
 * the file --client (default: the one tests/node_modules holds, for a run from
 * the repository's root). Connections and disconnections (with their reason)
 * are logged on stderr. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sio.h"
#include "sio_json.h"

#define MAX_ROOM 64   /* characters of a room name */
#define MAX_NICK 32   /* characters of a nick */
#define MAX_ROOMS 16  /* rooms a socket may be in, besides its own */
#define MAX_TEXT 2000 /* bytes of a message's text */
#define CLIENT_FILE "tests/node_modules/socket.io-client/dist/socket.io.min.js" /* --client */

static sio_server *server;

/* --- events -------------------------------------------------------------------- */

/* Whether `s` is 1 to `max` characters (of UTF-8), none of them control
 * characters (which would also garble the log). */
static bool good_text(const char *s, size_t max)
{
    size_t chars = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c < 0x20 || *c == 0x7f)
            return false;
        chars += (*c & 0xC0) != 0x80; /* count lead bytes only */
    }
    return chars >= 1 && chars <= max;
}

/* NULL if `room` may be joined, else why not. */
static const char *room_problem(const char *room)
{
    if (!room)
        return "room must be a string";
    if (!good_text(room, MAX_ROOM))
        return "room must be 1 to 64 characters, no control characters";
    /* Every socket is in the room named by its id: joining a room shaped
     * like an id could receive another socket's private messages. */
    if (strlen(room) == 20 &&
        strspn(room, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 20)
        return "reserved room name";
    return NULL;
}

/* Answers the client's ack, if it asked for one: [{"ok":true}], or
 * [{"ok":false,"error":why}]. */
static void reply(sio_ack *ack, const char *why)
{
    if (!ack)
        return;
    sio_json_writer *w = sio_jw_new();
    sio_jw_array(w);
    sio_jw_object(w);
    sio_jw_key(w, "ok"); sio_jw_bool(w, !why);
    if (why) {
        sio_jw_key(w, "error"); sio_jw_string(w, why);
    }
    sio_jw_object_end(w);
    sio_jw_array_end(w);
    const char *json = sio_jw_text(w, NULL); /* NULL only when out of memory: then no answer */
    if (json)
        sio_ack_send(ack, json, NULL, 0);
    sio_jw_free(w);
}

static void on_join_leave(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    bool join = strcmp(event, "join") == 0;
    char *room = sio_arg_string(args, 0); /* NULL if not a string */
    const char *why = room_problem(room);
    if (!why && join && !sio_in_room(s, room) && sio_room_count(s) > MAX_ROOMS)
        why = "too many rooms";
    else if (!why && !join && !sio_in_room(s, room))
        why = "not in that room";
    if (!why) {
        int rc = join ? sio_join(s, room) : sio_leave(s, room);
        if (rc != SIO_OK)
            why = sio_strerror(rc);
        else
            fprintf(stderr, "%s %s %s\n", sio_socket_id(s), join ? "joined" : "left", room);
    }
    reply(ack, why);
    free(room);
}

/* The socket's data is its nick, a C string it owns; NULL until `nick`. */
static void on_nick(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    char *nick = sio_arg_string(args, 0);
    const char *why = !nick ? "nick must be a string"
                      : !good_text(nick, MAX_NICK) ? "nick must be 1 to 32 characters, no control characters"
                                                   : NULL;
    if (why) {
        free(nick);
    } else {
        free(sio_socket_data(s));
        sio_socket_set_data(s, nick); /* freed by the next nick or on_disconnect */
        fprintf(stderr, "%s is now %s\n", sio_socket_id(s), nick);
    }
    reply(ack, why);
}

static void on_say(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    /* The argument should be an object: parse its JSON to read the members.
     * Without an argument doc is NULL and its root "missing"; a member of
     * that, or of anything but an object, is missing too, and its strdup
     * NULL: so the lookups need no checks in between. */
    size_t len = 0, text_len = 0;
    const char *json = sio_arg_json(args, 0, &len);
    sio_json *doc = json ? sio_json_parse(json, len, NULL) : NULL;
    sio_json_value msg = sio_json_root(doc);
    char *room = sio_json_strdup(sio_json_get(msg, "room"), NULL); /* NULL unless a string */
    char *text = sio_json_strdup(sio_json_get(msg, "text"), &text_len);
    sio_json_free(doc); /* the copies outlive it */

    const char *why = NULL;
    if (!room || !text)
        why = "expected {room, text}, two strings";
    else if (room_problem(room) || !sio_in_room(s, room))
        why = "not in that room";
    else if (text_len < 1 || text_len > MAX_TEXT)
        why = "text must be 1 to 2000 bytes";
    if (!why) {
        /* Room, name and text come from clients: the writer escapes them, so
         * none can break out of its quotes and add members of its own. */
        const char *nick = sio_socket_data(s);
        const char *from = nick ? nick : sio_socket_id(s);
        sio_json_writer *w = sio_jw_new();
        sio_jw_array(w);
        sio_jw_object(w);
        sio_jw_key(w, "room"); sio_jw_string(w, room);
        sio_jw_key(w, "from"); sio_jw_string(w, from);
        sio_jw_key(w, "text"); sio_jw_stringn(w, text, text_len); /* its length: it may hold "\u0000" */
        sio_jw_object_end(w);
        sio_jw_array_end(w);
        const char *said = sio_jw_text(w, NULL);
        const char *rooms[] = {room};
        sio_target to = {.rooms = rooms, .n_rooms = 1}; /* .exclude = s: all but the sender */
        int n = said ? sio_broadcast(sio_socket_namespace(s), &to, "said", said, NULL, 0) : SIO_ENOMEM;
        why = n < 0 ? sio_strerror(n) : NULL;
        sio_jw_free(w);
    }
    reply(ack, why);
    free(room);
    free(text);
}

/* --- connections ------------------------------------------------------------------ */

static bool refuse_banned(sio_socket *s, const char **message, const char **data_json, void *user)
{
    const char *auth = sio_socket_auth(s); /* a JSON object, "{}" when none */
    sio_json *doc = sio_json_parse(auth, strlen(auth), NULL); /* NULL only when out of memory */
    bool banned = !doc; /* what cannot be checked is refused */
    sio_json_bool(sio_json_get(sio_json_root(doc), "banned"), &banned); /* set only by true or false */
    sio_json_free(doc);
    if (!banned)
        return true;
    fprintf(stderr, "refused %s: banned\n", sio_socket_id(s));
    *message = "banned";
    return false;
}

static void on_connection(sio_socket *s, void *user)
{
    fprintf(stderr, "connect %s (%zu connected)\n", sio_socket_id(s),
            sio_namespace_socket_count(sio_socket_namespace(s)));
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    fprintf(stderr, "disconnect %s (%s)\n", sio_socket_id(s), reason);
    free(sio_socket_data(s)); /* the nick */
    sio_socket_set_data(s, NULL);
}

/* --- the browser page -------------------------------------------------------------- */

/* The page loads the socket.io client from this server, so it works offline,
 * at the URL where Node's socket.io serves it: libsio answers only the
 * Socket.IO path itself ("/socket.io/"); what lies beneath it comes to the
 * HTTP hook like any other request. */
#define CLIENT_URL "/socket.io/socket.io.min.js"

/* GET /: chats in the room "lobby" and shows every event it receives. */
static const char page[] =
    "<!doctype html><meta charset=utf-8><title>chat</title><pre id=log></pre>\n"
    "<form id=f><input id=t autofocus placeholder=say...></form>\n"
    "<script src=\"" CLIENT_URL "\"></script><script>\n"
    "const socket = io(), show = (...a) => log.append(a.map(x => JSON.stringify(x)).join(' ') + '\\n');\n"
    "socket.onAny(show);\n"
    "socket.on('connect', () => socket.emit('join', 'lobby', show));\n"
    "f.onsubmit = (e) => { e.preventDefault(); socket.emit('say', {room: 'lobby', text: t.value}, show);"
    " t.value = ''; };\n</script>\n";

static struct {
    char *data; /* NULL when it could not be read: CLIENT_URL answers 404 */
    size_t len;
} client;

/* The whole of a regular file, or NULL. */
static char *read_file(const char *path, size_t *len)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    char *data = f && fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) ? malloc((size_t)st.st_size + 1) : NULL;
    if (data && fread(data, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
        free(data);
        data = NULL;
    }
    if (f)
        fclose(f);
    *len = data ? (size_t)st.st_size : 0;
    return data;
}

static bool on_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0; /* HEAD: no body sent */
    if (get && strcmp(req->path, "/") == 0)
        return sio_http_reply(res, 200, "text/html; charset=utf-8", page, sizeof(page) - 1) == SIO_OK;
    if (get && strcmp(req->path, CLIENT_URL) == 0 && client.data)
        return sio_http_reply(res, 200, "application/javascript; charset=utf-8", client.data, client.len) == SIO_OK;
    return false; /* 404 */
}

/* --- the clock: a worker thread -------------------------------------------------- */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond; /* signalled to stop */
    bool stop;
    long seconds;
} ticker = {.lock = PTHREAD_MUTEX_INITIALIZER, .seconds = 5};

static void *tick_thread(void *arg)
{
    sio_json_writer *w = sio_jw_new(); /* this thread's own: a writer serves one thread at a time */
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&ticker.lock);
    for (int64_t seq = 1;; seq++) {
        next.tv_sec += ticker.seconds;
        /* Until the next tick or a stop: a timed wait, not a sleep. */
        int rc = 0;
        while (!ticker.stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&ticker.cond, &ticker.lock, &next);
        if (ticker.stop)
            break;
        char when[32];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        sio_jw_reset(w); /* reused for every tick */
        sio_jw_array(w);
        sio_jw_object(w);
        sio_jw_key(w, "time"); sio_jw_string(w, when);
        sio_jw_key(w, "seq"); sio_jw_int(w, seq);
        sio_jw_object_end(w);
        sio_jw_array_end(w);
        const char *json = sio_jw_text(w, NULL);
        const char *rooms[] = {"clock"};
        if (json)
            sio_post_emit(server, "/", NULL, rooms, 1, "tick", json); /* SIO_ESTATE once stopping */
    }
    pthread_mutex_unlock(&ticker.lock);
    sio_jw_free(w);
    return NULL;
}

static void on_signal(int sig) { sio_server_stop(server); }

/* A number from 0 to max, or -1. */
static long number(const char *v, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    return *v && !*end && n >= 0 && n <= max ? n : -1;
}

int main(int argc, char **argv)
{
    const char *client_file = CLIENT_FILE;
    sio_options o;
    sio_options_init(&o);
    for (int i = 1; i < argc; i += 2) { /* every option has a value */
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        long n = value ? number(value, 65535) : -1;
        if (strcmp(argv[i], "--port") == 0 && n >= 0) {
            o.port = (int)n;
        } else if (strcmp(argv[i], "--tick") == 0 && n >= 0) {
            ticker.seconds = n;
        } else if (strcmp(argv[i], "--client") == 0 && value) {
            client_file = value;
        } else {
            bool help = strcmp(argv[i], "--help") == 0;
            fprintf(help ? stdout : stderr,
                    "usage: chat_server [--port N] [--tick SECONDS] [--client FILE]\n"
                    "defaults: --port 3000 --tick 5 (0: no tick) --client " CLIENT_FILE "\n");
            return help ? 0 : 2;
        }
    }
    client.data = read_file(client_file, &client.len);
    if (!client.data)
        fprintf(stderr, "warning: cannot read the socket.io client %s: %s will answer 404 (see --client)\n",
                client_file, CLIENT_URL);

    o.http_handler = on_http;
    server = sio_server_new(&o);
    if (!server)
        return 1;
    sio_namespace *chat = sio_of(server, "/");
    sio_use(chat, refuse_banned, NULL);
    sio_on_connection(chat, on_connection, NULL);
    sio_on_disconnect(chat, on_disconnect, NULL);
    sio_on(chat, "join", on_join_leave, NULL);
    sio_on(chat, "leave", on_join_leave, NULL);
    sio_on(chat, "nick", on_nick, NULL);
    sio_on(chat, "say", on_say, NULL);

    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    pthread_condattr_t ca; /* timed waits on the monotonic clock */
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ticker.cond, &ca);
    pthread_t worker;
    bool ticking = ticker.seconds > 0 && pthread_create(&worker, NULL, tick_thread, NULL) == 0;

    fprintf(stderr, "chat_server listening on port %d\n", sio_server_port(server));
    int rc = sio_server_run(server); /* until SIGINT or SIGTERM */
    if (ticking) {                   /* stop the worker before freeing the server */
        pthread_mutex_lock(&ticker.lock);
        ticker.stop = true;
        pthread_cond_signal(&ticker.cond);
        pthread_mutex_unlock(&ticker.lock);
        pthread_join(worker, NULL);
    }
    sio_server_free(server);
    pthread_cond_destroy(&ticker.cond);
    free(client.data);
    return rc;
}
