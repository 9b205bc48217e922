/* Reading the head of an HTTP/1.1 response: its status code, and a
 * header's value (found case-insensitively, surrounding blanks trimmed).
 * Used by the WebSocket upgrade and by polling. */
#include "loadgen.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Finds a header's value in an HTTP head (name with the colon, lowercase). */
bool http_header(const char *head, size_t n, const char *name, const char **val, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *p = head, *end = head + n;
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > nl && !strncasecmp(p, name, nl)) {
            const char *v = p + nl;
            while (v < eol && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = eol;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            *val = v;
            *vlen = (size_t)(ve - v);
            return true;
        }
        p = eol + 2;
    }
    return false;
}

int http_status(const char *p, size_t n)
{
    if (n < 12 || memcmp(p, "HTTP/1.", 7))
        return -1;
    return atoi(p + 9);
}
