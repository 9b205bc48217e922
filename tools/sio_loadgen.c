/* sio_loadgen: a load generator for Socket.IO v5 / Engine.IO v4 servers.
 *
 * A standalone program with its own epoll loop and its own minimal clients
 * (no libwebsockets, no project headers):
 *   - WebSocket: HTTP/1.1 upgrade (Sec-WebSocket-Accept checked), masked
 *     frames out, fragmented and control frames in, no extensions;
 *   - HTTP/1.1 long-polling (keep-alive, Content-Length or chunked), one
 *     connection for the held GET and one for POSTs, for --polling-share
 *     percent of the clients.
 * It speaks Engine.IO v4 and Socket.IO v5 itself: answers pings, sends the
 * CONNECT (40) and waits for its reply before a client counts as connected.
 *
 * Every payload carries its send time (CLOCK_MONOTONIC ns) as the "t" field
 * of a JSON object; the server echoes arguments unchanged, so latency is
 * measured from the payload: {"t":123,"p":"xxxx"} ("p" is --payload bytes).
 *
 * Phases: connect (ramped at --connect-rate, each handshake bounded by
 * --connect-timeout), then the measured window of --duration seconds, then
 * a final block of "key: value" lines (or one JSON object with --json), and
 * exit. With --server-pid the server's CPU time (utime+stime over the
 * window) and RSS (before connecting, and at the end) are read from /proc.
 *
 * Only loopback addresses (127.0.0.0/8) are accepted as targets. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ------------------------------------------------------------------ basics */

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("sio_loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die("out of memory");
    return q;
}

/* ---------------------------------------------------------------- buffers */

typedef struct buf {
    char *p;
    size_t off, len, cap; /* data is p[off .. off+len) */
} buf;

static void buf_append(buf *b, const void *d, size_t n)
{
    if (b->off + b->len + n > b->cap) {
        if (b->off) {
            memmove(b->p, b->p + b->off, b->len);
            b->off = 0;
        }
        if (b->len + n > b->cap) {
            size_t cap = b->cap ? b->cap : 256;
            while (cap < b->len + n)
                cap *= 2;
            b->p = xrealloc(b->p, cap);
            b->cap = cap;
        }
    }
    memcpy(b->p + b->off + b->len, d, n);
    b->len += n;
}

static void buf_consume(buf *b, size_t n)
{
    b->off += n;
    b->len -= n;
    if (b->len == 0) {
        b->off = 0;
        if (b->cap > 65536) { /* give big buffers back */
            free(b->p);
            b->p = NULL;
            b->cap = 0;
        }
    }
}

static void buf_free(buf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}

/* -------------------------------------------------------------- histogram */

/* Log-linear buckets over nanoseconds: exact below 256, then 128 buckets
 * per power of two (under 0.8% error). */
#define H_N (256 + 56 * 128)
typedef struct hist {
    uint64_t c[H_N];
    uint64_t n, max;
} hist;

static unsigned h_index(uint64_t v)
{
    if (v < 256)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 8..63 */
    uint64_t m = v >> (e - 7);                       /* 128..255 */
    return 256u + (e - 8u) * 128u + (unsigned)(m - 128u);
}

static uint64_t h_value(unsigned i) /* the middle of bucket i */
{
    if (i < 256)
        return i;
    unsigned k = i - 256u, e = k / 128u + 8u;
    uint64_t m = k % 128u + 128u;
    uint64_t lo = m << (e - 7), hi = ((m + 1) << (e - 7)) - 1;
    return lo + (hi - lo) / 2;
}

static void h_add(hist *h, uint64_t v)
{
    h->c[h_index(v)]++;
    h->n++;
    if (v > h->max)
        h->max = v;
}

static uint64_t h_pct(const hist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t want = (uint64_t)ceil(q * (double)h->n), acc = 0;
    if (want < 1)
        want = 1;
    for (unsigned i = 0; i < H_N; i++) {
        acc += h->c[i];
        if (acc >= want) {
            uint64_t v = h_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

/* ------------------------------------------------------- SHA-1 and base64 */

static uint32_t rol32(uint32_t x, unsigned k) { return (x << k) | (x >> (32 - k)); }

static void sha1_block(uint32_t h[5], const uint8_t *b)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)b[4 * i] << 24 | (uint32_t)b[4 * i + 1] << 16 | (uint32_t)b[4 * i + 2] << 8 |
               (uint32_t)b[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], bb = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (bb & c) | (~bb & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = bb ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (bb & c) | (bb & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = bb ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rol32(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol32(bb, 30);
        bb = a;
        a = t;
    }
    h[0] += a;
    h[1] += bb;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

static void sha1(const void *data, size_t len, uint8_t out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    const uint8_t *p = data;
    size_t n = len;
    while (n >= 64) {
        sha1_block(h, p);
        p += 64;
        n -= 64;
    }
    uint8_t blk[128] = {0};
    memcpy(blk, p, n);
    blk[n] = 0x80;
    size_t tot = n + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)len * 8;
    for (int i = 0; i < 8; i++)
        blk[tot - 1 - (size_t)i] = (uint8_t)(bits >> (8 * i));
    sha1_block(h, blk);
    if (tot == 128)
        sha1_block(h, blk + 64);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(h[i] >> 8);
        out[4 * i + 3] = (uint8_t)h[i];
    }
}

static size_t base64(const uint8_t *in, size_t n, char *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = 0;
    return o;
}

/* ------------------------------------------------------------------ state */

enum mode { M_ECHO, M_ACK, M_BROADCAST, M_IDLE, M_CHURN, M_RATE };
static const char *const mode_names[] = {"echo", "ack", "broadcast", "idle", "churn", "rate"};

enum { PH_CONNECT, PH_MEASURE, PH_DONE };

/* Channel (TCP connection) states. */
enum { CS_CLOSED, CS_CONNECTING, CS_OPEN, CS_WS };

/* Client states. */
enum { C_FREE, C_UPGRADE, C_OPEN_WAIT, C_SIO_WAIT, C_READY, C_DEAD };

/* Why a client failed. */
enum { F_CONNECT, F_CLOSE, F_PROTO };

typedef struct chan {
    int fd;
    uint8_t state;
    bool epout;       /* EPOLLOUT registered */
    bool busy;        /* HTTP: a request is waiting for its response */
    uint8_t frag_op;  /* WS: opcode of the fragmented message being assembled, 0: none */
    uint32_t seq;     /* bumped at every close: a reopened channel is a new one */
    buf in, out, frag;
} chan;

typedef struct conn {
    chan ch;         /* the WebSocket, or the polling GET connection */
    chan *post;      /* polling: the POST connection */
    buf pend;        /* polling: packets waiting for the next POST */
    char *sid;       /* polling: the Engine.IO session id */
    uint64_t t_start; /* connect start */
    uint64_t t_sent;  /* last message sent (closed loop) */
    uint32_t gen;     /* bumped at every close: stale epoll events are skipped */
    uint32_t idx;
    uint32_t next_ack;
    uint8_t state;
    bool polling;
    bool inflight; /* closed loop: a message is waiting for its answer */
    bool closing;  /* polling churn: close when the POST of "1" is answered */
    bool was_ready;
} conn;

static struct {
    /* options */
    enum mode mode;
    const char *host;
    int port;
    const char *path;
    const char *nsp;
    unsigned clients;
    double duration;
    size_t payload;
    unsigned polling_share;
    unsigned burst;
    double rate;
    double connect_rate;
    unsigned connect_concurrency;
    double connect_timeout;
    double burst_timeout;
    unsigned source_addrs;
    bool eio;
    bool json;
    bool verbose;
    int server_pid;

    /* runtime */
    int ep;
    struct sockaddr_in dst;
    char hostport[80];
    char nsp_prefix[128]; /* "" or "/custom," */
    char *filler;         /* the "p" string */
    char *tx;             /* scratch for outgoing frames */
    size_t tx_cap;
    char *rx;             /* scratch for recv */
    size_t rx_cap;
    buf body;             /* scratch for chunked bodies */
    conn *conns;
    uint32_t *restart;    /* churn: slots to reconnect */
    size_t nrestart;
    uint32_t bind_rr;

    int phase;
    uint64_t t0, t_connected, t_measure, t_end, t_stop, next_scan, next_connect;
    unsigned started, ready, dead, peak_ready, ready_at_start;

    /* counters (the measured window unless said otherwise) */
    uint64_t sent, events, bursts, bursts_incomplete, handshakes;
    uint64_t connect_failures, closes, protocol_errors; /* whole run */
    unsigned err_printed;
    hist lat, conn_lat, burst_lat;

    /* rate */
    uint64_t next_send, interval, max_lag;
    uint32_t rr;

    /* broadcast */
    uint32_t burst_seq;
    uint64_t burst_t0, burst_expect, burst_recv;
    uint32_t sender;

    /* server */
    long clk_tck;
    double cpu_start, cpu_end;
    double wait_start, wait_end;         /* server: run-queue wait (s) */
    double gen_wait_start, gen_wait_end; /* ours */
    double gen_cpu_start, gen_cpu_end;
    long rss_baseline, rss_end, rss_connected;
} G;

static volatile sig_atomic_t interrupted;

/* ------------------------------------------------------- server from /proc */

static bool proc_cpu(int pid, double *out)
{
    char path[64], line[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(line, 1, sizeof(line) - 1, f);
    fclose(f);
    line[n] = 0;
    char *p = strrchr(line, ')'); /* the command may contain spaces */
    if (!p)
        return false;
    /* fields after ')': 3 state ... 14 utime 15 stime */
    unsigned long ut = 0, st = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " ")) {
        field++;
        if (field == 14)
            ut = strtoul(tok, NULL, 10);
        else if (field == 15) {
            st = strtoul(tok, NULL, 10);
            break;
        }
    }
    if (field != 15)
        return false;
    *out = (double)(ut + st) / (double)G.clk_tck;
    return true;
}

/* Time spent runnable but waiting for a CPU (s), summed over the threads
 * of `pid` (0: this process): how much other load stole from the run. */
static double proc_runq_wait(int pid)
{
    char path[64], tpath[320], line[128];
    snprintf(path, sizeof(path), pid ? "/proc/%d/task" : "/proc/self/task", pid);
    double sum = 0;
    FILE *f;
    DIR *d = opendir(path);
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (strlen(e->d_name) > 32)
            continue;
        snprintf(tpath, sizeof(tpath), "%.64s/%.32s/schedstat", path, e->d_name);
        if (!(f = fopen(tpath, "r")))
            continue;
        unsigned long long run, wait;
        if (fgets(line, sizeof(line), f) && sscanf(line, "%llu %llu", &run, &wait) == 2)
            sum += (double)wait / 1e9;
        fclose(f);
    }
    closedir(d);
    return sum;
}

