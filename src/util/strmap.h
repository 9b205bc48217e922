/* A hash map from byte-string keys to pointers (open addressing, linear
 * probing, backward-shift deletion). Keys are copied into the map. */
#ifndef SIO_UTIL_STRMAP_H
#define SIO_UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct strmap_slot {
    char *key; /* NULL when empty; NUL-terminated copy */
    size_t klen;
    uint64_t hash;
    void *val;
} strmap_slot;

typedef struct strmap {
    strmap_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t count;
} strmap;

void strmap_init(strmap *m);
/* Frees the map's memory (not the values). */
void strmap_free(strmap *m);
void *strmap_get(const strmap *m, const char *key, size_t klen);
/* Inserts or replaces. Returns 0, or -1 when out of memory. */
int strmap_put(strmap *m, const char *key, size_t klen, void *val);
/* Removes the key; returns its value or NULL when absent. */
void *strmap_del(strmap *m, const char *key, size_t klen);
/* Iteration: for (size_t i = 0; strmap_next(m, &i, &slot);) ... Do not
 * insert or delete while iterating. */
int strmap_next(const strmap *m, size_t *i, const strmap_slot **slot);

#endif
