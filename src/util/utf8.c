/* UTF-8 validation. See utf8.h. */
#include "util/utf8.h"

size_t sio_utf8_decode(const unsigned char *p, size_t n, uint32_t *cp, bool *truncated)
{
    unsigned char c = p[0];
    size_t len;
    uint32_t v;
    unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (truncated)
        *truncated = false;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    /* The ranges of RFC 3629, section 4. */
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, v = c & 0x0f;
        if (c == 0xe0)
            lo = 0xa0; /* overlong below U+0800 */
        else if (c == 0xed)
            hi = 0x9f; /* U+D800..U+DFFF */
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, v = c & 0x07;
        if (c == 0xf0)
            lo = 0x90; /* overlong below U+10000 */
        else if (c == 0xf4)
            hi = 0x8f; /* above U+10FFFF */
    } else {
        return 0; /* a continuation byte, C0/C1 (overlong), or F5..FF */
    }
    for (size_t k = 1; k < len; k++) {
        if (k >= n) {
            if (truncated)
                *truncated = true;
            return 0;
        }
        if (p[k] < (k == 1 ? lo : 0x80) || p[k] > (k == 1 ? hi : 0xbf))
            return 0;
        v = v << 6 | (p[k] & 0x3f);
    }
    *cp = v;
    return len;
}

bool sio_utf8_valid(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l = sio_utf8_decode(p + i, n - i, &cp, NULL);
        if (!l)
            return false;
        i += l;
    }
    return true;
}
