/* Values between MessagePack and libsio's JSON text with placeholders.
 *
 * MessagePack -> JSON: each bin becomes {"_placeholder":true,"num":N}, N
 * counting from 0 in document order, and its bytes attachment N; integers
 * stay exact, floats take their shortest exact text (NaN and infinities
 * null), a timestamp its Date.toJSON text; notepack.io 2's extension type
 * 0 as that library reads it: undefined null, a Date its Date.toJSON text,
 * an ArrayBuffer an attachment; other extension types null.
 * JSON -> MessagePack: the reverse, as notepack.io writes it: integers in
 * the smallest integer form, other numbers as float 64, each placeholder
 * the bin of its attachment. */
#ifndef SIO_MSGPACK_MP_VALUE_H
#define SIO_MSGPACK_MP_VALUE_H

#include <msgpack.h>
#include <stdbool.h>
#include <stddef.h>

#include "msgpack/mp_types.h"
#include "util/buf.h"

/* Whether o is notepack.io 2's undefined (fixext 1 of type 0); o must
 * come from sio_mp_unpack (see notepack2_ext in mp_value.c). */
bool sio_mp_is_undefined(const msgpack_object *o);

/* Appends the JSON text of o to json and its binaries to (*bins, *nbins)
 * (a malloc'd array of malloc'd copies, which the caller frees also on
 * failure). Returns SIO_MP_OK, SIO_MP_E_VALUE (a string that is not
 * UTF-8, a map key that is not a string) or SIO_MP_E_NOMEM. */
int sio_mp_json_from_object(const msgpack_object *o, sio_buf *json, sio_mp_bin **bins, size_t *nbins);
/* The same into a value that owns its text and attachments (zeroed and
 * empty on failure). */
int sio_mp_value_from_object(const msgpack_object *o, sio_mp_value *v);
void sio_mp_value_free(sio_mp_value *v);

/* A packer that appends to a sio_buf (writes fail with -1 when out of memory). */
void sio_mp_packer_init(msgpack_packer *pk, sio_buf *out);

/* Packs v (not absent). With attachments, every object whose _placeholder
 * is true is one, and must have an integer num naming an attachment (as
 * socket.io-parser reads them); without, such objects are plain objects.
 * Returns SIO_MP_OK, SIO_MP_E_JSON, SIO_MP_E_VALUE (a bad
 * placeholder, a number beyond a double) or SIO_MP_E_NOMEM. */
int sio_mp_pack_value(msgpack_packer *pk, const sio_mp_value *v);
/* Packs a string (UTF-8, length n). Returns 0 or -1 (out of memory). */
int sio_mp_pack_strn(msgpack_packer *pk, const char *s, size_t n);
int sio_mp_pack_str(msgpack_packer *pk, const char *s);

#endif
