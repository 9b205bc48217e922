/* The engine's state and its internal calls, shared by the files of the
 * engine and by nothing else: the layers above see the engine only through
 * eio_engine.h. The files, by job:
 *   eio_engine.c      the sessions table, admission, the timers, reaping
 *   eio_session.c     one session's lifecycle: handshake, connections,
 *                     incoming packets, close
 *   eio_send_queue.c  the send queue and its limits
 *   eio_polling.c     the held GET and the POST of long-polling
 *   eio_websocket.c   the upgrade probe and WebSocket frames
 *   eio_faults.c      faults and the tap of test servers (eio_faults.h) */
#ifndef SIO_EIO_ENGINE_IMPL_H
#define SIO_EIO_ENGINE_IMPL_H

#include "eio/eio_codec.h"
#include "eio/eio_engine.h"
#include "eio/eio_faults.h"
#include "eio/eio_metrics.h"
#include "util/rand_id.h"
#include "util/strmap.h"
#include "util/timer_heap.h"

enum session_state { S_OPEN, S_CLOSING, S_CLOSED };

struct eio_session {
    eio_engine *eng;
    char sid[SIO_ID_LEN + 1];
    uint8_t state;
    uint8_t transport;
    uint8_t close_reason;
    uint8_t protocol; /* 3 or 4 */
    bool b64;         /* v3: base64 payloads instead of binary framing */
    bool upgrading;   /* the probe was answered: polling only gets noops now */
    bool probe_reply; /* "3probe" is owed on the probe connection */
    bool final_noop;  /* the held GET is owed a last "6" (client closed) */
    bool final_close; /* the held GET is owed a last "1" (closed for an error) */
    bool close_sent;  /* the close packet went out in a poll: close when taken */
    eio_conn *get, *post, *ws, *probe;

    /* Send queue: a ring of message references. */
    sio_msg **q;
    uint32_t qhead, qlen, qcap;
    size_t qbytes;

    int64_t ping_at;    /* when to send the next ping, or 0 */
    int64_t pong_by;    /* when the pong is overdue, or 0 */
    int64_t upgrade_by; /* when an unfinished upgrade is abandoned, or 0 */
    int64_t close_by;   /* when a graceful close stops waiting, or 0 */
    /* In the engine's heap at the earliest of the above (INT64_MAX when
     * none) from the handshake until the close. */
    sio_timer timer;

    void *user;
    char *query; /* the handshake's query string, or NULL */
    sio_request *req; /* the handshake's request (a reference), or NULL */
    eio_session *reap_next;
    eio_session *notify_next; /* closed, the layer above not yet told */
    eio_fx *fx; /* its faults and delayed messages (eio_faults.h), or NULL */
};

struct eio_engine {
    eio_options opt;
    eio_transport_ops ops;
    eio_handler h;
    strmap sids;
    timer_heap timers; /* every open session, by its earliest deadline */
    eio_session *reap; /* closed, waiting for their connections to let go */
    /* Closed sessions whose on_close is still owed, oldest first. The layer
     * above hears of a close only from eio_engine_reap(), never from inside
     * a call it made (a send that overflowed a queue, say), so it never has
     * its state freed under its feet. */
    eio_session *notify_head, *notify_tail;
    int64_t now;       /* the latest time any entry point was given */
    /* Shared constant packets. */
    sio_msg *ping, *pong, *noop, *close, *probe_pong;
    size_t qbytes; /* what every session's queue costs, in all */
    eio_fault_cfg faults; /* every session's faults, and the tap (eio_faults.h) */
    eio_metrics metrics;
};

/* --- internal calls between the engine's files ---------------------------- */

/* eio_session.c */
void eio_session_free(eio_session *s);
/* Moves the session in the engine's heap after one of its timers changed. */
void eio_timers_changed(eio_session *s);
void eio_conn_attach(eio_session *s, eio_conn **slot, eio_conn *c, eio_conn_role role);
/* Clears the session's slot for c and c's back pointer. */
void eio_conn_detach(eio_conn *c);
/* Lets go of a WebSocket and asks the transport to close it. */
void eio_drop_ws(eio_session *s, eio_conn *c);
/* Ends the session now (see eio_session.c); the memory goes at the next reap. */
void eio_close_session(eio_session *s, eio_close_reason reason, bool answer_get_with_close);
/* Closes once what is queued has gone out, or ping_timeout has passed. */
void eio_graceful_close(eio_session *s, eio_close_reason reason);
/* Acts on one packet from the session's current transport: 0, or -1 for a
 * protocol error (the session is then closed). */
int eio_on_packet(eio_session *s, const eio_packet *p, int64_t now);

/* eio_send_queue.c */
/* Asks the transport for a write on the connection that carries the queue. */
void eio_wake_writer(eio_session *s);
/* Queues m (a reference is taken): EIO_SEND_OK, or EIO_SEND_QUEUE_FULL (the
 * session is then closed). `over_limit_ok` skips the limits and faults. */
int eio_enqueue_msg(eio_session *s, sio_msg *m, bool over_limit_ok);
int eio_enqueue(eio_session *s, sio_msg *m);
/* The oldest queued message (the caller's reference), or NULL. */
sio_msg *eio_dequeue(eio_session *s);

#endif