static double self_cpu(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static long proc_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (!strncmp(line, "VmRSS:", 6)) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

/* ----------------------------------------------------------------- errors */

static void conn_close(conn *c);

static void report(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report(conn *c, const char *fmt, ...)
{
    if (G.err_printed >= 10)
        return;
    if (++G.err_printed == 10) {
        fprintf(stderr, "sio_loadgen: (further errors are only counted)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "sio_loadgen: client %u (%s): ", c->idx, c->polling ? "polling" : "websocket");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void fail(conn *c, int why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(conn *c, int why, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (why == F_PROTO)
        G.protocol_errors++;
    else if (c->state == C_READY)
        G.closes++;
    else
        G.connect_failures++;
    const char *when = c->state == C_READY ? "connected" : "handshake";
    report(c, "%s: %s", when, msg);
    conn_close(c);
}

/* ------------------------------------------------------------ channels/IO */

static uint64_t chan_id(const conn *c, unsigned chno)
{
    return (uint64_t)c->gen << 32 | (uint64_t)c->idx << 1 | chno;
}

static void chan_epoll(conn *c, chan *ch, unsigned chno, bool out)
{
    if (ch->epout == out)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.u64 = chan_id(c, chno)};
    epoll_ctl(G.ep, EPOLL_CTL_MOD, ch->fd, &ev);
    ch->epout = out;
}

static void chan_close(chan *ch)
{
    if (ch->fd >= 0)
        close(ch->fd); /* also leaves the epoll set */
    ch->fd = -1;
    ch->seq++;
    ch->state = CS_CLOSED;
    ch->epout = false;
    ch->busy = false;
    ch->frag_op = 0;
    buf_free(&ch->in);
    buf_free(&ch->out);
    buf_free(&ch->frag);
}

/* Opens the TCP connection of a channel (non-blocking). false: failed, the
 * client is closed. */
static bool chan_open(conn *c, chan *ch, unsigned chno)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fail(c, F_CONNECT, "socket: %s", strerror(errno));
        return false;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (G.source_addrs > 1) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        src.sin_addr.s_addr = htonl(0x7f000001u + (G.bind_rr++ % G.source_addrs));
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
            close(fd);
            fail(c, F_CONNECT, "bind: %s", strerror(errno));
            return false;
        }
    }
    ch->fd = fd;
    ch->state = CS_CONNECTING;
    if (connect(fd, (struct sockaddr *)&G.dst, sizeof(G.dst)) == 0)
        ch->state = CS_OPEN;
    else if (errno != EINPROGRESS) {
        fail(c, F_CONNECT, "connect: %s", strerror(errno));
        return false;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = chan_id(c, chno)};
    if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        fail(c, F_CONNECT, "epoll_ctl: %s", strerror(errno));
        return false;
    }
    ch->epout = true;
    return true;
}

/* Writes what is queued. false: the client was closed. */
static bool chan_flush(conn *c, chan *ch, unsigned chno)
{
    while (ch->out.len) {
        ssize_t w = send(ch->fd, ch->out.p + ch->out.off, ch->out.len, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR)
                break;
            fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "send: %s", strerror(errno));
            return false;
        }
        buf_consume(&ch->out, (size_t)w);
    }
    chan_epoll(c, ch, chno, ch->out.len > 0);
    return true;
}

/* Sends bytes on a channel, queueing what the socket does not take.
 * false: the client was closed. */
static bool chan_send(conn *c, chan *ch, unsigned chno, const void *data, size_t n)
{
    if (ch->state != CS_CONNECTING && ch->out.len == 0) {
        ssize_t w = send(ch->fd, data, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "send: %s", strerror(errno));
                return false;
            }
            w = 0;
        }
        if ((size_t)w == n)
            return true;
        data = (const char *)data + w;
        n -= (size_t)w;
    }
    buf_append(&ch->out, data, n);
    if (ch->state != CS_CONNECTING)
        chan_epoll(c, ch, chno, true);
    return true;
}

/* ------------------------------------------------------------- WebSocket */

#define WS_HDR_MAX 14
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* The client's Sec-WebSocket-Key, derived from its slot and generation. */
static void ws_key(const conn *c, char out[32])
{
    uint8_t raw[16];
    uint64_t a = (uint64_t)c->idx * 0x9E3779B97F4A7C15ull ^ c->gen, b = a * 0xBF58476D1CE4E5B9ull + 7;
    memcpy(raw, &a, 8);
    memcpy(raw + 8, &b, 8);
    base64(raw, 16, out);
}

static void ws_accept_for(const conn *c, char out[40])
{
    char key[32], cat[96];
    uint8_t dig[20];
    ws_key(c, key);
    size_t n = (size_t)snprintf(cat, sizeof(cat), "%s%s", key, ws_guid);
    sha1(cat, n, dig);
    base64(dig, 20, out);
}

/* Frames (masked) the text at G.tx + WS_HDR_MAX, n bytes, and sends it. */
static bool ws_send_tx(conn *c, unsigned op, size_t n)
{
    char *payload = G.tx + WS_HDR_MAX;
    size_t h = n < 126 ? 2 : n < 65536 ? 4 : 10;
    h += 4;
    char *f = payload - h;
    f[0] = (char)(0x80 | op);
    if (n < 126) {
        f[1] = (char)(0x80 | n);
    } else if (n < 65536) {
        f[1] = (char)(0x80 | 126);
        f[2] = (char)(n >> 8);
        f[3] = (char)n;
    } else {
        f[1] = (char)(0x80 | 127);
        for (int i = 0; i < 8; i++)
            f[2 + i] = (char)((uint64_t)n >> (56 - 8 * i));
    }
    uint32_t key32 = (uint32_t)rng();
    uint8_t key[4];
    memcpy(key, &key32, 4);
    memcpy(payload - 4, key, 4);
    uint64_t k64;
    uint8_t kb[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
    memcpy(&k64, kb, 8);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, payload + i, 8);
        w ^= k64;
        memcpy(payload + i, &w, 8);
    }
    for (; i < n; i++)
        payload[i] = (char)(payload[i] ^ key[i & 3]);
    return chan_send(c, &c->ch, 0, f, h + n);
}

