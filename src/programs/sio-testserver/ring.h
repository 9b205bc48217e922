/* A bounded ring of fixed-size items, for the event log and the packet
 * journal: the newest kept, the oldest dropped when it is full. */
#ifndef SIO_TESTSERVER_RING_H
#define SIO_TESTSERVER_RING_H

#include <stddef.h>

typedef struct ts_ring {
    unsigned char *items; /* cap items of `size` bytes, allocated on the first push */
    size_t size, cap;
    size_t head, len;      /* the oldest item, and how many there are */
} ts_ring;

/* The slot of a new item at the end (zeroed), for a ring of items of
 * `size` bytes holding at most `cap`; when it is full, `drop` is called on
 * the oldest item, whose slot is reused. NULL when out of memory. */
void *ts_ring_push(ts_ring *r, size_t size, size_t cap, void (*drop)(void *item));
/* Item i, oldest first (i < r->len). */
void *ts_ring_at(const ts_ring *r, size_t i);
/* Drops every item (drop called on each) and frees the ring. */
void ts_ring_clear(ts_ring *r, void (*drop)(void *item));

#endif
