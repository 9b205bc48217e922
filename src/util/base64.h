/* Standard base64 (RFC 4648, with padding), as Engine.IO polling carries
 * binary packets. */
#ifndef SIO_UTIL_BASE64_H
#define SIO_UTIL_BASE64_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the encoding of p[0..n) to b. Returns 0, or -1 when out of memory. */
int sio_base64_encode(sio_buf *b, const unsigned char *p, size_t n);
/* Appends the decoding of s[0..n) to b. Padding is required (n a multiple
 * of 4); any other character, misplaced padding or non-zero trailing bits
 * is an error. Returns 0, or -1 on bad input or out of memory (b is then
 * unchanged). */
int sio_base64_decode(sio_buf *b, const char *s, size_t n);

#endif
