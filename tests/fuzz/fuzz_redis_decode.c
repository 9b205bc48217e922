/* Fuzz target: the decoders of the Redis adapter's messages
 * (cluster/redis_codec), which read whatever anyone with access to Redis
 * publishes on the adapter's channels.
 *
 * Feeds: the input as a broadcast, a request and a response (MessagePack;
 * JSON for requests and responses when it starts with '{').
 * Checks, beyond memory safety (msgpack-c allocating what the input
 * announces is a memory error here: libFuzzer's malloc limit catches it):
 *   - an error leaves the struct zeroed;
 *   - a decoded message encodes again, and that encoding decodes to the
 *     same values (the data's JSON text and attachments). */
#include <stdbool.h>
#include <string.h>

#include "cluster/redis_codec.h"
#include "fuzz_check.h"
#include "util/buf.h"

static bool zeroed(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static bool same_value(const sio_redis_value *a, const sio_redis_value *b)
{
    if (!a->json || !b->json)
        return !a->json && !b->json;
    if (a->json_len != b->json_len || memcmp(a->json, b->json, a->json_len) || a->nbins != b->nbins)
        return false;
    for (size_t i = 0; i < a->nbins; i++)
        if (a->bins[i].len != b->bins[i].len ||
            (a->bins[i].len && memcmp(a->bins[i].data, b->bins[i].data, a->bins[i].len)))
            return false;
    return true;
}

static void broadcast(const uint8_t *data, size_t size)
{
    sio_redis_broadcast m, again;
    int rc = sio_redis_broadcast_decode(data, size, &m);
    FUZZ_CHECK(sio_redis_strerror(rc) != NULL);
    if (rc) {
        FUZZ_CHECK(rc < 0 && zeroed(&m, sizeof(m)));
        return;
    }
    sio_buf out;
    sio_buf_init(&out, 0);
    rc = sio_redis_broadcast_encode(&m, &out);
    FUZZ_CHECK(rc == SIO_REDIS_OK || rc == SIO_REDIS_E_NOMEM);
    if (rc == SIO_REDIS_OK) {
        FUZZ_CHECK(sio_redis_broadcast_decode(out.data, out.len, &again) == SIO_REDIS_OK);
        FUZZ_CHECK(strcmp(again.uid, m.uid) == 0 && strcmp(again.packet.nsp, m.packet.nsp) == 0);
        FUZZ_CHECK(again.packet.type == m.packet.type && again.opts.rooms.n == m.opts.rooms.n);
        FUZZ_CHECK(same_value(&again.packet.data, &m.packet.data) || !m.packet.data.json);
        sio_redis_broadcast_free(&again);
    }
    sio_buf_free(&out);
    sio_redis_broadcast_free(&m);
}

static void request(const uint8_t *data, size_t size)
{
    sio_redis_request r, again;
    int rc = sio_redis_request_decode(data, size, &r);
    if (rc) {
        FUZZ_CHECK(rc < 0 && zeroed(&r, sizeof(r)));
        return;
    }
    sio_buf out;
    sio_buf_init(&out, 0);
    rc = sio_redis_request_encode(&r, &out);
    FUZZ_CHECK(rc == SIO_REDIS_OK || rc == SIO_REDIS_E_NOMEM);
    if (rc == SIO_REDIS_OK) {
        FUZZ_CHECK(sio_redis_request_decode(out.data, out.len, &again) == SIO_REDIS_OK);
        FUZZ_CHECK(again.type == r.type && same_value(&again.data, &r.data));
        FUZZ_CHECK(r.type != SIO_REDIS_BROADCAST || same_value(&again.packet.data, &r.packet.data) ||
                   !r.packet.data.json);
        sio_redis_request_free(&again);
    }
    sio_buf_free(&out);
    sio_redis_request_free(&r);
}

static void response(const uint8_t *data, size_t size)
{
    sio_redis_response r, again;
    int rc = sio_redis_response_decode(data, size, &r);
    if (rc) {
        FUZZ_CHECK(rc < 0 && zeroed(&r, sizeof(r)));
        return;
    }
    sio_buf out;
    sio_buf_init(&out, 0);
    rc = sio_redis_response_encode(&r, &out);
    FUZZ_CHECK(rc == SIO_REDIS_OK || rc == SIO_REDIS_E_NOMEM);
    if (rc == SIO_REDIS_OK) {
        FUZZ_CHECK(sio_redis_response_decode(out.data, out.len, &again) == SIO_REDIS_OK);
        FUZZ_CHECK(again.has_type == r.has_type && same_value(&again.data, &r.data));
        FUZZ_CHECK(again.nsockets + again.sids.n == r.nsockets + r.sids.n);
        sio_redis_response_free(&again);
    }
    sio_buf_free(&out);
    sio_redis_response_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    broadcast(data, size);
    request(data, size);
    response(data, size);
    return 0;
}