/* --------------------------------------------------------------- polling */

static bool post_flush(conn *c)
{
    if (!c->post) {
        c->post = calloc(1, sizeof(*c->post));
        if (!c->post)
            die("out of memory");
        c->post->fd = -1;
    }
    chan *ch = c->post;
    char hdr[512];
    int hn = snprintf(hdr, sizeof(hdr),
                      "POST %s?EIO=4&transport=polling&sid=%s HTTP/1.1\r\nHost: %s\r\n"
                      "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: %zu\r\n\r\n",
                      G.path, c->sid ? c->sid : "", G.hostport, c->pend.len);
    if (ch->fd < 0) {
        buf_append(&ch->out, hdr, (size_t)hn);
        buf_append(&ch->out, c->pend.p + c->pend.off, c->pend.len);
        if (!chan_open(c, ch, 1))
            return false;
    } else {
        uint32_t gen = c->gen;
        if (!chan_send(c, ch, 1, hdr, (size_t)hn) || c->gen != gen)
            return false;
        if (!chan_send(c, ch, 1, c->pend.p + c->pend.off, c->pend.len))
            return false;
    }
    ch->busy = true;
    buf_consume(&c->pend, c->pend.len);
    return true;
}

static bool get_issue(conn *c)
{
    char req[512];
    int n = snprintf(req, sizeof(req),
                     "GET %s?EIO=4&transport=polling%s%s HTTP/1.1\r\nHost: %s\r\nAccept: */*\r\n\r\n",
                     G.path, c->sid ? "&sid=" : "", c->sid ? c->sid : "", G.hostport);
    chan *ch = &c->ch;
    if (ch->fd < 0) {
        buf_append(&ch->out, req, (size_t)n);
        if (!chan_open(c, ch, 0))
            return false;
    } else if (!chan_send(c, ch, 0, req, (size_t)n)) {
        return false;
    }
    ch->busy = true;
    return true;
}

/* ------------------------------------------------------ Engine.IO sending */

/* Sends the Engine.IO packet at G.tx + WS_HDR_MAX (n bytes). */
static bool eio_send_tx(conn *c, size_t n)
{
    if (!c->polling)
        return ws_send_tx(c, 0x1, n);
    if (c->pend.len)
        buf_append(&c->pend, "\x1e", 1);
    buf_append(&c->pend, G.tx + WS_HDR_MAX, n);
    if (c->post && c->post->busy)
        return true; /* goes with the next POST */
    return post_flush(c);
}

static bool eio_send(conn *c, const char *pkt, size_t n)
{
    memcpy(G.tx + WS_HDR_MAX, pkt, n);
    return eio_send_tx(c, n);
}

enum { K_ECHO, K_ACK, K_BCAST };

/* Builds the packet of a message at G.tx + WS_HDR_MAX; returns its length. */
static size_t build_msg(int kind, uint64_t t, uint32_t ack_id, uint32_t burst)
{
    char *d = G.tx + WS_HDR_MAX;
    int n;
    if (G.eio)
        n = sprintf(d, "4{\"t\":%" PRIu64 ",\"p\":\"", t);
    else if (kind == K_ECHO)
        n = sprintf(d, "42%s[\"message\",{\"t\":%" PRIu64 ",\"p\":\"", G.nsp_prefix, t);
    else if (kind == K_ACK)
        n = sprintf(d, "42%s%" PRIu32 "[\"message-with-ack\",{\"t\":%" PRIu64 ",\"p\":\"", G.nsp_prefix,
                    ack_id, t);
    else
        n = sprintf(d, "42%s[\"broadcast\",{\"t\":%" PRIu64 ",\"b\":%" PRIu32 ",\"p\":\"", G.nsp_prefix,
                    t, burst);
    size_t len = (size_t)n;
    memcpy(d + len, G.filler, G.payload);
    len += G.payload;
    memcpy(d + len, G.eio ? "\"}" : "\"}]", G.eio ? 2 : 3);
    len += G.eio ? 2 : 3;
    return len;
}

/* One request of the closed loop (echo/ack/churn) or of the open loop (rate). */
static bool send_request(conn *c, uint64_t t)
{
    int kind = (G.mode == M_ECHO) ? K_ECHO : K_ACK;
    size_t n = build_msg(kind, t, c->next_ack++, 0);
    c->t_sent = t;
    c->inflight = true;
    if (G.phase == PH_MEASURE)
        G.sent++;
    return eio_send_tx(c, n);
}

static void send_burst(uint64_t now)
{
    conn *s = NULL;
    for (unsigned k = 0; k < G.clients; k++) {
        conn *c = &G.conns[(G.sender + k) % G.clients];
        if (c->state == C_READY) {
            s = c;
            G.sender = c->idx;
            break;
        }
    }
    if (!s) {
        G.phase = PH_DONE;
        fprintf(stderr, "sio_loadgen: broadcast: no connected client left to send\n");
        return;
    }
    G.burst_seq++;
    G.burst_t0 = now;
    G.burst_recv = 0;
    G.burst_expect = (uint64_t)G.burst * G.ready;
    uint32_t gen = s->gen;
    for (unsigned k = 0; k < G.burst && s->gen == gen; k++) {
        size_t n = build_msg(K_BCAST, now, 0, G.burst_seq);
        G.sent++;
        if (!eio_send_tx(s, n))
            break;
    }
}

/* ------------------------------------------------------------ the client */

static void conn_close(conn *c)
{
    if (c->state == C_FREE || c->state == C_DEAD)
        return;
    chan_close(&c->ch);
    if (c->post) {
        chan_close(c->post);
        free(c->post);
        c->post = NULL;
    }
    buf_free(&c->pend);
    free(c->sid);
    c->sid = NULL;
    c->gen++;
    if (c->state == C_READY)
        G.ready--;
    c->state = C_DEAD;
    c->inflight = false;
    c->closing = false;
    G.dead++;
    if (G.mode == M_CHURN && G.phase == PH_MEASURE)
        G.restart[G.nrestart++] = c->idx;
}

static void conn_start(conn *c, uint64_t now)
{
    if (c->state == C_DEAD)
        G.dead--;
    c->t_start = now;
    c->inflight = false;
    c->next_ack = 1;
    c->ch.fd = -1;
    c->polling = G.polling_share && (c->idx % 100u) < G.polling_share;
    if (c->polling) {
        c->state = C_OPEN_WAIT;
        get_issue(c);
        return;
    }
    c->state = C_UPGRADE;
    char key[32], req[1024];
    ws_key(c, key);
    int n = snprintf(req, sizeof(req),
                     "GET %s?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                     G.path, G.hostport, key);
    buf_append(&c->ch.out, req, (size_t)n);
    chan_open(c, &c->ch, 0);
}

/* A client finished its handshake (Engine.IO open, and Socket.IO CONNECT). */
static void set_ready(conn *c, uint64_t now)
{
    c->state = C_READY;
    c->was_ready = true;
    G.ready++;
    if (G.ready > G.peak_ready)
        G.peak_ready = G.ready;
    h_add(&G.conn_lat, now - c->t_start);
    if (G.mode == M_CHURN || (G.phase == PH_MEASURE && (G.mode == M_ECHO || G.mode == M_ACK)))
        send_request(c, now);
}

/* Graceful close at the end of a churn cycle. */
static void conn_finish(conn *c)
{
    if (c->polling) {
        c->closing = true;
        eio_send(c, "1", 1);
        return;
    }
    static const char code[2] = {0x03, (char)0xe8}; /* 1000 */
    memcpy(G.tx + WS_HDR_MAX, code, 2);
    ws_send_tx(c, 0x8, 2);
    if (c->state != C_DEAD)
        conn_close(c);
}

/* Parses an unsigned decimal at *p; advances it. */
static bool parse_u64(const char **p, const char *end, uint64_t *out)
{
    const char *q = *p;
    uint64_t v = 0;
    if (q >= end || !isdigit((unsigned char)*q))
        return false;
    while (q < end && isdigit((unsigned char)*q))
        v = v * 10 + (uint64_t)(*q++ - '0');
    *p = q;
    *out = v;
    return true;
}

static bool eat(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n))
        return false;
    *p += n;
    return true;
}

