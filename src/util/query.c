#include "util/query.h"

#include <stdbool.h>
#include <string.h>

#include "util/buf.h"
#include "util/json.h"

static bool skipped(const char *k, size_t n, const char *const *skip)
{
    for (size_t i = 0; skip && skip[i]; i++)
        if (strlen(skip[i]) == n && memcmp(skip[i], k, n) == 0)
            return true;
    return false;
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Appends the URL-decoded q[0..n) as a JSON string. */
static int put_url_decoded(sio_buf *b, const char *q, size_t n)
{
    sio_buf raw;
    sio_buf_init(&raw, 0);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char ch = q[i];
        if (ch == '+') {
            ch = ' ';
        } else if (ch == '%' && i + 2 < n && hex_value(q[i + 1]) >= 0 && hex_value(q[i + 2]) >= 0) {
            ch = (char)(hex_value(q[i + 1]) * 16 + hex_value(q[i + 2]));
            i += 2;
        }
        rc = sio_buf_putc(&raw, (unsigned char)ch);
    }
    /* Invalid UTF-8 from a client's query is not passed on as JSON. */
    if (!rc)
        rc = json_write_string(b, raw.len ? (const char *)raw.data : "", raw.len);
    sio_buf_free(&raw);
    return rc;
}

char *sio_query_to_json(const char *q, size_t n, const char *const *skip)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    int rc = sio_buf_putc(&b, '{');
    bool first = true;
    for (size_t i = 0; i < n;) {
        size_t end = i;
        while (end < n && q[end] != '&')
            end++;
        size_t eq = i;
        while (eq < end && q[eq] != '=')
            eq++;
        if (end > i && !skipped(q + i, eq - i, skip)) {
            if (!first)
                rc |= sio_buf_putc(&b, ',');
            first = false;
            rc |= put_url_decoded(&b, q + i, eq - i);
            rc |= sio_buf_putc(&b, ':');
            rc |= put_url_decoded(&b, q + eq + (eq < end), end - eq - (eq < end));
        }
        i = end + 1;
    }
    rc |= sio_buf_putc(&b, '}');
    rc |= sio_buf_putc(&b, 0);
    if (rc || json_validate((const char *)b.data, b.len - 1, NULL) != JSON_OK) {
        sio_buf_free(&b);
        return strdup("{}");
    }
    return (char *)b.data;
}

