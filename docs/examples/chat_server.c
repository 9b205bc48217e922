/* chat_server: a room chat on libsio, the example of docs/guide.md.
 *
 *   chat_server [--port N] [--tick SECONDS]      (defaults: 3000, 5; 0: no tick)
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
 * seconds, through sio_post_emit. GET / is a small browser page to try it.
 * Connections and disconnections (with their reason) are logged on stderr. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sio.h"

#define MAX_ROOM 64   /* characters of a room name */
#define MAX_NICK 32   /* characters of a nick */
#define MAX_ROOMS 16  /* rooms a socket may be in, besides its own */
#define MAX_TEXT 2000 /* bytes of a message's text (as JSON, less the quotes) */

static sio_server *server;

/* --- reading JSON -------------------------------------------------------------
 * sio.h gives each argument as JSON text, already validated (strict, UTF-8),
 * but has no accessor for the members of an object: these few lines find
 * one. They rely on the text being valid, which libsio guarantees. */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    return p;
}

/* The end of the JSON value that starts at p. */
static const char *value_end(const char *p, const char *end)
{
    int depth = 0;
    do {
        if (*p == '"') {
            while (*++p != '"')
                if (*p == '\\')
                    p++;
        } else if (*p == '{' || *p == '[') {
            depth++;
        } else if (*p == '}' || *p == ']') {
            depth--;
        } else if (depth == 0) { /* a number or a literal */
            while (p + 1 < end && !strchr(",}] \t\r\n", p[1]))
                p++;
        }
        p++;
    } while (depth > 0 && p < end);
    return p;
}

/* The JSON text of member `key` of the object obj[0..len), or NULL. A key
 * written with escapes is not recognised (JSON.stringify writes none). */
static const char *member(const char *obj, size_t len, const char *key, size_t *vlen)
{
    const char *end = obj + len, *p = skip_ws(obj, end);
    if (p >= end || *p != '{')
        return NULL;
    for (p++;;) {
        p = skip_ws(p, end);
        if (p >= end || *p != '"')
            return NULL; /* the closing '}': no such member */
        const char *k = p + 1;
        p = value_end(p, end);
        bool match = (size_t)(p - 1 - k) == strlen(key) && memcmp(k, key, strlen(key)) == 0;
        const char *v = skip_ws(skip_ws(p, end) + 1, end); /* past ':' */
        p = value_end(v, end);
        if (match) {
            *vlen = (size_t)(p - v);
            return v;
        }
        p = skip_ws(p, end) + 1; /* past ',' */
    }
}

/* Decodes the JSON string s[0..n) (quotes included) into out[cap] as a C
 * string. Returns false if it does not fit: out must have 4 bytes to spare. */
