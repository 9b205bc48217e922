/* sio_loadgen's private header: the state every file shares, and the
 * functions they call across files. One file per job:
 *   main.c         setup, and the epoll loop
 *   options.c      the command line
 *   phases.c       connect, measure, done; the time-driven work (tick)
 *   client.c       a client's start, readiness, close and failure
 *   chan.c         the clients' TCP connections and the epoll set
 *   input.c        socket events to the protocol parsers
 *   websocket.c    the WebSocket client
 *   polling.c      the HTTP long-polling client
 *   http.c         reading HTTP/1.1 response heads
 *   protocol.c     Engine.IO v4 and Socket.IO v5 over either transport
 *   requests.c     the echo and ack modes (and the requests of rate, churn)
 *   broadcast.c    the broadcast mode
 *   chat.c         its flavour for sio-server's room chat (--chat)
 *   rate.c         the rate mode (open loop)
 *   churn.c        the churn mode (connect, one request, close, again)
 *   report.c       the results on stdout
 *   proc.c         the servers' CPU time, RSS and run-queue wait from /proc
 *   hist.c, buf.c, sha1_base64.c, basics.c: the tools the others use
 * (The idle mode needs no file of its own: its clients only answer pings.)
 * Everything runs on one thread; `G` holds the options and the run's state. */
#ifndef SIO_LOADGEN_H
#define SIO_LOADGEN_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

/* ------------------------------------------------------------------ basics */

void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
uint64_t mono_ns(void);
uint64_t rng(void);
void rng_seed(uint64_t seed); /* mixed into the fixed initial state */
void *xrealloc(void *p, size_t n);

/* ---------------------------------------------------------------- buffers */

typedef struct buf {
    char *p;
    size_t off, len, cap; /* data is p[off .. off+len) */
} buf;

void buf_append(buf *b, const void *d, size_t n);
void buf_consume(buf *b, size_t n);
void buf_free(buf *b);

/* -------------------------------------------------------------- histogram */

#define H_N (256 + 56 * 128)
typedef struct hist {
    uint64_t c[H_N];
    uint64_t n, max;
} hist;

void h_add(hist *h, uint64_t v);
uint64_t h_pct(const hist *h, double q); /* the q-quantile (0..1), 0 when empty */

/* ------------------------------------------------------------------ state */

enum mode { M_ECHO, M_ACK, M_BROADCAST, M_IDLE, M_CHURN, M_RATE };
extern const char *const mode_names[];

enum { PH_CONNECT, PH_MEASURE, PH_DONE };

/* Channel (TCP connection) states. */
enum { CS_CLOSED, CS_CONNECTING, CS_OPEN, CS_WS };

/* Client states. C_JOIN_WAIT: --chat, waiting for the ack of the join. */
enum { C_FREE, C_UPGRADE, C_OPEN_WAIT, C_SIO_WAIT, C_JOIN_WAIT, C_READY, C_DEAD };

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

/* A server to connect to (--port takes several: clients go round robin). */
#define MAX_TARGETS 16
typedef struct target {
    int port;
    struct sockaddr_in dst;
    char hostport[80];
} target;

typedef struct loadgen {
    /* options */
    enum mode mode;
    const char *host;
    target targets[MAX_TARGETS];
    unsigned ntargets;
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
    int server_pids[MAX_TARGETS]; /* --server-pid: their figures are summed */
    unsigned nservers;
    const char *chat_room; /* --chat */

    /* runtime */
    int ep;
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
} loadgen;


extern loadgen G;
extern volatile sig_atomic_t interrupted; /* SIGINT or SIGTERM: end the run */

/* The server a client talks to. */
static inline const target *conn_target(const conn *c)
{
    return &G.targets[c->idx % G.ntargets];
}

/* Room in front of G.tx's payload for the largest WebSocket frame header. */
#define WS_HDR_MAX 14

/* Message kinds of build_msg(). */
enum { K_ECHO, K_ACK, K_BCAST };

/* ------------------------------------------------------------------ files */

