#include "util/timer_heap.h"

#include <stdlib.h>

void timer_heap_init(timer_heap *th)
{
    th->h = NULL;
    th->len = th->cap = 0;
}

void timer_heap_free(timer_heap *th)
{
    for (size_t i = 0; i < th->len; i++)
        th->h[i]->idx = SIO_TIMER_IDLE;
    free(th->h);
    timer_heap_init(th);
}

static void swap(timer_heap *th, size_t a, size_t b)
{
    sio_timer *t = th->h[a];
    th->h[a] = th->h[b];
    th->h[b] = t;
    th->h[a]->idx = a;
    th->h[b]->idx = b;
}

static void sift(timer_heap *th, size_t i)
{
    while (i > 0 && th->h[i]->at < th->h[(i - 1) / 2]->at) {
        swap(th, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < th->len && th->h[l]->at < th->h[m]->at)
            m = l;
        if (r < th->len && th->h[r]->at < th->h[m]->at)
            m = r;
        if (m == i)
            return;
        swap(th, i, m);
        i = m;
    }
}

int timer_heap_arm(timer_heap *th, sio_timer *t, int64_t at)
{
    t->at = at;
    if (t->idx != SIO_TIMER_IDLE) {
        sift(th, t->idx);
        return 0;
    }
    if (th->len == th->cap) {
        size_t cap = th->cap ? th->cap * 2 : 64;
        sio_timer **h = realloc(th->h, cap * sizeof(*h));
        if (!h)
            return -1;
        th->h = h;
        th->cap = cap;
    }
    t->idx = th->len;
    th->h[th->len++] = t;
    sift(th, t->idx);
    return 0;
}

void timer_heap_cancel(timer_heap *th, sio_timer *t)
{
    size_t i = t->idx;
    if (i == SIO_TIMER_IDLE)
        return;
    t->idx = SIO_TIMER_IDLE;
    th->len--;
    if (i != th->len) {
        th->h[i] = th->h[th->len];
        th->h[i]->idx = i;
        sift(th, i);
    }
}

int64_t timer_heap_next(const timer_heap *th) { return th->len ? th->h[0]->at : INT64_MAX; }

void timer_heap_run(timer_heap *th, int64_t now)
{
    while (th->len && th->h[0]->at <= now) {
        sio_timer *t = th->h[0];
        timer_heap_cancel(th, t);
        t->fire(t, now);
    }
}
