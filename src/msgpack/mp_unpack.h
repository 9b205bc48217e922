/* MessagePack input with bounds: one value, read by msgpack-c only after
 * its container lengths are known to fit the input.
 *
 * msgpack-c allocates an array's or a map's elements when it reads the
 * length, before it has seen them: five bytes announcing 2^32 - 1 elements
 * would ask for 64 GB. sio_mp_unpack first runs msgpack-c's own
 * parser (its unpack template) with callbacks that build nothing and only
 * count: every element takes at least one byte, so the elements announced
 * by all containers together may not exceed the input's length. Only then
 * does msgpack_unpack_next build the objects, whose memory is then bounded
 * by a small multiple of the input. */
#ifndef SIO_MSGPACK_MP_UNPACK_H
#define SIO_MSGPACK_MP_UNPACK_H

#include <msgpack.h>
#include <stddef.h>

/* Unpacks p[0..n) as exactly one MessagePack value into *out (initialised
 * here; release it with msgpack_unpacked_destroy whatever the result). The
 * objects may point into p, which must outlive them. Returns SIO_MP_OK,
 * SIO_MP_E_MSGPACK (truncated, trailing bytes, lengths beyond the input,
 * nested deeper than msgpack-c's 32 levels, an unused type byte) or
 * SIO_MP_E_NOMEM. */
int sio_mp_unpack(const void *p, size_t n, msgpack_unpacked *out);
/* The same with at most max_elements elements in all containers together
 * (SIO_MP_E_MSGPACK past them): the objects then take at most about
 * 24 * max_elements bytes whatever the input's length. */
int sio_mp_unpack_max(const void *p, size_t n, size_t max_elements, msgpack_unpacked *out);

#endif