/* options.c */
void parse_args(int argc, char **argv);

/* phases.c */
void begin_measure(uint64_t now);
void end_measure(uint64_t now);
uint64_t tick(uint64_t now); /* returns the next deadline */

/* client.c: fail() counts the failure (`why`: F_*), prints it (the first
 * few only) and closes the client. */
void fail(conn *c, int why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void conn_close(conn *c);
void conn_start(conn *c, uint64_t now);
void set_ready(conn *c, uint64_t now);

/* chan.c: chno 0 is c->ch, 1 is c->post. The bool functions return false
 * when the client was closed (failed). */
void chan_epoll(conn *c, chan *ch, unsigned chno, bool out);
void chan_close(chan *ch);
bool chan_open(conn *c, chan *ch, unsigned chno);
bool chan_flush(conn *c, chan *ch, unsigned chno);
bool chan_send(conn *c, chan *ch, unsigned chno, const void *data, size_t n);

/* input.c */
void on_event(uint64_t id, uint32_t events, uint64_t now);

/* websocket.c: process_* return the bytes used (0: more needed, or the
 * client was closed). */
void ws_open(conn *c);
bool ws_send_tx(conn *c, unsigned op, size_t n);
size_t process_upgrade(conn *c, const char *p, size_t n);
size_t process_ws(conn *c, const char *data, size_t n, uint64_t now);

/* polling.c */
bool post_flush(conn *c);
bool get_issue(conn *c);
size_t process_http(conn *c, unsigned chno, const char *p, size_t n, bool eof, uint64_t now);

/* http.c */
bool http_header(const char *head, size_t n, const char *name, const char **val, size_t *vlen);
int http_status(const char *p, size_t n); /* -1: not an HTTP/1.x status line */

/* protocol.c */
bool eio_send_tx(conn *c, size_t n);
bool eio_send(conn *c, const char *pkt, size_t n);
size_t build_msg(int kind, uint64_t t, uint32_t ack_id, uint32_t burst);
bool parse_u64(const char **p, const char *end, uint64_t *out);
bool eat(const char **p, const char *end, const char *lit, size_t n);
void on_eio_packet(conn *c, const char *p, size_t n, uint64_t now);

/* requests.c */
bool send_request(conn *c, uint64_t t);
void requests_start(uint64_t now);
void on_answer(conn *c, const char *p, const char *end, uint64_t now);

/* broadcast.c */
void send_burst(uint64_t now);
void on_broadcast(conn *c, const char *p, const char *end, uint64_t now);
uint64_t broadcast_tick(uint64_t now, uint64_t next);

/* chat.c: chat_join() sends the join of a client whose CONNECT was
 * answered; chat_joined() takes the ACK packet's arguments; chat_build()
 * builds a burst's message like build_msg(); chat_stamp() reads t and b
 * from a received message's arguments. */
void chat_join(conn *c);
void chat_joined(conn *c, const char *p, const char *end, uint64_t now);
size_t chat_build(uint64_t t, uint32_t burst);
bool chat_stamp(const char *p, const char *end, uint64_t *t, uint64_t *b);

/* rate.c */
void rate_start(uint64_t now);
uint64_t rate_tick(uint64_t now, uint64_t next);

/* churn.c */
void churn_answered(conn *c, uint64_t now);
void conn_finish(conn *c);
void churn_closed(const conn *c);
void churn_restart(uint64_t now);

/* report.c */
void print_results(void);

/* proc.c: the servers_* figures are summed over --server-pid's processes
 * (servers_cpu: false when one cannot be read; servers_rss_kb: -1). */
bool proc_cpu(int pid, double *out);
double proc_runq_wait(int pid); /* 0: this process */
double self_cpu(void);
long proc_rss_kb(int pid);
bool servers_cpu(double *out);
double servers_runq_wait(void);
long servers_rss_kb(void);

/* sha1_base64.c */
void sha1(const void *data, size_t len, uint8_t out[20]);
size_t base64(const uint8_t *in, size_t n, char *out); /* NUL-terminates out */

#endif
