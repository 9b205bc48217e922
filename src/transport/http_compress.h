/* Compression of polling responses (engine.io's httpCompression), without
 * I/O: which encoding a request accepts, and the encoder, on zlib.
 *
 * As Node's engine.io 6.6: a response is compressed when compression is on,
 * its body has at least `threshold` bytes (1024 by default), and the
 * request's Accept-Encoding takes gzip or deflate ("deflate" is the zlib
 * format, as Node's zlib.createDeflate writes it). */
#ifndef SIO_HTTP_COMPRESS_H
#define SIO_HTTP_COMPRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

typedef enum http_encoding {
    HTTP_ENC_IDENTITY,
    HTTP_ENC_GZIP,
    HTTP_ENC_DEFLATE,
} http_encoding;

/* The encoding to answer with, from an Accept-Encoding value (NULL when
 * absent: identity), as Node's `accepts` negotiates it: of gzip and
 * deflate, the one with the higher quality ("*" stands for one not named),
 * the one the client lists first on a tie (gzip when both come from "*");
 * identity when neither is acceptable (absent, q=0, or a malformed q). */
http_encoding http_pick_encoding(const char *accept_encoding);

/* The Content-Encoding value of an encoding ("gzip", "deflate"), or NULL. */
const char *http_encoding_name(http_encoding e);

/* An encoder: zlib streams made on first use and reset between bodies.
 * Zero-initialise; http_encoder_free when done. */
typedef struct http_encoder {
    void *gzip, *deflate; /* z_stream * */
} http_encoder;

/* Compresses in[0..n) into `out` (reset first). Returns 0, or -1 when out
 * of memory or zlib fails (out is then unspecified). */
int http_compress(http_encoder *z, http_encoding e, const void *in, size_t n, sio_buf *out);
void http_encoder_free(http_encoder *z);

#endif
