#include "util/strmap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* A per-process random seed, so that keys a client chooses (room and
 * namespace names) cannot be picked to collide. */
static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void seed_init(void)
{
    if (getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed))
        seed = (uint64_t)(uintptr_t)&seed; /* still varies with ASLR */
}

/* FNV-1a over the seeded state, with a final mix so that the low bits used
 * by the table depend on every byte. */
static uint64_t hash_of(const char *k, size_t n)
{
    uint64_t h = 1469598103934665603ULL ^ seed;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)k[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

void strmap_init(strmap *m)
{
    pthread_once(&seed_once, seed_init);
    memset(m, 0, sizeof(*m));
}

void strmap_free(strmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    strmap_init(m);
}

static strmap_slot *find(const strmap *m, const char *key, size_t klen, uint64_t h)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        strmap_slot *s = &m->slots[i];
        if (!s->key)
            return NULL;
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
}

void *strmap_get(const strmap *m, const char *key, size_t klen)
{
    strmap_slot *s = find(m, key, klen, hash_of(key, klen));
    return s ? s->val : NULL;
}

static void place(strmap_slot *slots, size_t cap, strmap_slot s)
{
    size_t mask = cap - 1;
    size_t i = s.hash & mask;
    while (slots[i].key)
        i = (i + 1) & mask;
    slots[i] = s;
}

static int grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 16;
    strmap_slot *slots = calloc(cap, sizeof(*slots));
    if (!slots)
        return -1;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key)
            place(slots, cap, m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int strmap_put(strmap *m, const char *key, size_t klen, void *val)
{
    uint64_t h = hash_of(key, klen);
    strmap_slot *s = find(m, key, klen, h);
    if (s) {
        s->val = val;
        return 0;
    }
    if ((m->count + 1) * 4 > m->cap * 3 && grow(m))
        return -1;
    char *k = malloc(klen + 1);
    if (!k)
        return -1;
    memcpy(k, key, klen);
    k[klen] = 0;
    place(m->slots, m->cap, (strmap_slot){k, klen, h, val});
    m->count++;
    return 0;
}

void *strmap_del(strmap *m, const char *key, size_t klen)
{
    strmap_slot *s = find(m, key, klen, hash_of(key, klen));
    if (!s)
        return NULL;
    void *val = s->val;
    free(s->key);
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(s - m->slots);
    /* Backward-shift: move later entries of the probe run into the hole so
     * lookups never stop early at it. */
    for (size_t i = (hole + 1) & mask; m->slots[i].key; i = (i + 1) & mask) {
        size_t home = m->slots[i].hash & mask;
        if (((i - home) & mask) >= ((i - hole) & mask)) {
            m->slots[hole] = m->slots[i];
            hole = i;
        }
    }
    memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
    m->count--;
    return val;
}

int strmap_next(const strmap *m, size_t *i, const strmap_slot **slot)
{
    while (*i < m->cap) {
        const strmap_slot *s = &m->slots[(*i)++];
        if (s->key) {
            *slot = s;
            return 1;
        }
    }
    return 0;
}