/* An answer carrying a timestamp (message-back, an ack, an Engine.IO echo). */
static void on_answer(conn *c, const char *p, const char *end, uint64_t now)
{
    uint64_t t;
    if (!eat(&p, end, "{\"t\":", 5) || !parse_u64(&p, end, &t) || t > now) {
        fail(c, F_PROTO, "answer without a valid timestamp");
        return;
    }
    if (G.phase == PH_MEASURE && t >= G.t_measure) {
        G.events++;
        h_add(&G.lat, now - t);
    }
    c->inflight = false;
    switch (G.mode) {
    case M_ECHO:
    case M_ACK:
        if (G.phase == PH_MEASURE)
            send_request(c, now);
        break;
    case M_CHURN:
        if (G.phase == PH_MEASURE) {
            G.handshakes++;
            h_add(&G.burst_lat, now - c->t_start); /* the whole cycle */
        }
        conn_finish(c);
        break;
    default:
        break;
    }
}

static void on_broadcast(conn *c, const char *p, const char *end, uint64_t now)
{
    uint64_t t, b;
    if (!eat(&p, end, "{\"t\":", 5) || !parse_u64(&p, end, &t) || !eat(&p, end, ",\"b\":", 5) ||
        !parse_u64(&p, end, &b) || t > now) {
        fail(c, F_PROTO, "broadcast-back without a valid timestamp");
        return;
    }
    if (G.phase != PH_MEASURE)
        return;
    G.events++;
    h_add(&G.lat, now - t);
    if (b == G.burst_seq && ++G.burst_recv >= G.burst_expect) {
        G.bursts++;
        h_add(&G.burst_lat, now - G.burst_t0);
        if (now < G.t_end)
            send_burst(now);
    }
}

static void on_sio_packet(conn *c, const char *p, size_t n, uint64_t now)
{
    const char *end = p + n, *q = p + 1;
    if (n == 0) {
        fail(c, F_PROTO, "empty Socket.IO packet");
        return;
    }
    if (q < end && *q == '/') { /* namespace */
        while (q < end && *q != ',')
            q++;
        if (q < end)
            q++;
    }
    uint64_t id;
    switch (p[0]) {
    case '0':
        if (c->state != C_SIO_WAIT) {
            fail(c, F_PROTO, "unexpected CONNECT");
            return;
        }
        set_ready(c, now);
        return;
    case '1':
        fail(c, F_CLOSE, "server DISCONNECT %.*s", (int)(n > 80 ? 80 : n), p);
        return;
    case '4':
        fail(c, F_CONNECT, "CONNECT_ERROR %.*s", (int)(n > 120 ? 120 : n), p);
        return;
    case '2':
        while (q < end && isdigit((unsigned char)*q))
            q++;
        if (eat(&q, end, "[\"message-back\",", 16)) {
            on_answer(c, q, end, now);
        } else if (eat(&q, end, "[\"broadcast-back\",", 18)) {
            on_broadcast(c, q, end, now);
        } else if (!eat(&q, end, "[\"auth\"", 7)) {
            fail(c, F_PROTO, "unexpected event %.*s", (int)(n > 60 ? 60 : n), p);
        }
        return;
    case '3':
        if (!parse_u64(&q, end, &id) || !eat(&q, end, "[", 1)) {
            fail(c, F_PROTO, "bad ACK %.*s", (int)(n > 60 ? 60 : n), p);
            return;
        }
        if (G.mode == M_ACK && id + 1 != c->next_ack) {
            fail(c, F_PROTO, "ACK id %" PRIu64 ", expected %" PRIu32, id, c->next_ack - 1);
            return;
        }
        on_answer(c, q, end, now);
        return;
    default:
        fail(c, F_PROTO, "unexpected Socket.IO packet %.*s", (int)(n > 60 ? 60 : n), p);
        return;
    }
}

static void on_eio_packet(conn *c, const char *p, size_t n, uint64_t now)
{
    if (n == 0) {
        fail(c, F_PROTO, "empty Engine.IO packet");
        return;
    }
    switch (p[0]) {
    case '0': {
        if (c->state != C_OPEN_WAIT) {
            fail(c, F_PROTO, "unexpected open packet");
            return;
        }
        if (c->polling) {
            const char *s = memmem(p, n, "\"sid\":\"", 7), *e;
            if (!s || !(e = memchr(s + 7, '"', (size_t)(p + n - (s + 7)))) || e - s - 7 > 200) {
                fail(c, F_PROTO, "open packet without sid");
                return;
            }
            c->sid = strndup(s + 7, (size_t)(e - s - 7));
        }
        if (G.eio) {
            set_ready(c, now);
            return;
        }
        c->state = C_SIO_WAIT;
        char pkt[160];
        int k = snprintf(pkt, sizeof(pkt), "40%s", G.nsp_prefix);
        eio_send(c, pkt, (size_t)k);
        return;
    }
    case '1':
        fail(c, F_CLOSE, "Engine.IO close packet");
        return;
    case '2':
        if (n == 1)
            eio_send(c, "3", 1);
        return;
    case '3':
    case '6':
        return;
    case '4':
        if (c->state < C_SIO_WAIT) {
            fail(c, F_PROTO, "message before open");
            return;
        }
        if (G.eio) {
            if (c->state == C_READY)
                on_answer(c, p + 1, p + n, now);
            return;
        }
        on_sio_packet(c, p + 1, n - 1, now);
        return;
    default:
        fail(c, F_PROTO, "unexpected Engine.IO packet type %c", p[0]);
        return;
    }
}

/* --------------------------------------------------------- input parsing */

/* Finds a header's value in an HTTP head (name with the colon, lowercase). */
static bool http_header(const char *head, size_t n, const char *name, const char **val, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = head, *end = head + n;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl)) {
            const char *v = p + nl;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *val = v;
            *vlen = (size_t)(ve - v);
            return true;
        }
        p = eol + 2;
    }
    return false;
}

static int http_status(const char *p, size_t n)
{
    if (n < 12 || memcmp(p, "HTTP/1.", 7))
        return -1;
    return atoi(p + 9);
}

/* WebSocket upgrade response. Returns bytes used, 0 for more. */
static size_t process_upgrade(conn *c, const char *p, size_t n)
{
    const char *e = memmem(p, n, "\r\n\r\n", 4);
    if (!e) {
        if (n > 16384)
            fail(c, F_PROTO, "upgrade response head too long");
        return 0;
    }
    size_t hl = (size_t)(e - p) + 4;
    int st = http_status(p, hl);
    if (st != 101) {
        const char *eol = memchr(p, '\r', hl);
        fail(c, F_CONNECT, "upgrade refused: %.*s", (int)(eol ? eol - p : 40), p);
        return 0;
    }
    const char *v;
    size_t vl;
    char want[40];
    ws_accept_for(c, want);
    if (!http_header(p, hl, "sec-websocket-accept:", &v, &vl) || vl != strlen(want) || memcmp(v, want, vl)) {
        fail(c, F_PROTO, "bad or missing Sec-WebSocket-Accept");
        return 0;
    }
    if (http_header(p, hl, "sec-websocket-extensions:", &v, &vl)) {
        fail(c, F_PROTO, "server chose an extension we did not offer");
        return 0;
    }
    c->ch.state = CS_WS;
    c->state = C_OPEN_WAIT;
    return hl;
}

static void on_ws_message(conn *c, unsigned op, const char *p, size_t n, uint64_t now)
{
    if (op != 0x1) {
        fail(c, F_PROTO, "unexpected binary message");
        return;
    }
    on_eio_packet(c, p, n, now);
}

