/* Integration test harness. See harness.h. */
#include "harness.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define START_DEADLINE_MS 10000
#define LOG_CAP (256 * 1024)

int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int timing_slack(void)
{
    return getenv("ASAN_OPTIONS") || getenv("UBSAN_OPTIONS") || getenv("TSAN_OPTIONS") ? 4 : 1;
}

static int remaining(int64_t deadline)
{
    int64_t r = deadline - now_ms();
    return r < 0 ? 0 : r > INT_MAX ? INT_MAX : (int)r;
}

/* --- growable buffers ------------------------------------------------------- */

static int grow_append(char **d, size_t *len, size_t *cap, const void *p, size_t n)
{
    if (*len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *len + n + 1)
            c *= 2;
        char *nd = realloc(*d, c);
        if (!nd)
            return -1;
        *d = nd;
        *cap = c;
    }
    memcpy(*d + *len, p, n);
    *len += n;
    (*d)[*len] = 0;
    return 0;
}

/* --- the server child ------------------------------------------------------- */

static void log_append(test_server *s, const char *p, size_t n)
{
    pthread_mutex_lock(&s->lock);
    char *nl = realloc(s->log, s->log_len + n + 1);
    if (nl) {
        s->log = nl;
        memcpy(s->log + s->log_len, p, n);
        s->log_len += n;
        s->log[s->log_len] = 0;
        if (s->log_len > LOG_CAP) { /* keep the tail */
            size_t drop = s->log_len - LOG_CAP / 2;
            memmove(s->log, s->log + drop, s->log_len - drop + 1);
            s->log_len -= drop;
        }
    }
    pthread_mutex_unlock(&s->lock);
}

