/* What the MessagePack helpers exchange with their users, without
 * msgpack-c's headers: result codes and a value as libsio holds it, JSON
 * text with a placeholder {"_placeholder":true,"num":N} for each binary,
 * which is attachment N. The cluster layer's messages and the msgpack
 * parser of Socket.IO packets both carry values in this form. */
#ifndef SIO_MSGPACK_MP_TYPES_H
#define SIO_MSGPACK_MP_TYPES_H

#include <stddef.h>

typedef enum sio_mp_err {
    SIO_MP_OK = 0,
    SIO_MP_E_NOMEM = -1,   /* allocation failed */
    SIO_MP_E_MSGPACK = -2, /* not one well-formed MessagePack value: truncated, trailing bytes,
                              lengths beyond the input, more elements than allowed, nested
                              deeper than 32 */
    SIO_MP_E_JSON = -3,    /* JSON text that does not parse */
    SIO_MP_E_VALUE = -5,   /* a value JSON cannot hold: a string that is not UTF-8, a map key
                              that is not a string; or a bad placeholder */
} sio_mp_err;

typedef struct sio_mp_bin {
    unsigned char *data;
    size_t len;
} sio_mp_bin;

/* JSON text (NUL-terminated when made here) and its attachments. json NULL
 * means absent (undefined in JavaScript). Made by sio_mp_value_from_object,
 * it owns everything (sio_mp_value_free); given to sio_mp_pack_value, it is
 * only read. */
typedef struct sio_mp_value {
    char *json;
    size_t json_len;
    sio_mp_bin *bins;
    size_t nbins;
} sio_mp_value;

#endif