/* WebSocket frames. Returns bytes used. */
static size_t process_ws(conn *c, const char *data, size_t n, uint64_t now)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t used = 0;
    uint32_t gen = c->gen;
    chan *ch = &c->ch;
    while (n - used >= 2) {
        const uint8_t *f = p + used;
        size_t avail = n - used, h = 2;
        bool fin = f[0] & 0x80;
        unsigned op = f[0] & 0x0f;
        uint64_t len = f[1] & 0x7f;
        if (f[0] & 0x70) {
            fail(c, F_PROTO, "RSV bits set without an extension");
            return 0;
        }
        if (f[1] & 0x80) {
            fail(c, F_PROTO, "masked frame from the server");
            return 0;
        }
        if (len == 126) {
            if (avail < 4)
                break;
            len = (uint64_t)f[2] << 8 | f[3];
            h = 4;
        } else if (len == 127) {
            if (avail < 10)
                break;
            len = 0;
            for (int i = 0; i < 8; i++)
                len = len << 8 | f[2 + i];
            h = 10;
        }
        if (len > (64u << 20)) {
            fail(c, F_PROTO, "frame of %" PRIu64 " bytes", len);
            return 0;
        }
        if (avail < h + len)
            break;
        const char *pl = (const char *)f + h;
        used += h + (size_t)len;
        if (op & 0x8) { /* control */
            if (!fin || len > 125) {
                fail(c, F_PROTO, "bad control frame");
                return 0;
            }
            if (op == 0x8) {
                unsigned code = len >= 2 ? ((unsigned)(uint8_t)pl[0] << 8 | (uint8_t)pl[1]) : 0;
                memcpy(G.tx + WS_HDR_MAX, pl, len >= 2 ? 2 : 0);
                ws_send_tx(c, 0x8, len >= 2 ? 2 : 0);
                if (c->gen == gen)
                    fail(c, F_CLOSE, "WebSocket close frame (code %u)", code);
                return 0;
            } else if (op == 0x9) {
                memcpy(G.tx + WS_HDR_MAX, pl, (size_t)len);
                if (!ws_send_tx(c, 0xA, (size_t)len))
                    return 0;
            } else if (op != 0xA) {
                fail(c, F_PROTO, "unknown control opcode %u", op);
                return 0;
            }
            continue;
        }
        if (op == 0x0) {
            if (!ch->frag_op) {
                fail(c, F_PROTO, "continuation without a message");
                return 0;
            }
            buf_append(&ch->frag, pl, (size_t)len);
            if (fin) {
                unsigned fop = ch->frag_op;
                ch->frag_op = 0;
                on_ws_message(c, fop, ch->frag.p + ch->frag.off, ch->frag.len, now);
                if (c->gen != gen)
                    return 0;
                buf_consume(&ch->frag, ch->frag.len);
            }
        } else if (op == 0x1 || op == 0x2) {
            if (ch->frag_op) {
                fail(c, F_PROTO, "new message inside a fragmented one");
                return 0;
            }
            if (fin) {
                on_ws_message(c, op, pl, (size_t)len, now);
                if (c->gen != gen)
                    return 0;
            } else {
                ch->frag_op = (uint8_t)op;
                buf_append(&ch->frag, pl, (size_t)len);
            }
        } else {
            fail(c, F_PROTO, "unknown opcode %u", op);
            return 0;
        }
    }
    return used;
}

/* A complete polling response (GET: chno 0, POST: chno 1). */
static void on_http_response(conn *c, unsigned chno, int status, const char *body, size_t n, uint64_t now)
{
    uint32_t gen = c->gen;
    if (status != 200) {
        fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "HTTP %d on %s: %.*s", status,
             chno ? "POST" : "GET", (int)(n > 100 ? 100 : n), body);
        return;
    }
    if (chno == 1) {
        if (c->closing) {
            conn_close(c);
            return;
        }
        if (c->pend.len)
            post_flush(c);
        return;
    }
    const char *p = body, *end = body + n;
    while (p < end) {
        const char *sep = memchr(p, 0x1e, (size_t)(end - p));
        if (!sep)
            sep = end;
        on_eio_packet(c, p, (size_t)(sep - p), now);
        if (c->gen != gen)
            return;
        p = sep + 1;
    }
    if (!c->closing)
        get_issue(c);
}

/* HTTP responses on a polling channel. Returns bytes used (one response),
 * 0 for more; `eof`: the peer closed, the rest is the body. */
static size_t process_http(conn *c, unsigned chno, const char *p, size_t n, bool eof, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    if (!ch->busy) {
        fail(c, F_PROTO, "HTTP data without a request");
        return 0;
    }
    const char *e = memmem(p, n, "\r\n\r\n", 4);
    if (!e) {
        if (n > 16384)
            fail(c, F_PROTO, "HTTP response head too long");
        else if (eof)
            fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "connection closed mid-response");
        return 0;
    }
    size_t hl = (size_t)(e - p) + 4;
    int st = http_status(p, hl);
    const char *v;
    size_t vl;
    bool close_after = http_header(p, hl, "connection:", &v, &vl) && vl == 5 && !strncasecmp(v, "close", 5);
    const char *body;
    size_t blen, used;
    if (http_header(p, hl, "content-length:", &v, &vl)) {
        blen = strtoul(v, NULL, 10);
        if (n - hl < blen) {
            if (eof)
                fail(c, F_CLOSE, "connection closed mid-body");
            return 0;
        }
        body = p + hl;
        used = hl + blen;
    } else if (http_header(p, hl, "transfer-encoding:", &v, &vl) && vl >= 7 &&
               !strncasecmp(v + vl - 7, "chunked", 7)) {
        const char *q = p + hl, *end = p + n;
        G.body.len = G.body.off = 0;
        for (;;) {
            const char *eol = memmem(q, (size_t)(end - q), "\r\n", 2);
            if (!eol) {
                if (eof)
                    fail(c, F_CLOSE, "connection closed mid-chunk");
                return 0;
            }
            size_t cl = strtoul(q, NULL, 16);
            q = eol + 2;
            if (cl == 0) {
                const char *te = memmem(q - 2, (size_t)(end - q + 2), "\r\n\r\n", 4);
                if (!te) {
                    if (eof)
                        fail(c, F_CLOSE, "connection closed mid-trailer");
                    return 0;
                }
                q = te + 4;
                break;
            }
            if ((size_t)(end - q) < cl + 2) {
                if (eof)
                    fail(c, F_CLOSE, "connection closed mid-chunk");
                return 0;
            }
            buf_append(&G.body, q, cl);
            q += cl + 2;
        }
        body = G.body.p ? G.body.p : "";
        blen = G.body.len;
        used = (size_t)(q - p);
    } else if (st == 204 || st == 304 || (st >= 100 && st < 200)) {
        body = p + hl;
        blen = 0;
        used = hl;
    } else {
        if (!eof)
            return 0; /* the body ends with the connection */
        body = p + hl;
        blen = n - hl;
        used = n;
        close_after = true;
    }
    ch->busy = false;
    if (close_after) {
        /* The body may live in ch->in, which closing frees: copy it first. */
        char *copy = malloc(blen + 1);
        if (!copy)
            die("out of memory");
        memcpy(copy, body, blen);
        chan_close(ch);
        on_http_response(c, chno, st, copy, blen, now);
        free(copy);
        return 0; /* the channel is gone: nothing more to parse */
    }
    on_http_response(c, chno, st, body, blen, now);
    return used;
}

/* Bytes arrived (or the peer closed: eof) on a channel; p/n may point into
 * the channel's own buffer. Returns bytes used; stops when the client or the
 * channel is closed. */
static size_t process(conn *c, unsigned chno, const char *p, size_t n, bool eof, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    uint32_t gen = c->gen, seq = ch->seq;
    if (!c->polling) {
        size_t used = 0;
        if (ch->state != CS_WS) {
            used = process_upgrade(c, p, n);
            if (c->gen != gen || !used)
                return 0;
        }
        return used + process_ws(c, p + used, n - used, now);
    }
    size_t used = 0;
    while (used < n || eof) {
        size_t k = process_http(c, chno, p + used, n - used, eof, now);
        if (c->gen != gen || ch->seq != seq || !k)
            return used + k;
        used += k;
        if (!ch->busy)
            break; /* nothing more is expected until the next request */
    }
    return used;
}

static void on_input(conn *c, unsigned chno, const char *data, size_t n, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    uint32_t gen = c->gen, seq = ch->seq;
    if (ch->in.len == 0) {
        size_t used = process(c, chno, data, n, false, now);
        if (c->gen != gen || ch->seq != seq)
            return;
        if (used < n)
            buf_append(&ch->in, data + used, n - used);
    } else {
        buf_append(&ch->in, data, n);
        size_t used = process(c, chno, ch->in.p + ch->in.off, ch->in.len, false, now);
        if (c->gen != gen || ch->seq != seq)
            return;
        buf_consume(&ch->in, used);
    }
    if (ch->in.len > (72u << 20))
        fail(c, F_PROTO, "more than 72 MB of unparsed input");
}