static void *drain_main(void *arg)
{
    test_server *s = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = read(s->err_fd, buf, sizeof(buf));
        if (n > 0) {
            log_append(s, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        break; /* EOF: the child closed its stderr (exited) */
    }
    return NULL;
}

char *server_log(test_server *s)
{
    pthread_mutex_lock(&s->lock);
    char *c = strdup(s->log ? s->log : "");
    pthread_mutex_unlock(&s->lock);
    return c;
}

static void dump_log(test_server *s, const char *why)
{
    char *l = server_log(s);
    fprintf(stderr, "harness: %s; server output:\n%s\n", why, l ? l : "");
    free(l);
}

/* Parses "listening on port N" followed by a non-digit. */
static int find_port(const char *log)
{
    const char *p = strstr(log, "listening on port ");
    if (!p)
        return -1;
    p += strlen("listening on port ");
    char *end;
    long n = strtol(p, &end, 10);
    if (end == p || !*end || n <= 0 || n > 65535)
        return -1; /* incomplete yet */
    return (int)n;
}

static bool reap(test_server *s, int flags)
{
    if (s->exited)
        return true;
    int st;
    pid_t r = waitpid(s->pid, &st, flags);
    if (r == s->pid) {
        s->exited = true;
        s->status = st;
        return true;
    }
    return false;
}

bool server_alive(test_server *s)
{
    return s->pid > 0 && !reap(s, WNOHANG);
}

int server_start(test_server *s, const char *prog, const char *const args[])
{
    memset(s, 0, sizeof(*s));
    s->pidfd = -1;
    s->err_fd = -1;
    pthread_mutex_init(&s->lock, NULL);
    http_global_init();

    const char *dir = getenv("SIO_BUILD_DIR");
    if (!dir || !*dir)
        dir = "build";
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, prog);
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "harness: %s is not an executable (build it first)\n", path);
        return -1;
    }
    size_t nargs = 0;
    while (args && args[nargs])
        nargs++;
    const char **argv = calloc(nargs + 4, sizeof(*argv));
    if (!argv)
        return -1;
    argv[0] = path;
    argv[1] = "--port";
    argv[2] = "0";
    for (size_t i = 0; i < nargs; i++)
        argv[3 + i] = args[i];

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        free(argv);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        free(argv);
        return -1;
    }
    if (pid == 0) {
        /* The server dies with the test program. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, 0);
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        signal(SIGPIPE, SIG_DFL);
        execv(path, (char *const *)argv);
        fprintf(stderr, "exec %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    free(argv);
    close(fds[1]);
    s->pid = pid;
    s->err_fd = fds[0];
    s->pidfd = pidfd_open(pid, 0);

    /* Read its output until the port shows, with a deadline. */
    int64_t deadline = now_ms() + START_DEADLINE_MS;
    for (;;) {
        char *l = server_log(s);
        int port = l ? find_port(l) : -1;
        free(l);
        if (port > 0) {
            s->port = port;
            break;
        }
        int left = remaining(deadline);
        if (left == 0) {
            dump_log(s, "the server did not report its port in time");
            server_stop(s, 1000);
            return -1;
        }
        struct pollfd pfd = {.fd = s->err_fd, .events = POLLIN};
        int r = poll(&pfd, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        char buf[1024];
        ssize_t n = read(s->err_fd, buf, sizeof(buf));
        if (n > 0) {
            log_append(s, buf, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        dump_log(s, "the server exited before listening");
        server_stop(s, 1000);
        return -1;
    }
    snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
    if (pthread_create(&s->drain, NULL, drain_main, s) == 0)
        s->drain_running = true;
    return 0;
}

/* Waits for the child to exit until the deadline. */
static bool wait_exit(test_server *s, int64_t deadline)
{
    for (;;) {
        if (reap(s, WNOHANG))
            return true;
        int left = remaining(deadline);
        if (left == 0)
            return false;
        if (s->pidfd >= 0) {
            struct pollfd pfd = {.fd = s->pidfd, .events = POLLIN};
            poll(&pfd, 1, left);
        } else {
            /* No pidfd: check again shortly, still bound by the deadline. */
            poll(NULL, 0, left < 10 ? left : 10);
        }
    }
}

int server_stop(test_server *s, int deadline_ms)
{
    if (s->pid <= 0)
        return -1;
    int rc = 0;
    if (!s->exited) {
        kill(s->pid, SIGTERM);
        if (!wait_exit(s, now_ms() + deadline_ms)) {
            fprintf(stderr, "harness: the server did not exit within %d ms of SIGTERM\n", deadline_ms);
            rc = -1;
            kill(s->pid, SIGKILL);
            wait_exit(s, now_ms() + 5000);
        }
    }
    if (s->exited) {
        if (WIFEXITED(s->status) && WEXITSTATUS(s->status) == 0) {
            /* fine */
        } else {
            if (WIFSIGNALED(s->status))
                fprintf(stderr, "harness: the server was killed by signal %d\n", WTERMSIG(s->status));
            else
                fprintf(stderr, "harness: the server exited with status %d\n", WEXITSTATUS(s->status));
            rc = -1;
        }
    } else {
        rc = -1;
    }
    if (s->drain_running) {
        pthread_join(s->drain, NULL);
        s->drain_running = false;
    }
    if (rc != 0)
        dump_log(s, "server stop failed");
    if (s->err_fd >= 0)
        close(s->err_fd);
    if (s->pidfd >= 0)
        close(s->pidfd);
    s->err_fd = s->pidfd = -1;
    s->pid = 0;
    free(s->log);
    s->log = NULL;
    s->log_len = 0;
    return rc;
}

long server_rss_kb(const test_server *s)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)s->pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    long kb = -1;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* --- HTTP ---------------------------------------------------------------------- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }
void http_global_init(void) { pthread_once(&curl_once, curl_init_once); }

typedef struct sink {
    char *d;
    size_t len, cap;
} sink;

static size_t sink_write(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    return grow_append(&s->d, &s->len, &s->cap, p, size * n) ? 0 : size * n;
}

static struct curl_slist *make_headers(const char *const headers[])
{
    struct curl_slist *l = NULL;
    for (size_t i = 0; headers && headers[i]; i++)
        l = curl_slist_append(l, headers[i]);
    /* No "Expect: 100-continue" dance on bigger bodies. */
    l = curl_slist_append(l, "Expect:");
    return l;
}

static void set_request(CURL *h, const char *method, const char *url, const void *body, size_t len,
                        struct curl_slist *hdrs, int timeout_ms)
{
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout_ms > 0 ? timeout_ms : HTTP_TIMEOUT_MS));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (strcmp(method, "GET") == 0 && !body) {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (body || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    }
}

