/* Fuzz target: Engine.IO v4 decoding, eio_payload_next (a polling POST body:
 * records joined by 0x1e, 'b' + base64 for binary) and eio_decode_text (a
 * WebSocket text frame).
 *
 * Feeds: the input as one polling payload, and as one text frame.
 * Checks, beyond memory safety:
 *   - the walk ends, each call moving forward, within n + 1 calls;
 *   - a text packet points into the input and a binary one is a message;
 *   - a payload that decodes as a whole is canonical: writing its packets
 *     back with eio_payload_append gives the input byte for byte;
 *   - a text frame decodes exactly when it starts with a digit 0-6, to the
 *     rest of the frame. */
#include <stdbool.h>
#include <string.h>

#include "eio/eio_codec.h"
#include "fuzz_check.h"
#include "util/buf.h"
#include "util/msg.h"

#define MAX_PACKETS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eio_packet pkt;
    int rc = eio_decode_text(data, size, &pkt);
    if (size > 0 && data[0] >= '0' && data[0] <= '6') {
        FUZZ_CHECK(rc == EIO_CODEC_OK);
        FUZZ_CHECK(pkt.type == (eio_packet_type)(data[0] - '0') && !pkt.binary);
        FUZZ_CHECK(pkt.data == data + 1 && pkt.len == size - 1);
    } else {
        FUZZ_CHECK(rc == (size ? EIO_CODEC_BAD_TYPE : EIO_CODEC_EMPTY));
    }

    long live = sio_msg_live_count();
    sio_msg *msgs[MAX_PACKETS];
    size_t n = 0;
    bool whole = false;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    size_t pos = 0;
    for (size_t calls = 0;; calls++) {
        FUZZ_CHECK(calls <= size + 1);
        size_t before = pos;
        rc = eio_payload_next(data, size, &pos, &scratch, &pkt);
        if (rc <= 0) {
            whole = rc == 0;
            break;
        }
        FUZZ_CHECK(rc == 1 && pos > before);
        FUZZ_CHECK(pkt.type >= EIO_OPEN && pkt.type <= EIO_NOOP);
        if (pkt.binary) {
            FUZZ_CHECK(pkt.type == EIO_MESSAGE);
            FUZZ_CHECK(pkt.len == scratch.len && (pkt.len == 0 || pkt.data == scratch.data));
        } else {
            FUZZ_CHECK(pkt.data >= data && pkt.data + pkt.len <= data + size);
        }
        if (n < MAX_PACKETS) {
            msgs[n] = pkt.binary ? sio_msg_new(0, pkt.data, pkt.len, true)
                                 : sio_msg_new((char)('0' + pkt.type), pkt.data, pkt.len, false);
            FUZZ_CHECK(msgs[n] != NULL);
            n++;
        }
    }
    FUZZ_CHECK(!whole || size > 0);
    if (whole && n < MAX_PACKETS) {
        sio_buf out;
        sio_buf_init(&out, 0);
        for (size_t i = 0; i < n; i++)
            FUZZ_CHECK(eio_payload_append(&out, msgs[i]) == 0);
        FUZZ_CHECK(out.len == size && memcmp(out.data, data, size) == 0);
        sio_buf_free(&out);
    }
    for (size_t i = 0; i < n; i++)
        sio_msg_unref(msgs[i]);
    FUZZ_CHECK(sio_msg_live_count() == live);
    sio_buf_free(&scratch);
    return 0;
}