static void on_eof(conn *c, unsigned chno, int err, uint64_t now)
{
    chan *ch = chno ? c->post : &c->ch;
    if (c->polling && !err) {
        if (!ch->busy) { /* an idle keep-alive connection closed by the server */
            if (ch->in.len)
                fail(c, F_PROTO, "trailing bytes after a response");
            else
                chan_close(ch);
            return;
        }
        uint32_t gen = c->gen, seq = ch->seq;
        process(c, chno, ch->in.p ? ch->in.p + ch->in.off : "", ch->in.len, true, now);
        if (c->gen == gen && ch->seq == seq)
            fail(c, F_CLOSE, "connection closed with a request pending");
        return;
    }
    if (err)
        fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "%s", strerror(err));
    else
        fail(c, F_CLOSE, "connection closed by the server");
}

static void on_event(uint64_t id, uint32_t events, uint64_t now)
{
    uint32_t idx = (uint32_t)(id & 0xffffffffu) >> 1, gen = (uint32_t)(id >> 32);
    unsigned chno = id & 1;
    if (idx >= G.clients)
        return;
    conn *c = &G.conns[idx];
    if (c->gen != gen || c->state == C_DEAD || c->state == C_FREE)
        return;
    chan *ch = chno ? c->post : &c->ch;
    if (!ch || ch->fd < 0)
        return;
    uint32_t seq = ch->seq;
    if (ch->state == CS_CONNECTING) {
        int err = 0;
        socklen_t l = sizeof(err);
        getsockopt(ch->fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            fail(c, c->state == C_READY ? F_CLOSE : F_CONNECT, "connect: %s", strerror(err));
            return;
        }
        if (!(events & (EPOLLOUT | EPOLLIN)))
            return;
        ch->state = CS_OPEN;
        if (!chan_flush(c, ch, chno))
            return;
    }
    if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
        for (int round = 0; round < 4; round++) {
            ssize_t r = recv(ch->fd, G.rx, G.rx_cap, 0);
            if (r > 0) {
                on_input(c, chno, G.rx, (size_t)r, now);
                if (c->gen != gen || ch->seq != seq)
                    return;
                if ((size_t)r < G.rx_cap)
                    break;
                continue;
            }
            if (r == 0) {
                on_eof(c, chno, 0, now);
                return;
            }
            if (errno == EAGAIN || errno == EINTR)
                break;
            on_eof(c, chno, errno, now);
            return;
        }
    }
    if ((events & EPOLLOUT) && ch->out.len)
        chan_flush(c, ch, chno);
    else if ((events & EPOLLOUT) && ch->epout)
        chan_epoll(c, ch, chno, false);
}

/* ------------------------------------------------------------------ phases */

static void end_measure(uint64_t now);

static void begin_measure(uint64_t now)
{
    G.phase = PH_MEASURE;
    G.t_connected = now;
    G.t_measure = now;
    G.t_end = now + (uint64_t)(G.duration * 1e9);
    G.ready_at_start = G.ready;
    G.gen_wait_start = proc_runq_wait(0);
    G.gen_cpu_start = self_cpu();
    if (G.server_pid) {
        G.wait_start = proc_runq_wait(G.server_pid);
        G.rss_connected = proc_rss_kb(G.server_pid);
        if (!proc_cpu(G.server_pid, &G.cpu_start))
            fprintf(stderr, "sio_loadgen: cannot read /proc/%d/stat\n", G.server_pid);
    }
    if (G.mode != M_CHURN)
        fprintf(stderr, "sio_loadgen: %u/%u clients connected in %.2f s (%" PRIu64 " connect failures)\n",
                G.ready, G.clients, (double)(now - G.t0) / 1e9, G.connect_failures);
    if (G.mode != M_CHURN && G.ready == 0) {
        fprintf(stderr, "sio_loadgen: no client connected\n");
        end_measure(now);
        return;
    }
    switch (G.mode) {
    case M_ECHO:
    case M_ACK:
        for (unsigned i = 0; i < G.clients; i++) {
            conn *c = &G.conns[i];
            if (c->state == C_READY && !c->inflight)
                send_request(c, now);
        }
        break;
    case M_BROADCAST:
        send_burst(now);
        break;
    case M_RATE:
        G.next_send = now;
        break;
    default:
        break;
    }
}

static void end_measure(uint64_t now)
{
    G.phase = PH_DONE;
    G.t_stop = now;
    G.gen_wait_end = proc_runq_wait(0);
    G.gen_cpu_end = self_cpu();
    if (G.server_pid) {
        G.wait_end = proc_runq_wait(G.server_pid);
        if (!proc_cpu(G.server_pid, &G.cpu_end))
            G.cpu_end = G.cpu_start;
        G.rss_end = proc_rss_kb(G.server_pid);
    }
}

static void scan_timeouts(uint64_t now)
{
    uint64_t limit = (uint64_t)(G.connect_timeout * 1e9);
    for (unsigned i = 0; i < G.started; i++) {
        conn *c = &G.conns[i];
        if (c->state >= C_UPGRADE && c->state < C_READY && now - c->t_start > limit)
            fail(c, F_CONNECT, "handshake not done after %.1f s", G.connect_timeout);
    }
}

/* Time-driven work; returns the next deadline. */
static uint64_t tick(uint64_t now)
{
    uint64_t next = now + 100000000ull;
    if (G.started < G.clients && G.phase != PH_DONE) {
        /* Token bucket at --connect-rate (at most 10 ms of credit), and at
         * most --connect-concurrency handshakes in flight. */
        uint64_t step = (uint64_t)(1e9 / G.connect_rate);
        if (G.next_connect + 10000000ull < now)
            G.next_connect = now - 10000000ull;
        while (G.started < G.clients && G.next_connect <= now &&
               G.started - G.ready - G.dead < G.connect_concurrency) {
            conn_start(&G.conns[G.started++], now);
            G.next_connect += step;
        }
        if (G.started < G.clients && G.next_connect < next)
            next = G.next_connect > now ? G.next_connect : now + 1000000;
    }
    if (G.phase == PH_MEASURE) {
        while (G.nrestart)
            conn_start(&G.conns[G.restart[--G.nrestart]], now);
    }
    if (now >= G.next_scan) {
        scan_timeouts(now);
        G.next_scan = now + 100000000ull;
    }
    if (G.phase == PH_CONNECT && G.started == G.clients && G.ready + G.dead >= G.clients)
        begin_measure(now);
    if (G.phase == PH_MEASURE && (now >= G.t_end || interrupted)) {
        end_measure(now);
        return now;
    }
    if (G.phase == PH_CONNECT && interrupted) {
        G.phase = PH_DONE;
        G.t_measure = G.t_stop = now;
        return now;
    }
    if (G.phase != PH_MEASURE)
        return next;
    if (G.t_end < next)
        next = G.t_end;
    if (G.mode == M_RATE) {
        unsigned budget = 20000;
        while (G.next_send <= now && budget--) {
            conn *c = NULL;
            for (unsigned k = 0; k < G.clients; k++) {
                conn *cand = &G.conns[G.rr++ % G.clients];
                if (cand->state == C_READY) {
                    c = cand;
                    break;
                }
            }
            if (!c)
                break;
            if (now - G.next_send > G.max_lag)
                G.max_lag = now - G.next_send;
            send_request(c, G.next_send); /* intended time: no coordinated omission */
            G.next_send += G.interval;
        }
        if (G.next_send < next)
            next = G.next_send;
    }
    if (G.mode == M_BROADCAST) {
        uint64_t to = G.burst_t0 + (uint64_t)(G.burst_timeout * 1e9);
        if (now >= to) {
            G.bursts_incomplete++;
            fprintf(stderr, "sio_loadgen: burst %" PRIu32 " incomplete after %.1f s: %" PRIu64 "/%" PRIu64
                            " deliveries\n", G.burst_seq, G.burst_timeout, G.burst_recv, G.burst_expect);
            send_burst(now);
            to = now + (uint64_t)(G.burst_timeout * 1e9);
        }
        if (to < next)
            next = to;
    }
    return next;
}

