/* HTTP/1.1 request framing (RFC 9112 sections 6, 7.1 and 9.3), without I/O.
 *
 * The rules the transport applies before it reads a byte of a request body:
 * which length framing a request declares (one valid Content-Length, or
 * chunked, never both), whether the connection stays open after the answer,
 * and a decoder for chunked bodies. As strict as Node's parser (llhttp) and
 * nginx: anything ambiguous is refused, because a server and a proxy in front
 * of it that read the same bytes differently is how requests are smuggled. */
#ifndef SIO_HTTP_FRAMING_H
#define SIO_HTTP_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

typedef enum http_body_framing {
    HTTP_BODY_NONE,    /* neither header: no body */
    HTTP_BODY_LENGTH,  /* a single valid Content-Length */
    HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked and no Content-Length */
    HTTP_BODY_INVALID, /* refuse with 400 and close the connection */
} http_body_framing;

/* The framing of a request from its Content-Length and Transfer-Encoding
 * values (NULL when absent; a header sent twice comes as its values joined
 * by ','). Content-Length must be decimal digits only, at most 18 of them
 * (duplicates, signs, spaces inside and junk are invalid); the only transfer
 * coding taken is "chunked" alone. On HTTP_BODY_LENGTH, *length is set. */
http_body_framing http_request_framing(const char *content_length, const char *transfer_encoding,
                                       uint64_t *length);

/* Whether the connection stays open after the answer to a request of
 * HTTP/1.`minor` with this Connection value (NULL when absent): HTTP/1.1
 * unless the "close" option is listed, HTTP/1.0 only when "keep-alive" is. */
bool http_keep_alive(int minor, const char *connection);

/* Decoder of a chunked body. Zero-initialise, then feed it bytes. */
typedef struct http_chunked {
    uint8_t state;
    uint8_t digits;  /* hex digits of the current chunk size */
    uint64_t remain; /* bytes of the current chunk still to come */
    size_t line;     /* bytes of the current extension or trailer line */
} http_chunked;

enum {
    HTTP_CHUNKED_MORE = 0,    /* all of the input taken; the body goes on */
    HTTP_CHUNKED_DONE = 1,    /* the last chunk and the trailer ended */
    HTTP_CHUNKED_INVALID = -1,
    HTTP_CHUNKED_TOO_BIG = -2, /* the decoded body would pass `max` */
    HTTP_CHUNKED_NOMEM = -3,
};

/* Decodes `len` bytes of chunked framing, appending the data to `out`
 * (whose length is the body so far, capped at `max` bytes). Returns one of
 * the codes above; on HTTP_CHUNKED_DONE, *used is the number of bytes of
 * `in` that belonged to the body (the rest is the next request). Extension
 * and trailer lines are skipped, each at most 4 KB; line ends are CRLF. */
int http_chunked_decode(http_chunked *c, const unsigned char *in, size_t len, sio_buf *out, size_t max,
                        size_t *used);

#endif
