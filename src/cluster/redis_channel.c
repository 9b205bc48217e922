/* Channel names, server ids and error texts of the Redis codec (see
 * redis_codec.h). */
#include <string.h>
#include <sys/random.h>

#include "cluster/redis_codec.h"

#define DEFAULT_PREFIX "socket.io"

const char *sio_redis_strerror(int err)
{
    switch (err) {
    case SIO_REDIS_OK: return "ok";
    case SIO_REDIS_E_NOMEM: return "out of memory";
    case SIO_REDIS_E_MSGPACK: return "not one well-formed MessagePack value";
    case SIO_REDIS_E_JSON: return "not valid JSON";
    case SIO_REDIS_E_SHAPE: return "not a message of the Redis adapter";
    case SIO_REDIS_E_VALUE: return "a value JSON cannot hold, or a bad placeholder";
    }
    return "unknown error";
}

/* prefix + suffix + nsp + '#' [+ tail + '#'] */
static int channel(sio_buf *out, const char *prefix, const char *suffix, const char *nsp, const char *tail)
{
    size_t orig = out->len;
    if (sio_buf_puts(out, prefix ? prefix : DEFAULT_PREFIX) || sio_buf_puts(out, suffix) || sio_buf_puts(out, nsp) ||
        sio_buf_putc(out, '#') || (tail && (sio_buf_puts(out, tail) || sio_buf_putc(out, '#')))) {
        out->len = orig;
        return -1;
    }
    return 0;
}

int sio_redis_broadcast_channel(sio_buf *out, const char *prefix, const char *nsp, const char *room)
{
    return channel(out, prefix, "#", nsp, room);
}

int sio_redis_request_channel(sio_buf *out, const char *prefix, const char *nsp)
{
    return channel(out, prefix, "-request#", nsp, NULL);
}

int sio_redis_response_channel(sio_buf *out, const char *prefix, const char *nsp, const char *uid)
{
    return channel(out, prefix, "-response#", nsp, uid);
}

bool sio_redis_channel_room(const char *ch, size_t len, const char *prefix, const char *nsp, const char **room,
                            size_t *room_len)
{
    if (!prefix)
        prefix = DEFAULT_PREFIX;
    size_t pl = strlen(prefix), nl = strlen(nsp);
    size_t base = pl + 1 + nl + 1; /* prefix#nsp# */
    if (len < base || memcmp(ch, prefix, pl) != 0 || ch[pl] != '#' || memcmp(ch + pl + 1, nsp, nl) != 0 ||
        ch[base - 1] != '#')
        return false;
    *room = ch + base;
    *room_len = len > base ? len - base - 1 : 0; /* Node drops the last character, whatever it is */
    return true;
}

int sio_redis_make_uid(char out[SIO_REDIS_UID_LEN + 1])
{
    /* 64 characters: a byte modulo 64 is uniform. */
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[SIO_REDIS_UID_LEN];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -1;
    for (size_t i = 0; i < sizeof(r); i++)
        out[i] = chars[r[i] % 64];
    out[SIO_REDIS_UID_LEN] = 0;
    return 0;
}