/* ------------------------------------------------------------------ output */

typedef struct kv {
    char key[40];
    char val[64];
    bool str;
} kv;
static kv results[96];
static unsigned nresults;

static void put(const char *key, bool str, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(const char *key, bool str, const char *fmt, ...)
{
    if (nresults >= sizeof(results) / sizeof(results[0]))
        return;
    kv *r = &results[nresults++];
    snprintf(r->key, sizeof(r->key), "%s", key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->val, sizeof(r->val), fmt, ap);
    va_end(ap);
    r->str = str;
}

static double us(uint64_t ns) { return (double)ns / 1000.0; }

static void print_results(void)
{
    double win = G.t_stop > G.t_measure ? (double)(G.t_stop - G.t_measure) / 1e9 : 0;
    double rate = win > 0 ? (double)G.events / win : 0;
    unsigned npoll = 0;
    for (unsigned i = 0; i < G.clients; i++)
        npoll += G.polling_share && (i % 100u) < G.polling_share;
    unsigned stalled = 0;
    for (unsigned i = 0; i < G.clients; i++) {
        conn *c = &G.conns[i];
        if (c->state == C_READY && c->inflight && (G.mode == M_ECHO || G.mode == M_ACK) &&
            G.t_stop - c->t_sent > 1000000000ull)
            stalled++;
    }
    put("mode", true, "%s", mode_names[G.mode]);
    put("protocol", true, "%s", G.eio ? "engine.io-v4" : "socket.io-v5");
    put("target", true, "%s%s", G.hostport, G.path);
    put("clients", false, "%u", G.clients);
    put("polling_clients", false, "%u", npoll);
    put("payload_bytes", false, "%zu", G.payload);
    put("connected", false, "%u", G.mode == M_CHURN ? G.peak_ready : G.ready_at_start);
    put("connect_time_s", false, "%.3f",
        G.mode == M_CHURN ? 0.0 : (double)((G.t_connected ? G.t_connected : G.t_stop) - G.t0) / 1e9);
    put("connect_p50_us", false, "%.0f", us(h_pct(&G.conn_lat, 0.50)));
    put("connect_p99_us", false, "%.0f", us(h_pct(&G.conn_lat, 0.99)));
    put("duration_s", false, "%.3f", win);
    put("sent", false, "%" PRIu64, G.sent);
    put("events", false, "%" PRIu64, G.events);
    put("events_per_s", false, "%.1f", rate);
    put("latency_p50_us", false, "%.1f", us(h_pct(&G.lat, 0.50)));
    put("latency_p99_us", false, "%.1f", us(h_pct(&G.lat, 0.99)));
    put("latency_p999_us", false, "%.1f", us(h_pct(&G.lat, 0.999)));
    put("latency_max_us", false, "%.1f", us(G.lat.max));
    if (G.mode == M_BROADCAST) {
        put("burst", false, "%u", G.burst);
        put("bursts", false, "%" PRIu64, G.bursts);
        put("bursts_incomplete", false, "%" PRIu64, G.bursts_incomplete);
        put("deliveries_per_s", false, "%.1f", rate);
        put("burst_p50_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.50)));
        put("burst_p99_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.99)));
        put("burst_p999_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.999)));
        put("burst_max_us", false, "%.1f", us(G.burst_lat.max));
    }
    if (G.mode == M_CHURN) {
        put("handshakes", false, "%" PRIu64, G.handshakes);
        put("handshakes_per_s", false, "%.1f", win > 0 ? (double)G.handshakes / win : 0);
        put("cycle_p50_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.50)));
        put("cycle_p99_us", false, "%.1f", us(h_pct(&G.burst_lat, 0.99)));
    }
    if (G.mode == M_RATE) {
        put("target_rate", false, "%.1f", G.rate);
        put("send_rate", false, "%.1f", win > 0 ? (double)G.sent / win : 0);
        put("max_send_lag_us", false, "%.1f", us(G.max_lag));
    }
    if (G.mode == M_ECHO || G.mode == M_ACK)
        put("stalled", false, "%u", stalled);
    put("ready_at_end", false, "%u", G.ready);
    put("connect_failures", false, "%" PRIu64, G.connect_failures);
    put("closes", false, "%" PRIu64, G.closes);
    put("protocol_errors", false, "%" PRIu64, G.protocol_errors);
    put("errors", false, "%" PRIu64, G.connect_failures + G.closes + G.protocol_errors + stalled);
    put("gen_cpu_s", false, "%.3f", G.gen_cpu_end - G.gen_cpu_start);
    put("gen_runq_wait_s", false, "%.3f", G.gen_wait_end - G.gen_wait_start);
    if (G.server_pid) {
        double cpu = G.cpu_end - G.cpu_start;
        put("server_pid", false, "%d", G.server_pid);
        put("server_cpu_s", false, "%.3f", cpu);
        put("server_cpu_pct", false, "%.1f", win > 0 ? 100.0 * cpu / win : 0);
        put("server_runq_wait_s", false, "%.3f", G.wait_end - G.wait_start);
        put("events_per_server_cpu_s", false, "%.1f", cpu > 0 ? (double)G.events / cpu : 0);
        put("server_rss_baseline_kb", false, "%ld", G.rss_baseline);
        put("server_rss_connected_kb", false, "%ld", G.rss_connected);
        put("server_rss_kb", false, "%ld", G.rss_end);
        unsigned conns = G.mode == M_CHURN ? 0 : G.ready;
        put("rss_per_conn_bytes", false, "%.0f",
            conns ? (double)(G.rss_end - G.rss_baseline) * 1024.0 / conns : 0);
    }
    if (G.json) {
        fputs("{", stdout);
        for (unsigned i = 0; i < nresults; i++)
            printf(results[i].str ? "%s\"%s\": \"%s\"" : "%s\"%s\": %s", i ? ", " : "", results[i].key,
                   results[i].val);
        fputs("}\n", stdout);
    } else {
        for (unsigned i = 0; i < nresults; i++)
            printf("%s: %s\n", results[i].key, results[i].val);
    }
    fflush(stdout);
}

/* ------------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sio_loadgen [options]\n"
            "  --mode M             echo | ack | broadcast | idle | churn | rate (default echo)\n"
            "  --host ADDR          loopback address of the server (default 127.0.0.1)\n"
            "  --port N             default 3000\n"
            "  --path P             default /socket.io/ (/engine.io/ with --eio)\n"
            "  --nsp NSP            Socket.IO namespace (default /)\n"
            "  --clients N          concurrent clients (default 100)\n"
            "  --duration S         measured window after all clients connected (default 10)\n"
            "  --payload BYTES      size of the \"p\" string in each message (default 32)\n"
            "  --polling-share PCT  percent of clients on HTTP long-polling (default 0)\n"
            "  --burst K            broadcast: messages per burst (default 1)\n"
            "  --burst-timeout S    broadcast: give up on a burst after S s (default 5)\n"
            "  --rate R             rate: total requests per second (default 1000)\n"
            "  --connect-rate N     new connections per second (default 2000)\n"
            "  --connect-concurrency N  handshakes in flight at most (default 256)\n"
            "  --connect-timeout S  per-client handshake limit (default 10)\n"
            "  --source-addrs N     spread client sockets over 127.0.0.1..127.0.0.N (default 1)\n"
            "  --eio                raw Engine.IO (echo of 4<payload>): modes echo, idle, churn, rate\n"
            "  --server-pid PID     read the server's CPU time and RSS from /proc\n"
            "  --json               print the results as one JSON object\n"
            "  -v, --verbose        progress once a second on stderr\n");
}

static double num_arg(const char *name, const char *v, double min, double max)
{
    char *end;
    double d = strtod(v, &end);
    if (!*v || *end || !(d >= min && d <= max))
        die("bad value for --%s: %s", name, v);
    return d;
}

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void parse_args(int argc, char **argv)
{
    G.mode = M_ECHO;
    G.host = "127.0.0.1";
    G.port = 3000;
    G.clients = 100;
    G.duration = 10;
    G.payload = 32;
    G.burst = 1;
    G.burst_timeout = 5;
    G.rate = 1000;
    G.connect_rate = 2000;
    G.connect_concurrency = 256;
    G.connect_timeout = 10;
    G.source_addrs = 1;
    G.nsp = "/";
    static const struct option opts[] = {
        {"mode", required_argument, 0, 'm'},          {"host", required_argument, 0, 'H'},
        {"port", required_argument, 0, 'p'},          {"path", required_argument, 0, 'P'},
        {"nsp", required_argument, 0, 'n'},           {"clients", required_argument, 0, 'c'},
        {"duration", required_argument, 0, 'd'},      {"payload", required_argument, 0, 'b'},
        {"polling-share", required_argument, 0, 'l'}, {"burst", required_argument, 0, 'k'},
        {"burst-timeout", required_argument, 0, 'K'}, {"rate", required_argument, 0, 'r'},
        {"connect-rate", required_argument, 0, 'R'},  {"connect-timeout", required_argument, 0, 'T'},
        {"source-addrs", required_argument, 0, 's'},  {"eio", no_argument, 0, 'e'},
        {"connect-concurrency", required_argument, 0, 'C'},
        {"server-pid", required_argument, 0, 'S'},    {"json", no_argument, 0, 'j'},
        {"verbose", no_argument, 0, 'v'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "hv", opts, NULL)) != -1) {
        switch (ch) {
        case 'm': {
            bool found = false;
            for (unsigned i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
                if (!strcmp(optarg, mode_names[i])) {
                    G.mode = (enum mode)i;
                    found = true;
                }
            if (!found)
                die("unknown mode %s (echo, ack, broadcast, idle, churn, rate)", optarg);
            break;
        }
        case 'H': G.host = optarg; break;
        case 'p': G.port = (int)num_arg("port", optarg, 1, 65535); break;
        case 'P': G.path = optarg; break;
        case 'n': G.nsp = optarg; break;
        case 'c': G.clients = (unsigned)num_arg("clients", optarg, 1, 1000000); break;
        case 'd': G.duration = num_arg("duration", optarg, 0.1, 3600); break;
        case 'b': G.payload = (size_t)num_arg("payload", optarg, 0, 16 << 20); break;
        case 'l': G.polling_share = (unsigned)num_arg("polling-share", optarg, 0, 100); break;
        case 'k': G.burst = (unsigned)num_arg("burst", optarg, 1, 100000); break;
        case 'K': G.burst_timeout = num_arg("burst-timeout", optarg, 0.1, 600); break;
        case 'r': G.rate = num_arg("rate", optarg, 1, 10e6); break;
        case 'R': G.connect_rate = num_arg("connect-rate", optarg, 1, 10e6); break;
        case 'C': G.connect_concurrency = (unsigned)num_arg("connect-concurrency", optarg, 1, 1000000); break;
        case 'T': G.connect_timeout = num_arg("connect-timeout", optarg, 0.1, 600); break;
        case 's': G.source_addrs = (unsigned)num_arg("source-addrs", optarg, 1, 254); break;
        case 'e': G.eio = true; break;
        case 'S': G.server_pid = (int)num_arg("server-pid", optarg, 1, 1 << 30); break;
        case 'j': G.json = true; break;
        case 'v': G.verbose = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    if (optind < argc)
        die("unexpected argument %s", argv[optind]);
    if (!G.path)
        G.path = G.eio ? "/engine.io/" : "/socket.io/";
    if (G.eio && (G.mode == M_ACK || G.mode == M_BROADCAST))
        die("--eio supports the modes echo, idle, churn and rate");
    if (strcmp(G.nsp, "/")) {
        if (G.nsp[0] != '/' || strlen(G.nsp) > 100 || strpbrk(G.nsp, ",\"\\"))
            die("bad namespace %s", G.nsp);
        snprintf(G.nsp_prefix, sizeof(G.nsp_prefix), "%s,", G.nsp);
    }
    if (!strcmp(G.host, "localhost"))
        G.host = "127.0.0.1";
    G.dst.sin_family = AF_INET;
    G.dst.sin_port = htons((uint16_t)G.port);
    if (inet_pton(AF_INET, G.host, &G.dst.sin_addr) != 1)
        die("--host must be an IPv4 address: %s", G.host);
    if ((ntohl(G.dst.sin_addr.s_addr) >> 24) != 127)
        die("only loopback targets (127.0.0.0/8) are allowed: %s", G.host);
    snprintf(G.hostport, sizeof(G.hostport), "%s:%d", G.host, G.port);
}

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        die("getrlimit: %s", strerror(errno));
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    unsigned npoll = 0;
    for (unsigned i = 0; i < G.clients; i++)
        npoll += G.polling_share && (i % 100u) < G.polling_share;
    uint64_t need = (uint64_t)G.clients + npoll + 64;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
        die("%u clients need %" PRIu64 " file descriptors but the hard limit (ulimit -Hn) is %llu: "
            "raise it (as root: ulimit -Hn %" PRIu64 ") or use fewer --clients",
            G.clients, need, (unsigned long long)rl.rlim_max, need);
}

int main(int argc, char **argv)
{
    parse_args(argc, argv);
    raise_nofile();
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {0};
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    G.clk_tck = sysconf(_SC_CLK_TCK);
    rng_state ^= mono_ns() * 0x2545F4914F6CDD1Dull ^ (uint64_t)getpid();

    G.filler = malloc(G.payload + 1);
    G.tx_cap = G.payload + 1024;
    G.tx = malloc(G.tx_cap);
    G.rx_cap = 256 * 1024;
    G.rx = malloc(G.rx_cap);
    G.conns = calloc(G.clients, sizeof(*G.conns));
    G.restart = calloc(G.clients, sizeof(*G.restart));
    if (!G.filler || !G.tx || !G.rx || !G.conns || !G.restart)
        die("out of memory");
    memset(G.filler, 'x', G.payload);
    for (unsigned i = 0; i < G.clients; i++) {
        G.conns[i].idx = i;
        G.conns[i].ch.fd = -1;
    }
    G.interval = (uint64_t)(1e9 / G.rate);
    if (G.interval == 0)
        G.interval = 1;
    G.ep = epoll_create1(EPOLL_CLOEXEC);
    if (G.ep < 0)
        die("epoll_create1: %s", strerror(errno));
    if (G.server_pid) {
        G.rss_baseline = proc_rss_kb(G.server_pid);
        if (G.rss_baseline < 0)
            die("no process %d (--server-pid)", G.server_pid);
    }

    G.t0 = mono_ns();
    G.next_connect = G.t0;
    G.next_scan = G.t0 + 100000000ull;
    if (G.mode == M_CHURN)
        begin_measure(G.t0);
    else
        G.phase = PH_CONNECT;

    struct epoll_event evs[1024];
    bool pwait2 = true;
    uint64_t next_report = G.t0 + 1000000000ull, last_events = 0;
    while (G.phase != PH_DONE) {
        uint64_t now = mono_ns();
        uint64_t deadline = tick(now);
        if (G.phase == PH_DONE)
            break;
        if (G.verbose && now >= next_report) {
            fprintf(stderr, "sio_loadgen: t=%.0fs ready=%u events/s=%" PRIu64 " errors=%" PRIu64 "\n",
                    (double)(now - G.t0) / 1e9, G.ready, G.events - last_events,
                    G.connect_failures + G.closes + G.protocol_errors);
            last_events = G.events;
            next_report += 1000000000ull;
        }
        now = mono_ns();
        uint64_t wait = deadline > now ? deadline - now : 0;
        int n;
        if (pwait2) {
            struct timespec ts = {.tv_sec = (time_t)(wait / 1000000000ull),
                                  .tv_nsec = (long)(wait % 1000000000ull)};
            n = epoll_pwait2(G.ep, evs, 1024, &ts, NULL);
            if (n < 0 && errno == ENOSYS) {
                pwait2 = false;
                continue;
            }
        } else {
            n = epoll_wait(G.ep, evs, 1024, (int)((wait + 999999) / 1000000));
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("epoll_wait: %s", strerror(errno));
        }
        now = mono_ns();
        for (int i = 0; i < n; i++)
            on_event(evs[i].data.u64, evs[i].events, now);
    }
    if (!G.t_stop)
        G.t_stop = mono_ns();
    print_results();
    return G.ready == 0 && G.mode != M_CHURN && G.peak_ready == 0 ? 3 : 0;
}
