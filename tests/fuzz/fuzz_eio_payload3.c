/* Fuzz target: Engine.IO v3 polling payloads, as a socket.io-client 2.x
 * POST body is read: eio_payload3_next_binary when the body starts with the
 * byte 0 or 1 (binary framing: kind byte, length as one byte per decimal
 * digit, 0xFF, packet), else eio_payload3_next (text framing:
 * "<UTF-16 length>:<packet>", "b<type><base64>" for binary).
 *
 * Feeds: the input as one POST body, framing chosen as the engine does.
 * Checks, beyond memory safety:
 *   - the walk ends, each call moving forward, within n + 1 calls;
 *   - packets have a type 0-6; text packets point into the input and are
 *     valid UTF-8 (eio_utf16_units >= 0);
 *   - writing the decoded packets back with eio_payload3_append_text /
 *     _binary (when every binary packet is a message: the writers know no
 *     other) gives a payload that decodes to the same packets, is no longer
 *     than the input (lengths may have leading zeros), and is the input
 *     itself when as long. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "eio/eio_codec.h"
#include "fuzz_check.h"
#include "util/buf.h"
#include "util/msg.h"

#define MAX_PACKETS 4096

typedef struct packets {
    eio_packet_type type[MAX_PACKETS];
    bool binary[MAX_PACKETS];
    sio_msg *msg[MAX_PACKETS]; /* the packet as the server would queue it */
    size_t n;
    bool whole;         /* the payload decoded to its end */
    bool other_binary;  /* a binary packet that is not a message */
} packets;

static void decode(const uint8_t *data, size_t size, packets *out)
{
    bool binary_framing = size > 0 && data[0] <= 1;
    sio_buf scratch;
    sio_buf_init(&scratch, 0);
    out->n = 0;
    out->whole = out->other_binary = false;
    size_t pos = 0;
    for (size_t calls = 0;; calls++) {
        FUZZ_CHECK(calls <= size + 1);
        size_t before = pos;
        eio_packet pkt;
        int rc = binary_framing ? eio_payload3_next_binary(data, size, &pos, &pkt)
                                : eio_payload3_next(data, size, &pos, &scratch, &pkt);
        if (rc <= 0) {
            out->whole = rc == 0;
            break;
        }
        FUZZ_CHECK(rc == 1 && pos > before && pos <= size);
        FUZZ_CHECK(pkt.type >= EIO_OPEN && pkt.type <= EIO_NOOP);
        if (!pkt.binary) {
            FUZZ_CHECK(pkt.data > data && pkt.data + pkt.len <= data + size);
            /* the type digit and the data: UTF-8 */
            FUZZ_CHECK(eio_utf16_units(pkt.data - 1, pkt.len + 1) >= 1);
        } else if (binary_framing) {
            FUZZ_CHECK(pkt.data > data && pkt.data + pkt.len <= data + size);
        }
        if (pkt.binary && pkt.type != EIO_MESSAGE)
            out->other_binary = true;
        if (out->n < MAX_PACKETS) {
            size_t i = out->n++;
            out->type[i] = pkt.type;
            out->binary[i] = pkt.binary;
            out->msg[i] = pkt.binary ? sio_msg_new(0, pkt.data, pkt.len, true)
                                     : sio_msg_new((char)('0' + pkt.type), pkt.data, pkt.len, false);
            FUZZ_CHECK(out->msg[i] != NULL);
        }
    }
    FUZZ_CHECK(!out->whole || size > 0);
    sio_buf_free(&scratch);
}

static void release(packets *p)
{
    for (size_t i = 0; i < p->n; i++)
        sio_msg_unref(p->msg[i]);
    p->n = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static packets first, again;
    long live = sio_msg_live_count();
    decode(data, size, &first);
    if (first.whole && first.n < MAX_PACKETS && !first.other_binary) {
        bool binary_framing = data[0] <= 1;
        sio_buf out;
        sio_buf_init(&out, 0);
        for (size_t i = 0; i < first.n; i++) {
            int rc = binary_framing ? eio_payload3_append_binary(&out, first.msg[i])
                                    : eio_payload3_append_text(&out, first.msg[i]);
            FUZZ_CHECK(rc == 0);
        }
        FUZZ_CHECK(out.len > 0 && out.len <= size);
        FUZZ_CHECK(out.len < size || memcmp(out.data, data, size) == 0);
        decode(out.data, out.len, &again);
        FUZZ_CHECK(again.whole && again.n == first.n);
        for (size_t i = 0; i < first.n; i++) {
            FUZZ_CHECK(again.type[i] == first.type[i] && again.binary[i] == first.binary[i]);
            FUZZ_CHECK(again.msg[i]->len == first.msg[i]->len);
            FUZZ_CHECK(memcmp(again.msg[i]->data, first.msg[i]->data, first.msg[i]->len) == 0);
        }
        release(&again);
        sio_buf_free(&out);
    }
    release(&first);
    FUZZ_CHECK(sio_msg_live_count() == live);
    return 0;
}
