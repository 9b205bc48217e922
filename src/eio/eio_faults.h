/* Fault injection and a packet tap, for test servers (include/sio_testing.h).
 *
 * A test server makes the network misbehave on purpose, so that a client's
 * reconnection logic can be tested: no heartbeat, polls held or cut, the
 * upgrade refused, every packet late. Faults apply to one session or to
 * every session (those to come included). Unused, they cost one test of a
 * zero word per ping, poll and send.
 *
 * The tap sees every Engine.IO message (a Socket.IO packet or one of its
 * binary attachments) a session receives, and every one queued for it to
 * send, in order. */
#ifndef SIO_EIO_FAULTS_H
#define SIO_EIO_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "eio/eio_engine.h"
#include "util/msg.h"

#define EIO_FAULT_NO_HEARTBEAT 1u    /* v4: no pings sent (nor pong awaited); v3: pings unanswered */
#define EIO_FAULT_STALL_POLLS 2u     /* held polling GETs are never answered, not even when the
                                      * session closes */
#define EIO_FAULT_CLOSE_POLLS 4u     /* a polling GET's connection is dropped as it arrives */
#define EIO_FAULT_REFUSE_UPGRADE 8u  /* WebSocket upgrades (and, for every session, WebSocket
                                      * handshakes) are refused with 400 */
#define EIO_FAULT_DELAY 16u          /* every message (not the heartbeat) waits delay_ms before it is queued */
#define EIO_FAULTS_ALL 31u

typedef void (*eio_tap_fn)(void *ctx, eio_session *s, bool outgoing, const unsigned char *p, size_t n,
                           bool binary);

/* The engine's: faults of every session, the tap, and the clock delays are
 * measured on (the engine's own `now` may be older than the present when a
 * message is sent from outside its entry points). */
typedef struct eio_fault_cfg {
    unsigned faults, delay_ms;
    eio_tap_fn tap;
    void *tap_ctx;
    int64_t (*clock)(void);
} eio_fault_cfg;

/* A message held back by a delay. */
typedef struct eio_held {
    sio_msg *m;
    int64_t due;
    struct eio_held *next;
} eio_held;

/* A session's: its own faults, and what its delay holds back, in order. */
typedef struct eio_fx {
    unsigned faults, delay_ms;
    eio_held *head, *tail;
} eio_fx;

/* --- for the layers above -------------------------------------------------- */

/* Sets the faults of every session (EIO_FAULT_* bits; 0 clears them). */
void eio_engine_set_faults(eio_engine *e, unsigned faults, unsigned delay_ms);
/* Sets one session's own faults, on top of every session's. Returns 0, or
 * -1 when out of memory. */
int eio_session_set_faults(eio_session *s, unsigned faults, unsigned delay_ms);
/* The faults in force for the session: its own and every session's. */
unsigned eio_session_faults(const eio_session *s);
void eio_engine_set_tap(eio_engine *e, eio_tap_fn tap, void *ctx, int64_t (*clock)(void));
/* The open session with this sid, or NULL. */
eio_session *eio_engine_find_session(eio_engine *e, const char *sid);
/* One open session, or NULL when there is none. */
eio_session *eio_engine_any_session(eio_engine *e);
/* Drops every connection of the session at once, without a close packet
 * or a WebSocket close (the transport resets the TCP connections), and
 * closes the session ("transport close"): the client's next request finds
 * no session. */
void eio_session_abort(eio_session *s);

/* --- between the engine and eio_faults.c ----------------------------------- */

eio_fault_cfg *eio_engine_fault_cfg(eio_engine *e);
eio_fx **eio_session_fx(eio_session *s);
/* Whether `m` must wait (a delay is in force, or earlier messages wait):
 * then it is held (a reference taken) and true is returned. `now` is the
 * engine's time, used when `c` has no clock. */
bool eio_fx_hold(eio_session *s, const eio_fault_cfg *c, sio_msg *m, int64_t now);
/* The next held message due at `now`, taken off the list (the caller owns
 * its reference), or NULL. With `all`, the next one whatever its time. */
sio_msg *eio_fx_take(eio_fx *fx, int64_t now, bool all);
/* When the first held message is due, or 0. */
static inline int64_t eio_fx_due(const eio_fx *fx) { return fx && fx->head ? fx->head->due : 0; }
void eio_fx_free(eio_fx *fx);

#endif
