/* Timers in a binary min-heap, driven by an injected clock.
 *
 * A timer is embedded in its owner's struct; arming an armed timer moves
 * it. The owner of the heap asks for the earliest deadline and runs the due
 * timers; nothing here reads a clock or sleeps. */
#ifndef SIO_UTIL_TIMER_HEAP_H
#define SIO_UTIL_TIMER_HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct sio_timer sio_timer;
typedef void (*sio_timer_fn)(sio_timer *t, int64_t now);

struct sio_timer {
    int64_t at;
    size_t idx; /* position in the heap, or SIO_TIMER_IDLE */
    sio_timer_fn fire;
};
#define SIO_TIMER_IDLE ((size_t)-1)

typedef struct timer_heap {
    sio_timer **h;
    size_t len, cap;
} timer_heap;

static inline void sio_timer_init(sio_timer *t, sio_timer_fn fire)
{
    t->at = 0;
    t->idx = SIO_TIMER_IDLE;
    t->fire = fire;
}
void timer_heap_init(timer_heap *th);
void timer_heap_free(timer_heap *th);
/* Arms (or re-arms) t for time `at`. Returns 0, or -1 when out of memory. */
int timer_heap_arm(timer_heap *th, sio_timer *t, int64_t at);
/* Disarms t; a no-op when idle. */
void timer_heap_cancel(timer_heap *th, sio_timer *t);
/* Earliest deadline, or INT64_MAX. */
int64_t timer_heap_next(const timer_heap *th);
/* Fires every timer due at `now`, earliest first. A timer is idle when its
 * function runs, which may re-arm it or free its owner. */
void timer_heap_run(timer_heap *th, int64_t now);

#endif
