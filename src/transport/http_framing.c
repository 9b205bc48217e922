/* HTTP/1.1 request framing rules and the chunked decoder. See http_framing.h. */
#include "transport/http_framing.h"

#include <string.h>
#include <strings.h>

#define LINE_MAX_BYTES 4096 /* a chunk extension or a trailer line */

static bool is_ows(char c) { return c == ' ' || c == '\t'; }

/* The value without optional white space around it: [*b, *e). */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_ows(**b))
        (*b)++;
    while (*e > *b && is_ows((*e)[-1]))
        (*e)--;
}

static bool token_equals(const char *b, const char *e, const char *want)
{
    trim(&b, &e);
    size_t n = strlen(want);
    return (size_t)(e - b) == n && strncasecmp(b, want, n) == 0;
}

http_body_framing http_request_framing(const char *content_length, const char *transfer_encoding,
                                       uint64_t *length)
{
    if (transfer_encoding) {
        /* Both: a proxy may frame by one and us by the other (RFC 9112
         * 6.1 lets a server refuse this; Node and nginx do). */
        if (content_length)
            return HTTP_BODY_INVALID;
        return token_equals(transfer_encoding, transfer_encoding + strlen(transfer_encoding), "chunked")
                   ? HTTP_BODY_CHUNKED
                   : HTTP_BODY_INVALID;
    }
    if (!content_length)
        return HTTP_BODY_NONE;
    const char *b = content_length, *e = b + strlen(b);
    trim(&b, &e);
    if (b == e || e - b > 18)
        return HTTP_BODY_INVALID;
    uint64_t n = 0;
    for (const char *c = b; c < e; c++) {
        if (*c < '0' || *c > '9')
            return HTTP_BODY_INVALID; /* a sign, junk, or "0,57" from two headers */
        n = n * 10 + (uint64_t)(*c - '0');
    }
    *length = n;
    return HTTP_BODY_LENGTH;
}

bool http_keep_alive(int minor, const char *connection)
{
    bool close = false, keep = false;
    for (const char *c = connection; c && *c;) {
        const char *end = strchr(c, ',');
        if (!end)
            end = c + strlen(c);
        close = close || token_equals(c, end, "close");
        keep = keep || token_equals(c, end, "keep-alive");
        c = *end ? end + 1 : end;
    }
    if (close)
        return false;
    return minor >= 1 || keep;
}

enum {
    S_SIZE,       /* hex digits of a chunk size */
    S_EXT,        /* a chunk extension, up to CR */
    S_SIZE_LF,    /* the LF after the size line's CR */
    S_DATA,
    S_DATA_CR,    /* the CRLF after a chunk's data */
    S_DATA_LF,
    S_TRAILER,    /* the start of a trailer line, or the final CRLF */
    S_TRAILER_LINE,
    S_TRAILER_LF, /* the LF after a trailer line's CR */
    S_END_LF,     /* the LF of the final CRLF */
};

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int http_chunked_decode(http_chunked *c, const unsigned char *in, size_t len, sio_buf *out, size_t max,
                        size_t *used)
{
    size_t i = 0;
    while (i < len) {
        unsigned char ch = in[i];
        switch (c->state) {
        case S_SIZE: {
            int v = hex_value(ch);
            if (v >= 0) {
                if (c->digits == 15) /* 2^60: far past any limit, and no overflow */
                    return HTTP_CHUNKED_INVALID;
                c->remain = c->remain * 16 + (uint64_t)v;
                c->digits++;
            } else if (c->digits == 0) {
                return HTTP_CHUNKED_INVALID;
            } else if (ch == ';') {
                c->state = S_EXT;
                c->line = 0;
            } else if (ch == '\r') {
                c->state = S_SIZE_LF;
            } else {
                return HTTP_CHUNKED_INVALID; /* white space or junk after the size */
            }
            i++;
            break;
        }
        case S_EXT:
            if (ch == '\r')
                c->state = S_SIZE_LF;
            else if (ch == '\n' || ++c->line > LINE_MAX_BYTES)
                return HTTP_CHUNKED_INVALID;
            i++;
            break;
        case S_SIZE_LF:
            if (ch != '\n')
                return HTTP_CHUNKED_INVALID;
            i++;
            c->digits = 0;
            if (c->remain == 0) {
                c->state = S_TRAILER;
            } else if (c->remain > max || out->len + c->remain > max) {
                return HTTP_CHUNKED_TOO_BIG;
            } else {
                c->state = S_DATA;
            }
            break;
        case S_DATA: {
            size_t n = len - i;
            if (n > c->remain)
                n = (size_t)c->remain;
            if (sio_buf_append(out, in + i, n))
                return HTTP_CHUNKED_NOMEM;
            c->remain -= n;
            i += n;
            if (c->remain == 0)
                c->state = S_DATA_CR;
            break;
        }
        case S_DATA_CR:
        case S_DATA_LF:
            if (ch != (c->state == S_DATA_CR ? '\r' : '\n'))
                return HTTP_CHUNKED_INVALID;
            c->state = c->state == S_DATA_CR ? S_DATA_LF : S_SIZE;
            i++;
            break;
        case S_TRAILER:
            if (ch == '\r') {
                c->state = S_END_LF;
            } else if (ch == '\n' || is_ows((char)ch)) {
                return HTTP_CHUNKED_INVALID; /* bare LF, or an obsolete line folding */
            } else {
                c->state = S_TRAILER_LINE;
                c->line = 1;
            }
            i++;
            break;
        case S_TRAILER_LINE:
            if (ch == '\r')
                c->state = S_TRAILER_LF;
            else if (ch == '\n' || ++c->line > LINE_MAX_BYTES)
                return HTTP_CHUNKED_INVALID;
            i++;
            break;
        case S_TRAILER_LF:
        case S_END_LF:
            if (ch != '\n')
                return HTTP_CHUNKED_INVALID;
            i++;
            if (c->state == S_END_LF) {
                *used = i;
                return HTTP_CHUNKED_DONE;
            }
            c->state = S_TRAILER;
            break;
        default:
            return HTTP_CHUNKED_INVALID;
        }
    }
    return HTTP_CHUNKED_MORE;
}