static bool unquote(const char *s, size_t n, char *out, size_t cap)
{
    static const unsigned char lead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    const char *p = s + 1, *end = s + n - 1;
    size_t o = 0;
    for (; p < end && o + 4 < cap; p++) {
        unsigned long c = (unsigned char)*p, lo = 0;
        const char *e = c == '\\' ? strchr("b\bf\fn\nr\rt\t", *++p) : NULL;
        if (c != '\\' || *p != 'u') { /* a byte of UTF-8 text, or a one-letter escape */
            out[o++] = (char)(c != '\\' ? c : e ? (unsigned char)e[1] : (unsigned char)*p);
            continue;
        }
        sscanf(p + 1, "%4lx", &c); /* \uXXXX, maybe a surrogate pair */
        p += 4;
        if (c >= 0xD800 && c < 0xDC00 && p[1] == '\\' && p[2] == 'u' && sscanf(p + 3, "%4lx", &lo) == 1 &&
            lo >= 0xDC00 && lo < 0xE000) {
            c = 0x10000 + ((c - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        }
        int k = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; /* as UTF-8 */
        for (int i = k - 1; i > 0; i--, c >>= 6)
            out[o + (size_t)i] = (char)(0x80 | (c & 0x3F));
        out[o] = (char)(lead[k] | c);
        o += (size_t)k;
    }
    out[o] = 0;
    return p >= end;
}

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

/* Answers the client's ack if it asked for one. `why` is one of this file's
 * messages or sio_strerror's: plain text that needs no JSON escaping. */
static void reply(sio_ack *ack, const char *why)
{
    char json[160];
    if (!ack)
        return;
    if (why)
        snprintf(json, sizeof(json), "[{\"ok\":false,\"error\":\"%s\"}]", why);
    else
        snprintf(json, sizeof(json), "[{\"ok\":true}]");
    sio_ack_send(ack, json, NULL, 0);
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

/* The socket's data is its name as a JSON string, ready for `said`. */
static void on_nick(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    char *nick = sio_arg_string(args, 0);
    const char *why = !nick ? "nick must be a string"
                      : !good_text(nick, MAX_NICK) ? "nick must be 1 to 32 characters, no control characters"
                                                   : NULL;
    size_t len = 0;
    const char *json = sio_arg_json(args, 0, &len); /* as the client wrote it: valid JSON */
    char *from = why ? NULL : malloc(len + 1);
    if (from) {
        memcpy(from, json, len);
        from[len] = 0;
        free(sio_socket_data(s));
        sio_socket_set_data(s, from);
        fprintf(stderr, "%s is now %s\n", sio_socket_id(s), nick);
    } else if (!why) {
        why = sio_strerror(SIO_ENOMEM);
    }
    reply(ack, why);
    free(nick);
}

static void on_say(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user)
{
    size_t len = 0, rlen = 0, tlen = 0;
    const char *obj = sio_arg_type(args, 0) == SIO_T_OBJECT ? sio_arg_json(args, 0, &len) : NULL;
    const char *rjson = obj ? member(obj, len, "room", &rlen) : NULL;
    const char *text = obj ? member(obj, len, "text", &tlen) : NULL;
    char room[4 * MAX_ROOM + 4]; /* 64 characters of up to 4 bytes; unquote wants 4 spare */
    const char *why = NULL;
    if (!rjson || *rjson != '"' || !text || *text != '"')
        why = "expected {room, text}, two strings";
    else if (!unquote(rjson, rlen, room, sizeof(room)) || room_problem(room) || !sio_in_room(s, room))
        why = "not in that room";
    else if (tlen <= 2 || tlen > MAX_TEXT + 2)
        why = "text must be 1 to 2000 bytes";
    if (!why) {
        /* Room and text as the client wrote them, and the name: all JSON already. */
        const char *from = sio_socket_data(s);
        size_t cap = rlen + tlen + strlen(from) + 40;
        char *json = malloc(cap);
        const char *rooms[] = {room};
        sio_target to = {.rooms = rooms, .n_rooms = 1}; /* .exclude = s: all but the sender */
        int n = SIO_ENOMEM;
        if (json) {
            snprintf(json, cap, "[{\"room\":%.*s,\"from\":%s,\"text\":%.*s}]", (int)rlen, rjson, from,
                     (int)tlen, text);
            n = sio_broadcast(sio_socket_namespace(s), &to, "said", json, NULL, 0);
        }
        why = n < 0 ? sio_strerror(n) : NULL;
        free(json);
    }
    reply(ack, why);
}

/* --- connections ------------------------------------------------------------------ */

static bool refuse_banned(sio_socket *s, const char **message, const char **data_json, void *user)
{
    const char *auth = sio_socket_auth(s); /* a JSON object, "{}" when none */
    size_t len;
    const char *banned = member(auth, strlen(auth), "banned", &len);
    if (!banned || len != 4 || memcmp(banned, "true", 4) != 0)
        return true;
    fprintf(stderr, "refused %s: banned\n", sio_socket_id(s));
    *message = "banned";
    return false;
}

static void on_connection(sio_socket *s, void *user)
{
    const char *id = sio_socket_id(s);
    char *from = malloc(strlen(id) + 3); /* the name until `nick`: the id, quoted */
    if (!from) {
        sio_disconnect(s, true);
        return;
    }
    snprintf(from, strlen(id) + 3, "\"%s\"", id);
    sio_socket_set_data(s, from);
    fprintf(stderr, "connect %s (%zu connected)\n", id, sio_namespace_socket_count(sio_socket_namespace(s)));
}

static void on_disconnect(sio_socket *s, const char *reason, void *user)
{
    fprintf(stderr, "disconnect %s (%s)\n", sio_socket_id(s), reason);
    free(sio_socket_data(s));
    sio_socket_set_data(s, NULL);
}

/* GET /: a page that loads the socket.io client and chats in the room "lobby". */
static const char page[] =
    "<!doctype html><meta charset=utf-8><title>chat</title><pre id=log></pre>\n"
    "<form id=f><input id=t autofocus placeholder=say...></form>\n"
    "<script src=\"https://cdn.socket.io/4.8.1/socket.io.min.js\"></script><script>\n"
    "const socket = io(), show = (...a) => log.append(a.map(x => JSON.stringify(x)).join(' ') + '\\n');\n"
    "socket.onAny(show);\n"
    "socket.on('connect', () => socket.emit('join', 'lobby', show));\n"
    "f.onsubmit = (e) => { e.preventDefault(); socket.emit('say', {room: 'lobby', text: t.value}, show);"
    " t.value = ''; };\n</script>\n";

static bool on_http(const sio_http_request *req, sio_http_response *res, void *user)
{
    bool get = strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0; /* HEAD: no body sent */
    if (!get || strcmp(req->path, "/") != 0)
        return false; /* 404 */
    return sio_http_reply(res, 200, "text/html; charset=utf-8", page, sizeof(page) - 1) == SIO_OK;
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
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    pthread_mutex_lock(&ticker.lock);
    for (unsigned long seq = 1;; seq++) {
        next.tv_sec += ticker.seconds;
        /* Until the next tick or a stop: a timed wait, not a sleep. */
        int rc = 0;
        while (!ticker.stop && rc != ETIMEDOUT)
            rc = pthread_cond_timedwait(&ticker.cond, &ticker.lock, &next);
        if (ticker.stop)
            break;
        char when[32], json[96];
        time_t now = time(NULL);
        struct tm tm;
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        snprintf(json, sizeof(json), "[{\"time\":\"%s\",\"seq\":%lu}]", when, seq);
        const char *rooms[] = {"clock"};
        sio_post_emit(server, "/", NULL, rooms, 1, "tick", json); /* SIO_ESTATE once stopping */
    }
    pthread_mutex_unlock(&ticker.lock);
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
    sio_options o;
    sio_options_init(&o);
    for (int i = 1; i < argc; i++) {
        long n = i + 1 < argc ? number(argv[i + 1], 65535) : -1;
        if (strcmp(argv[i], "--port") == 0 && n >= 0) {
            o.port = (int)n;
            i++;
        } else if (strcmp(argv[i], "--tick") == 0 && n >= 0) {
            ticker.seconds = n;
            i++;
        } else {
            bool help = strcmp(argv[i], "--help") == 0;
            fprintf(help ? stdout : stderr, "usage: chat_server [--port N] [--tick SECONDS]\n");
            return help ? 0 : 2;
        }
    }
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
    return rc;
}
