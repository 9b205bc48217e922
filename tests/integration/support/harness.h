/* Integration test harness: run a server program as a child process and talk
 * to it over real sockets on 127.0.0.1.
 *
 *   test_server srv;
 *   const char *args[] = {"--ping-interval", "300", NULL};
 *   if (server_start(&srv, "eio-echo", args) != 0) ...   // srv.port, srv.base
 *   ...
 *   int rc = server_stop(&srv, 5000);    // 0: exited with status 0 in time
 *
 * Every wait has a deadline; nothing here sleeps for a fixed time. The
 * binaries are looked up in $SIO_BUILD_DIR (default "build", relative to the
 * current directory: run the tests from the repository root).
 *
 * HTTP goes through libcurl; http_global_init() is called by server_start(). */
#ifndef SIO_TEST_HARNESS_H
#define SIO_TEST_HARNESS_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- clock ------------------------------------------------------------------ */

/* Monotonic milliseconds. */
int64_t now_ms(void);

/* How much later than its due time a timer of a server under test may fire:
 * 1 normally, 4 when the programs run under a sanitizer (ASAN_OPTIONS,
 * UBSAN_OPTIONS or TSAN_OPTIONS set, as make asan/asan-clang/tsan do), which
 * slows them down. Upper bounds of timings are scaled by it; lower bounds
 * (nothing early) never are. */
int timing_slack(void);

/* --- the server child process ---------------------------------------------- */

typedef struct test_server {
    pid_t pid;
    int pidfd;     /* pidfd_open(pid), or -1 when unavailable */
    int err_fd;    /* read end of the child's stderr (and stdout) */
    int port;
    char base[64]; /* "http://127.0.0.1:PORT" */
    bool exited;
    int status;    /* waitpid status once exited */
    /* The child's output, drained by a thread so the child never blocks on a
     * full pipe. Capped (the tail is kept). */
    pthread_t drain;
    bool drain_running;
    pthread_mutex_t lock;
    char *log;
    size_t log_len;
} test_server;

/* Starts $SIO_BUILD_DIR/<prog> --port 0 <args...> (args NULL-terminated, may
 * be NULL) and waits (10 s deadline, poll()) for "listening on port N" on its
 * stderr. Returns 0, or -1 (with the reason and the output on stderr). */
int server_start(test_server *s, const char *prog, const char *const args[]);

/* SIGTERM, then waits up to deadline_ms for the exit (pidfd + poll). Returns
 * 0 when the child exited with status 0 in time; -1 otherwise (the child is
 * then SIGKILLed and reaped). Frees everything; safe to call twice. */
int server_stop(test_server *s, int deadline_ms);

/* True while the child has not exited (reaps it if it has). */
bool server_alive(test_server *s);

/* The child's resident set size (VmRSS) in kB, or -1. */
long server_rss_kb(const test_server *s);

/* A copy of the child's output so far (malloc'd, NUL-terminated). */
char *server_log(test_server *s);

/* --- HTTP through libcurl --------------------------------------------------- */

/* Default deadline of one request, in ms. */
#define HTTP_TIMEOUT_MS 5000

void http_global_init(void);

/* One request on a fresh connection. method "GET", "POST", "OPTIONS", ...;
 * body may be NULL; headers is a NULL-terminated array of "Name: value" (may be
 * NULL). On return *status is the HTTP status (0 when no response),
 * *response_body (if not NULL) a malloc'd NUL-terminated body,
 * *response_headers (if not NULL) the malloc'd raw header block. Returns the
 * CURLcode (0 = CURLE_OK). */
int http_request(const char *method, const char *url, const void *body, size_t len,
                 const char *const headers[], long *status, char **response_body,
                 char **response_headers);

/* A response with its length (binary-safe). */
typedef struct http_response {
    long status;
    char *body;   /* NUL-terminated, malloc'd */
    size_t len;
    char *headers; /* raw header block, malloc'd */
    long connects; /* new connections this request opened (0: reused) */
} http_response;

/* The same on a caller-owned easy handle (keep-alive: requests on one handle
 * reuse its connection), with a per-request timeout (<= 0: HTTP_TIMEOUT_MS). */
int http_request_on(CURL *h, const char *method, const char *url, const void *body, size_t len,
                    const char *const headers[], int timeout_ms, http_response *r);
void http_response_free(http_response *r);

/* Value of header `name` (case-insensitive) in a raw header block, malloc'd,
 * or NULL. The last occurrence wins (after redirects or 100-continue). */
char *http_header_get(const char *headers, const char *name);

/* The Engine.IO URL of a server: base + "/engine.io/?" + query (malloc'd). */
char *eio_url(const test_server *s, const char *query);

/* Opens a polling session: GET ?EIO=4&transport=polling. Returns the sid
 * (malloc'd) or NULL; *open_body (if not NULL) receives the whole response
 * body (malloc'd). */
char *eio_open_polling(const test_server *s, char **open_body);

/* A polling GET / POST on a session, fresh connection each. */
int eio_poll_get(const test_server *s, const char *sid, http_response *r, int timeout_ms);
int eio_poll_post(const test_server *s, const char *sid, const void *body, size_t len,
                  http_response *r);

/* Extracts the string value of "key" from a flat JSON object (no escapes).
 * malloc'd, or NULL. */
char *json_str(const char *json, const char *key);
/* The integer value of "key", or `def` when absent. */
long json_long(const char *json, const char *key, long def);

/* --- an HTTP request in flight (curl multi) --------------------------------- */

/* A request that stays outstanding (a held polling GET) while the test does
 * other things; its outcome is checked later with a deadline. */
typedef struct async_req {
    CURLM *multi;
    CURL *easy;
    struct curl_slist *hdrs;
    char *body_out;
    size_t body_out_len, body_sent;
    char *buf;
    size_t len, cap;
    char *hbuf;
    size_t hlen, hcap;
    bool sent; /* the request went out completely */
    bool done;
    CURLcode result;
    long status;
    int64_t started, finished; /* now_ms() */
} async_req;

/* Starts a request and drives it until it has been sent (up to timeout_ms)
 * so the server has it before the caller goes on. Returns 0 or -1. */
int async_start(async_req *a, const char *method, const char *url, const void *body, size_t len,
                const char *const headers[], int timeout_ms);
/* A held GET: async_start("GET", url, ...). */
int held_get_start(async_req *a, const char *url, int timeout_ms);
/* Makes progress without blocking; true when finished. */
bool async_poll(async_req *a);
/* Waits up to timeout_ms for it to finish; true when finished. */
bool async_wait(async_req *a, int timeout_ms);
/* The body so far (NUL-terminated, never NULL). */
const char *async_body(const async_req *a);
/* Aborts (closes the connection if still open) and frees. Safe twice. */
void async_free(async_req *a);

#endif
