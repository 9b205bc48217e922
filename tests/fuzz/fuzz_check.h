/* Shared by the fuzz targets: the libFuzzer entry point's prototype (for
 * -Wmissing-prototypes) and a check that stops the run on a broken
 * invariant. A failed check aborts, so libFuzzer saves the input as a crash
 * like any sanitizer report. */
#ifndef SIO_FUZZ_CHECK_H
#define SIO_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