int http_request_on(CURL *h, const char *method, const char *url, const void *body, size_t len,
                    const char *const headers[], int timeout_ms, http_response *r)
{
    memset(r, 0, sizeof(*r));
    curl_easy_reset(h); /* keeps the connection cache: keep-alive still works */
    struct curl_slist *hdrs = make_headers(headers);
    sink b = {0}, hd = {0};
    set_request(h, method, url, body, len, hdrs, timeout_ms);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &hd);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_slist_free_all(hdrs);
    r->body = b.d ? b.d : strdup("");
    r->len = b.len;
    r->headers = hd.d ? hd.d : strdup("");
    return (int)rc;
}

void http_response_free(http_response *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof(*r));
}

int http_request(const char *method, const char *url, const void *body, size_t len,
                 const char *const headers[], long *status, char **response_body,
                 char **response_headers)
{
    http_global_init();
    CURL *h = curl_easy_init();
    if (!h)
        return CURLE_FAILED_INIT;
    http_response r;
    int rc = http_request_on(h, method, url, body, len, headers, 0, &r);
    curl_easy_cleanup(h);
    if (status)
        *status = r.status;
    if (response_body) {
        *response_body = r.body;
        r.body = NULL;
    }
    if (response_headers) {
        *response_headers = r.headers;
        r.headers = NULL;
    }
    http_response_free(&r);
    return rc;
}

char *http_header_get(const char *headers, const char *name)
{
    size_t n = strlen(name);
    char *found = NULL;
    for (const char *line = headers; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t ll = eol ? (size_t)(eol - line) : strlen(line);
        if (ll > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            const char *e = line + ll;
            while (v < e && (*v == ' ' || *v == '\t'))
                v++;
            while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
                e--;
            free(found);
            found = strndup(v, (size_t)(e - v));
        }
        line = eol ? eol + 1 : NULL;
    }
    return found;
}

char *eio_url(const test_server *s, const char *query)
{
    size_t n = strlen(s->base) + strlen(query) + 16;
    char *u = malloc(n);
    if (u)
        snprintf(u, n, "%s/engine.io/?%s", s->base, query);
    return u;
}

char *json_str(const char *json, const char *key)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\"%s\":\"", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return NULL;
    p += strlen(pat);
    const char *e = strchr(p, '"');
    return e ? strndup(p, (size_t)(e - p)) : NULL;
}

long json_long(const char *json, const char *key, long def)
{
    char pat[128];
    snprintf(pat, sizeof(pat), "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    if (!p)
        return def;
    p += strlen(pat);
    char *end;
    long v = strtol(p, &end, 10);
    return end == p ? def : v;
}

char *eio_open_polling(const test_server *s, char **open_body)
{
    char *url = eio_url(s, "EIO=4&transport=polling");
    long status = 0;
    char *body = NULL;
    int rc = http_request("GET", url, NULL, 0, NULL, &status, &body, NULL);
    free(url);
    char *sid = NULL;
    if (rc == 0 && status == 200 && body && body[0] == '0')
        sid = json_str(body + 1, "sid");
    if (open_body)
        *open_body = body;
    else
        free(body);
    return sid;
}

static char *sid_url(const test_server *s, const char *sid)
{
    char q[256];
    snprintf(q, sizeof(q), "EIO=4&transport=polling&sid=%s", sid);
    return eio_url(s, q);
}

int eio_poll_get(const test_server *s, const char *sid, http_response *r, int timeout_ms)
{
    CURL *h = curl_easy_init();
    char *url = sid_url(s, sid);
    int rc = http_request_on(h, "GET", url, NULL, 0, NULL, timeout_ms, r);
    free(url);
    curl_easy_cleanup(h);
    return rc;
}

int eio_poll_post(const test_server *s, const char *sid, const void *body, size_t len,
                  http_response *r)
{
    static const char *const ct[] = {"Content-Type: text/plain;charset=UTF-8", NULL};
    CURL *h = curl_easy_init();
    char *url = sid_url(s, sid);
    int rc = http_request_on(h, "POST", url, body, len, ct, 0, r);
    free(url);
    curl_easy_cleanup(h);
    return rc;
}

/* --- requests in flight ------------------------------------------------------ */

static size_t async_write(char *p, size_t size, size_t n, void *ud)
{
    async_req *a = ud;
    return grow_append(&a->buf, &a->len, &a->cap, p, size * n) ? 0 : size * n;
}

static size_t async_header(char *p, size_t size, size_t n, void *ud)
{
    async_req *a = ud;
    return grow_append(&a->hbuf, &a->hlen, &a->hcap, p, size * n) ? 0 : size * n;
}

/* Tells when the request has gone out: headers, then the whole body. */
static int async_debug(CURL *h, curl_infotype type, char *data, size_t size, void *ud)
{
    async_req *a = ud;
    if (type == CURLINFO_DATA_OUT)
        a->body_sent += size;
    if ((type == CURLINFO_HEADER_OUT && a->body_out_len == 0) ||
        (type == CURLINFO_DATA_OUT && a->body_sent >= a->body_out_len))
        a->sent = true;
    return 0;
}

static void async_check(async_req *a)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(a->multi, &left))) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == a->easy) {
            a->done = true;
            a->sent = true;
            a->result = m->data.result;
            a->finished = now_ms();
            curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &a->status);
        }
    }
}

