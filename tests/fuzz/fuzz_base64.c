/* Fuzz target: sio_base64_decode, as a v4 polling payload's 'b' record and
 * a v3 "b<type>" packet are decoded.
 *
 * Feeds: the input as base64 text.
 * Checks, beyond memory safety:
 *   - a refused input leaves the output buffer untouched;
 *   - the decoder is canonical: encoding what it decoded gives back the
 *     input byte for byte, and the decoded length is 3/4 of the input less
 *     the padding;
 *   - the input taken as raw bytes survives encode then decode.
 * The encoder's output buffers start with a prefix, as the Engine.IO
 * payload writers' buffers do ('b', or a v3 length): encoding into an empty
 * buffer is not what the server does. */
#include <string.h>

#include "fuzz_check.h"
#include "util/base64.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;

    /* Decoding appends: start from a non-empty buffer to see that. */
    sio_buf dec;
    sio_buf_init(&dec, 0);
    FUZZ_CHECK(sio_buf_puts(&dec, "xyz") == 0);
    if (sio_base64_decode(&dec, text, size) == 0) {
        FUZZ_CHECK(size % 4 == 0);
        FUZZ_CHECK(memcmp(dec.data, "xyz", 3) == 0);
        size_t got = dec.len - 3;
        size_t pad = size && text[size - 1] == '=' ? (size > 1 && text[size - 2] == '=' ? 2 : 1) : 0;
        FUZZ_CHECK(got == size / 4 * 3 - pad);
        sio_buf enc;
        sio_buf_init(&enc, 0);
        FUZZ_CHECK(sio_buf_putc(&enc, 'b') == 0);
        FUZZ_CHECK(sio_base64_encode(&enc, dec.data + 3, got) == 0);
        FUZZ_CHECK(enc.len == size + 1);
        FUZZ_CHECK(size == 0 || memcmp(enc.data + 1, text, size) == 0);
        sio_buf_free(&enc);
    } else {
        FUZZ_CHECK(dec.len == 3 && memcmp(dec.data, "xyz", 3) == 0);
    }
    sio_buf_free(&dec);

    /* Any bytes: encode, then decode. */
    sio_buf enc, back;
    sio_buf_init(&enc, 0);
    sio_buf_init(&back, 0);
    FUZZ_CHECK(sio_buf_putc(&enc, 'b') == 0);
    FUZZ_CHECK(sio_base64_encode(&enc, data, size) == 0);
    FUZZ_CHECK(enc.len == 1 + (size + 2) / 3 * 4);
    FUZZ_CHECK(sio_base64_decode(&back, (const char *)enc.data + 1, enc.len - 1) == 0);
    FUZZ_CHECK(back.len == size);
    FUZZ_CHECK(size == 0 || memcmp(back.data, data, size) == 0);
    sio_buf_free(&enc);
    sio_buf_free(&back);
    return 0;
}
