/* A bounded ring (ring.h). */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

void *ts_ring_push(ts_ring *r, size_t size, size_t cap, void (*drop)(void *item))
{
    if (!r->items) {
        if (!(r->items = calloc(cap, size)))
            return NULL;
        r->size = size;
        r->cap = cap;
    }
    void *slot;
    if (r->len == r->cap) {
        slot = r->items + r->head * r->size;
        drop(slot);
        r->head = (r->head + 1) % r->cap;
    } else {
        slot = r->items + ((r->head + r->len) % r->cap) * r->size;
        r->len++;
    }
    memset(slot, 0, r->size);
    return slot;
}

void *ts_ring_at(const ts_ring *r, size_t i) { return r->items + ((r->head + i) % r->cap) * r->size; }

void ts_ring_clear(ts_ring *r, void (*drop)(void *item))
{
    for (size_t i = 0; i < r->len; i++)
        drop(ts_ring_at(r, i));
    free(r->items);
    memset(r, 0, sizeof(*r));
}
