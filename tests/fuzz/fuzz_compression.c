/* Fuzz target: what a client sends the compressions of the transport, as
 * every request and WebSocket message reaches them: the Accept-Encoding
 * negotiation (http_pick_encoding), the permessage-deflate offer
 * (ws_deflate_acceptable), and the inflation of a compressed message
 * (ws_inflate_message), the same bytes in one message and split in two on
 * one inflater.
 *
 * Input: a byte choosing the split, then the bytes, used as a header value
 * (up to the first NUL) and as a compressed message. Checks, beyond memory
 * safety and zlib's bounds:
 *   - the header rules give the same answer twice (no hidden state);
 *   - an inflated message is never longer than the limit;
 *   - whatever inflated, compressed again by the server's compressor and
 *     inflated by a fresh inflater, comes back byte for byte. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "transport/http_compress.h"
#include "transport/ws_deflate.h"

#define LIMIT 65536

static ws_deflater deflater; /* shared by every message, as the server's */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t split = data[0];
    data++;
    size--;

    char *header = strndup((const char *)data, size);
    if (!header)
        return 0;
    http_encoding e = http_pick_encoding(header);
    FUZZ_CHECK(e == http_pick_encoding(header));
    bool ok = ws_deflate_acceptable(header);
    FUZZ_CHECK(ok == ws_deflate_acceptable(header));
    free(header);

    sio_buf out, again, z;
    sio_buf_init(&out, 0);
    sio_buf_init(&again, 0);
    sio_buf_init(&z, 0);
    ws_inflater f = {0};
    int rc = ws_inflate_message(&f, data, size, LIMIT, &out);
    FUZZ_CHECK(rc == WS_INFLATE_OK || rc == WS_INFLATE_BAD || rc == WS_INFLATE_TOO_BIG);
    if (rc == WS_INFLATE_OK) {
        FUZZ_CHECK(out.len <= LIMIT);
        FUZZ_CHECK(ws_deflate_message(&deflater, NULL, 0, out.data, out.len, &z) == 0);
        ws_inflater g = {0};
        FUZZ_CHECK(ws_inflate_message(&g, z.data, z.len, LIMIT, &again) == WS_INFLATE_OK);
        FUZZ_CHECK(again.len == out.len && (out.len == 0 || memcmp(again.data, out.data, out.len) == 0));
        ws_inflater_free(&g);
    }
    ws_inflater_free(&f);

    /* Two messages on one inflater: the window carries over. */
    if (split < size) {
        ws_inflater h = {0};
        if (ws_inflate_message(&h, data, split, LIMIT, &out) == WS_INFLATE_OK) {
            rc = ws_inflate_message(&h, data + split, size - split, LIMIT, &out);
            FUZZ_CHECK(rc != WS_INFLATE_OK || out.len <= LIMIT);
        }
        ws_inflater_free(&h);
    }
    sio_buf_free(&out);
    sio_buf_free(&again);
    sio_buf_free(&z);
    return 0;
}
