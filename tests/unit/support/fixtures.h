/* Shared by the codec unit tests: wire fixtures from proto/, and copies of
 * inputs placed so that an over-read is caught (by ASan, or by a guard page
 * in a plain build). Failures end the current cmocka test. */
#ifndef SIO_TEST_FIXTURES_H
#define SIO_TEST_FIXTURES_H

#include <stdbool.h>
#include <stddef.h>

typedef struct fixture {
    char name[256];
    unsigned char *data; /* malloc'd, exactly len bytes (1 when empty) */
    size_t len;
} fixture;

typedef struct fixture_set {
    fixture *f;
    size_t n;
} fixture_set;

/* Loads every file of proto/<dir> whose name ends in `ext`, sorted by name.
 * proto/ is $SIO_PROTO_DIR, else the first of ./proto, ../proto, ... that
 * has <dir>. With `strict`, another file there fails the test (a misnamed
 * fixture would otherwise be skipped silently); with `strip_ext`, names are
 * given without the extension. */
fixture_set fixture_load(const char *dir, const char *ext, bool strict, bool strip_ext);
void fixture_free(fixture_set *set);

/* A copy of p[0..n) that ends exactly at a PROT_NONE page; munmap(*base,
 * *maplen) releases it. */
void *fixture_dup_guarded(const void *p, size_t n, void **base, size_t *maplen);
/* An exactly-sized heap copy (one byte allocated for n == 0, so that the
 * pointer is valid; that byte is never part of the input). */
void *fixture_dup_exact(const void *p, size_t n);

#endif
