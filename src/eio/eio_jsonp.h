/* JSONP polling (the `j` query parameter), as Engine.IO v3 clients use it
 * where XHR is unavailable: pure functions over buffers.
 *
 * A poll is answered with a script calling the client's callback:
 *   ___eio[<j>]("<payload as a JavaScript string>");
 * and a JSONP POST sends an application/x-www-form-urlencoded body whose
 * field `d` holds the payload, with newlines sent as the two characters \n. */
#ifndef SIO_EIO_JSONP_H
#define SIO_EIO_JSONP_H

#include <stddef.h>

#include "util/buf.h"

/* Appends the script for a text payload. U+2028 and U+2029 are escaped too:
 * they end a line in JavaScript. Returns 0, or -1 when out of memory. */
int eio_jsonp_wrap(sio_buf *out, unsigned long index, const unsigned char *payload, size_t n);
/* Appends the payload carried by a JSONP POST body. Returns 0, or -1 when
 * the body has no `d` field, a bad %-escape, or out of memory. */
int eio_jsonp_unwrap(sio_buf *out, const unsigned char *body, size_t n);

#endif
