/* Fuzz target: JSONP polling (eio_jsonp.h): eio_jsonp_unwrap, which reads
 * the form-encoded body of a v3 client's JSONP POST (field d, %-escapes,
 * '+', and the client's \n escaping), and eio_jsonp_wrap, which quotes a
 * payload into the script answering a JSONP poll.
 *
 * Feeds: the input as a POST body to unwrap, and as a payload to wrap.
 * Checks, beyond memory safety:
 *   - unwrap appends at most the input's length less "d=" (decoding only
 *     shortens), after what the buffer held, and appends nothing when it
 *     fails;
 *   - wrap's script is ___eio[N]("...") with no raw control character,
 *     line terminator (U+2028, U+2029) or unescaped quote inside; when the
 *     payload is UTF-8, the quoted part is a JSON string decoding to it. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "eio/eio_codec.h"
#include "eio/eio_jsonp.h"
#include "fuzz_check.h"
#include "util/buf.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sio_buf out;
    sio_buf_init(&out, 0);
    FUZZ_CHECK(sio_buf_puts(&out, "ok") == 0);
    if (eio_jsonp_unwrap(&out, data, size) == 0)
        FUZZ_CHECK(size >= 2 && out.len - 2 <= size - 2);
    else
        FUZZ_CHECK(out.len == 2);
    FUZZ_CHECK(memcmp(out.data, "ok", 2) == 0);
    sio_buf_free(&out);

    unsigned long index = size ? data[0] : 0;
    sio_buf js;
    sio_buf_init(&js, 0);
    FUZZ_CHECK(eio_jsonp_wrap(&js, index, data, size) == 0);
    char head[40];
    int hn = snprintf(head, sizeof(head), "___eio[%lu](\"", index);
    FUZZ_CHECK(js.len >= (size_t)hn + 3 && memcmp(js.data, head, (size_t)hn) == 0);
    FUZZ_CHECK(memcmp(js.data + js.len - 3, "\");", 3) == 0);
    /* The quoted part, with its quotes. */
    const unsigned char *q = js.data + hn - 1;
    size_t qlen = js.len - (size_t)hn + 1 - 2;
    bool escaped = false;
    for (size_t i = 1; i + 1 < qlen; i++) {
        unsigned char c = q[i];
        FUZZ_CHECK(c >= 0x20);
        FUZZ_CHECK(!(c == 0xe2 && i + 2 < qlen && q[i + 1] == 0x80 && (q[i + 2] == 0xa8 || q[i + 2] == 0xa9)));
        FUZZ_CHECK(c != '"' || escaped);
        escaped = !escaped && c == '\\';
    }
    FUZZ_CHECK(!escaped);
    if (eio_utf16_units(data, size) >= 0) {
        json_doc d;
        FUZZ_CHECK(json_parse(&d, (const char *)q, qlen, NULL) == JSON_OK);
        FUZZ_CHECK(d.ntok == 1 && json_type_of(&d, 0) == JSON_STRING);
        sio_buf dec;
        sio_buf_init(&dec, 0);
        FUZZ_CHECK(json_string_decode(&d, 0, &dec) == 0);
        FUZZ_CHECK(dec.len == size && (size == 0 || memcmp(dec.data, data, size) == 0));
        sio_buf_free(&dec);
        json_doc_free(&d);
    }
    sio_buf_free(&js);
    return 0;
}
