/* Bounded MessagePack unpacking (see mp_unpack.h). */
#include "msgpack/mp_unpack.h"

#include <stdbool.h>
#include <stdint.h>

#include "msgpack/mp_types.h"

/* ---- A counting instance of msgpack-c's unpack template ----
 * The template expands to a parser calling msgpack_unpack_callback(_x) for
 * every value; these callbacks keep no objects, they only charge each
 * container's announced elements against what the input can hold. */

typedef struct budget {
    size_t left; /* elements the rest of the input could still hold */
} budget;

typedef int count_obj; /* nothing is built */

static inline count_obj count_root(budget *u) { (void)u; return 0; }
static inline int count_scalar(budget *u, count_obj *o) { (void)u; *o = 0; return 0; }
#define COUNT_NUM(name, T) \
    static inline int count_##name(budget *u, T d, count_obj *o) { (void)d; return count_scalar(u, o); }
COUNT_NUM(uint8, uint8_t)
COUNT_NUM(uint16, uint16_t)
COUNT_NUM(uint32, uint32_t)
COUNT_NUM(uint64, uint64_t)
COUNT_NUM(int8, int8_t)
COUNT_NUM(int16, int16_t)
COUNT_NUM(int32, int32_t)
COUNT_NUM(int64, int64_t)
COUNT_NUM(float, float)
COUNT_NUM(double, double)
#undef COUNT_NUM
static inline int count_nil(budget *u, count_obj *o) { return count_scalar(u, o); }
static inline int count_true(budget *u, count_obj *o) { return count_scalar(u, o); }
static inline int count_false(budget *u, count_obj *o) { return count_scalar(u, o); }

static inline int charge(budget *u, uint64_t elements, count_obj *o)
{
    *o = 0;
    if (elements > u->left)
        return MSGPACK_UNPACK_PARSE_ERROR;
    u->left -= (size_t)elements;
    return 0;
}
static inline int count_array(budget *u, unsigned n, count_obj *o) { return charge(u, n, o); }
static inline int count_map(budget *u, unsigned n, count_obj *o) { return charge(u, 2 * (uint64_t)n, o); }
static inline int count_array_item(budget *u, count_obj *c, count_obj o) { (void)u; (void)c; (void)o; return 0; }
static inline int count_map_item(budget *u, count_obj *c, count_obj k, count_obj v)
{
    (void)u; (void)c; (void)k; (void)v;
    return 0;
}
static inline int count_bytes(budget *u, const char *b, const char *p, unsigned l, count_obj *o)
{
    (void)b; (void)p; (void)l;
    return count_scalar(u, o);
}
#define count_str count_bytes
#define count_bin count_bytes
#define count_ext count_bytes

#define msgpack_unpack_struct(name) struct count##name
#define msgpack_unpack_func(ret, name) static inline ret count##name
#define msgpack_unpack_callback(name) count##name
#define msgpack_unpack_object count_obj
#define msgpack_unpack_user budget

#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif
#include <msgpack/unpack_define.h>
#include <msgpack/unpack_template.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

/* Whether p[0..n) is one complete value whose containers fit the input. */
static bool fits(const void *p, size_t n, size_t max_elements)
{
    struct count_context ctx;
    count_init(&ctx);
    ctx.user.left = n < max_elements ? n : max_elements;
    size_t off = 0;
    int rc = count_execute(&ctx, (const char *)p, n, &off);
    return rc == 1 && off == n;
}

int sio_mp_unpack(const void *p, size_t n, msgpack_unpacked *out)
{
    return sio_mp_unpack_max(p, n, SIZE_MAX, out);
}

int sio_mp_unpack_max(const void *p, size_t n, size_t max_elements, msgpack_unpacked *out)
{
    msgpack_unpacked_init(out);
    if (n == 0 || !fits(p, n, max_elements))
        return SIO_MP_E_MSGPACK;
    size_t off = 0;
    msgpack_unpack_return rc = msgpack_unpack_next(out, (const char *)p, n, &off);
    if (rc == MSGPACK_UNPACK_NOMEM_ERROR)
        return SIO_MP_E_NOMEM;
    if (rc != MSGPACK_UNPACK_SUCCESS || off != n)
        return SIO_MP_E_MSGPACK;
    return SIO_MP_OK;
}
