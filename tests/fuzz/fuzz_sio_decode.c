/* Fuzz target: sio_decode, the Socket.IO packet decoder every text message
 * of a client goes through (type, attachments, namespace, ack id, JSON
 * payload, shape and placeholder rules).
 *
 * Feeds: the input as one packet (the Engine.IO message's data, without
 * its '4'), with the default limits and with max_attachments 1.
 * Checks, beyond memory safety:
 *   - an error leaves nothing to free;
 *   - a decoded packet keeps the codec's promises: a type 0-6 other than
 *     CONNECT_ERROR, a namespace that starts with '/' and has no control
 *     character, an ack id in [-1, 2^53 - 1], 1..max attachments exactly
 *     for binary types, a payload running to the end of the input and of
 *     the shape its type requires, and an event name that is not reserved;
 *   - encoding its header again with sio_encode_header and appending the
 *     payload gives a packet that decodes to the same fields;
 *   - the tighter limit refuses exactly the packets with more than one
 *     attachment. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_check.h"
#include "sio/sio_codec.h"
#include "util/buf.h"

static void check_shape(const sio_packet *p)
{
    const json_doc *d = &p->json;
    FUZZ_CHECK(p->data == NULL || d->ntok >= 1);
    switch (p->type) {
    case SIO_PKT_CONNECT:
        FUZZ_CHECK(!p->data || json_type_of(d, 0) == JSON_OBJECT);
        break;
    case SIO_PKT_DISCONNECT:
        FUZZ_CHECK(!p->data);
        break;
    case SIO_PKT_EVENT:
    case SIO_PKT_BINARY_EVENT: {
        FUZZ_CHECK(p->data && json_type_of(d, 0) == JSON_ARRAY && json_size(d, 0) >= 1);
        int name = json_array_get(d, 0, 0);
        FUZZ_CHECK(name == 1 && json_type_of(d, name) == JSON_STRING);
        sio_buf b;
        sio_buf_init(&b, 0);
        FUZZ_CHECK(json_string_decode(d, name, &b) == 0);
        FUZZ_CHECK(!sio_is_reserved_event((const char *)b.data, b.len));
        sio_buf_free(&b);
        break;
    }
    case SIO_PKT_ACK:
    case SIO_PKT_BINARY_ACK:
        FUZZ_CHECK(p->data && json_type_of(d, 0) == JSON_ARRAY);
        break;
    default:
        FUZZ_CHECK(!"CONNECT_ERROR or an unknown type decoded");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    sio_codec_limits lim;
    sio_codec_limits_default(&lim);
    sio_packet pkt;
    int rc = sio_decode(text, size, &lim, &pkt);
    FUZZ_CHECK(sio_decode_strerror(rc) != NULL);

    sio_codec_limits one = lim;
    one.max_attachments = 1;
    sio_packet tight;
    int rc_tight = sio_decode(text, size, &one, &tight);
    if (rc_tight == SIO_DECODE_OK)
        sio_packet_free(&tight);
    else
        FUZZ_CHECK(tight.json.tok == NULL && tight.json.ntok == 0);

    if (rc != SIO_DECODE_OK) {
        FUZZ_CHECK(rc < 0 && pkt.json.tok == NULL && pkt.json.ntok == 0);
        /* A tighter limit accepts nothing more. */
        FUZZ_CHECK(rc_tight != SIO_DECODE_OK);
        return 0;
    }
    FUZZ_CHECK(rc_tight == (pkt.attachments <= 1 ? SIO_DECODE_OK : SIO_E_ATTACHMENTS));

    FUZZ_CHECK(pkt.type >= SIO_PKT_CONNECT && pkt.type <= SIO_PKT_BINARY_ACK);
    bool binary = pkt.type == SIO_PKT_BINARY_EVENT || pkt.type == SIO_PKT_BINARY_ACK;
    FUZZ_CHECK(binary ? pkt.attachments >= 1 && pkt.attachments <= lim.max_attachments
                      : pkt.attachments == 0);
    FUZZ_CHECK(pkt.nsp_len >= 1 && pkt.nsp[0] == '/');
    bool nsp_in_input = pkt.nsp >= text && pkt.nsp + pkt.nsp_len <= text + size;
    FUZZ_CHECK(nsp_in_input || (pkt.nsp_len == 1 && strcmp(pkt.nsp, "/") == 0));
    for (size_t i = 0; i < pkt.nsp_len; i++)
        FUZZ_CHECK((unsigned char)pkt.nsp[i] >= 0x20 && pkt.nsp[i] != ',');
    FUZZ_CHECK(pkt.id >= -1 && pkt.id <= SIO_MAX_ACK_ID);
    if (pkt.data)
        FUZZ_CHECK(pkt.data > text && pkt.data + pkt.data_len == text + size && pkt.data_len > 0);
    check_shape(&pkt);

    /* Encode the header again and decode the result. */
    char nsp[1024];
    if (pkt.nsp_len < sizeof(nsp)) {
        memcpy(nsp, pkt.nsp, pkt.nsp_len);
        nsp[pkt.nsp_len] = 0;
        sio_buf b;
        sio_buf_init(&b, 0);
        FUZZ_CHECK(sio_encode_header(&b, pkt.type, nsp, pkt.id, pkt.attachments) == 0);
        FUZZ_CHECK(sio_buf_append(&b, pkt.data, pkt.data_len) == 0);
        FUZZ_CHECK(b.len <= size + 1); /* at most a ',' after a namespace */
        sio_packet again;
        FUZZ_CHECK(sio_decode((const char *)b.data, b.len, &lim, &again) == SIO_DECODE_OK);
        FUZZ_CHECK(again.type == pkt.type && again.id == pkt.id && again.attachments == pkt.attachments);
        FUZZ_CHECK(again.nsp_len == pkt.nsp_len && memcmp(again.nsp, pkt.nsp, pkt.nsp_len) == 0);
        FUZZ_CHECK(again.data_len == pkt.data_len && again.json.ntok == pkt.json.ntok);
        sio_packet_free(&again);
        sio_buf_free(&b);
    }
    sio_packet_free(&pkt);
    return 0;
}