bool async_poll(async_req *a)
{
    if (!a->multi || a->done)
        return a->done;
    int running;
    curl_multi_perform(a->multi, &running);
    async_check(a);
    return a->done;
}

bool async_wait(async_req *a, int timeout_ms)
{
    int64_t deadline = now_ms() + timeout_ms;
    while (!async_poll(a)) {
        int left = remaining(deadline);
        if (left == 0 || !a->multi)
            return false;
        curl_multi_poll(a->multi, NULL, 0, left < 100 ? left : 100, NULL);
    }
    return true;
}

int async_start(async_req *a, const char *method, const char *url, const void *body, size_t len,
                const char *const headers[], int timeout_ms)
{
    http_global_init();
    memset(a, 0, sizeof(*a));
    a->multi = curl_multi_init();
    a->easy = curl_easy_init();
    if (!a->multi || !a->easy) {
        async_free(a);
        return -1;
    }
    if (body) {
        a->body_out = malloc(len + 1);
        memcpy(a->body_out, body, len);
        a->body_out_len = len;
    }
    a->hdrs = make_headers(headers);
    set_request(a->easy, method, url, a->body_out, len, a->hdrs, timeout_ms > 0 ? timeout_ms : 30000);
    curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, async_write);
    curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(a->easy, CURLOPT_HEADERFUNCTION, async_header);
    curl_easy_setopt(a->easy, CURLOPT_HEADERDATA, a);
    curl_easy_setopt(a->easy, CURLOPT_DEBUGFUNCTION, async_debug);
    curl_easy_setopt(a->easy, CURLOPT_DEBUGDATA, a);
    curl_easy_setopt(a->easy, CURLOPT_VERBOSE, 1L);
    /* One connection of its own, never shared with another request. */
    curl_easy_setopt(a->easy, CURLOPT_FORBID_REUSE, 1L);
    curl_multi_add_handle(a->multi, a->easy);
    a->started = now_ms();
    int64_t deadline = now_ms() + 5000;
    while (!a->sent && !a->done) {
        async_poll(a);
        if (a->sent || a->done)
            break;
        int left = remaining(deadline);
        if (left == 0)
            return -1;
        curl_multi_poll(a->multi, NULL, 0, left < 50 ? left : 50, NULL);
    }
    return 0;
}

int held_get_start(async_req *a, const char *url, int timeout_ms)
{
    return async_start(a, "GET", url, NULL, 0, NULL, timeout_ms);
}

const char *async_body(const async_req *a) { return a->buf ? a->buf : ""; }

void async_free(async_req *a)
{
    if (a->multi && a->easy)
        curl_multi_remove_handle(a->multi, a->easy);
    if (a->easy)
        curl_easy_cleanup(a->easy);
    if (a->multi)
        curl_multi_cleanup(a->multi);
    curl_slist_free_all(a->hdrs);
    free(a->body_out);
    free(a->buf);
    free(a->hbuf);
    memset(a, 0, sizeof(*a));
}
