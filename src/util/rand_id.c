#include "util/rand_id.h"

#include <errno.h>
#include <sys/random.h>

static const char urlsafe[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int sio_rand_id(char out[SIO_ID_LEN + 1])
{
    unsigned char raw[15];
    size_t got = 0;
    while (got < sizeof(raw)) {
        ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        got += (size_t)n;
    }
    for (int i = 0, o = 0; i < 15; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (unsigned)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = urlsafe[v >> 18];
        out[o++] = urlsafe[(v >> 12) & 63];
        out[o++] = urlsafe[(v >> 6) & 63];
        out[o++] = urlsafe[v & 63];
    }
    out[SIO_ID_LEN] = 0;
    return 0;
}
