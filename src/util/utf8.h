/* UTF-8 validation (RFC 3629): the one decoder of the project, for the JSON
 * reader, the Engine.IO v3 length counting and namespace names. */
#ifndef SIO_UTIL_UTF8_H
#define SIO_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence that starts at p[0] (n > 0 bytes available). Returns
 * its length in bytes and sets *cp; or 0 when it is invalid (overlong,
 * surrogate, above U+10FFFF, a bad continuation byte) or cut short by the end
 * of the input, in which case *truncated (when not NULL) is set. */
size_t sio_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp, bool *truncated);

/* Whether p[0..n) is valid UTF-8 (NUL bytes included: they are valid). */
bool sio_utf8_valid(const unsigned char *p, size_t n);

#endif
