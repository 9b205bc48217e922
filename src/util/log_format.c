/* Log records as lines (log_format.h). */
#include "util/log_format.h"

#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/utf8.h"

const char *sio_log_level_name(int level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    return names[level < 0 ? 0 : level > 3 ? 3 : level];
}

/* The length of the UTF-8 sequence at p[0..n), or 0 when it is not one. */
static size_t seq_len(const unsigned char *p, size_t n)
{
    uint32_t cp;
    return p[0] < 0x80 ? 1 : sio_utf8_decode(p, n, &cp, NULL);
}

/* How much of s[0..n) to write: all of it, or LOG_VALUE_MAX bytes cut back
 * to the start of a sequence (*cut set). */
static size_t kept_len(const char *s, size_t n, bool *cut)
{
    *cut = n > LOG_VALUE_MAX;
    if (!*cut)
        return n;
    size_t k = LOG_VALUE_MAX;
    for (int back = 0; back < 3 && k > 0 && ((unsigned char)s[k] & 0xc0) == 0x80; back++)
        k--;
    return k;
}

static int put_hex(sio_buf *b, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
    return sio_buf_append(b, e, 4);
}

/* --- text (logfmt) ------------------------------------------------------------- */

/* Whether a value must be quoted. */
static bool needs_quotes(const unsigned char *p, size_t n)
{
    if (n == 0)
        return true;
    for (size_t k = 0; k < n;) {
        if (p[k] <= ' ' || p[k] == '=' || p[k] == '"' || p[k] == '\\' || p[k] == 0x7f)
            return true;
        size_t len = seq_len(p + k, n - k);
        if (!len)
            return true;
        k += len;
    }
    return false;
}

/* Writes p[0..n): printable UTF-8 as it is, the rest escaped. `quoted`:
 * inside quotes, where '"' and '\\' are escaped too. */
static int put_escaped(sio_buf *b, const unsigned char *p, size_t n, bool quoted)
{
    int err = 0;
    for (size_t k = 0; k < n && !err;) {
        unsigned char c = p[k];
        size_t len = seq_len(p + k, n - k);
        if (len > 1) {
            err = sio_buf_append(b, p + k, len);
            k += len;
            continue;
        }
        k++;
        if (len == 1 && c >= 0x20 && c != 0x7f && !(quoted && (c == '"' || c == '\\')))
            err = sio_buf_putc(b, c);
        else if (quoted && (c == '"' || c == '\\'))
            err = sio_buf_putc(b, '\\') || sio_buf_putc(b, c);
        else if (quoted && (c == '\n' || c == '\r' || c == '\t'))
            err = sio_buf_putc(b, '\\') || sio_buf_putc(b, c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
        else
            err = put_hex(b, c);
    }
    return err ? -1 : 0;
}

static int put_text_value(sio_buf *b, const char *s)
{
    bool cut;
    size_t n = strlen(s), k = kept_len(s, n, &cut);
    const unsigned char *p = (const unsigned char *)s;
    bool q = cut || needs_quotes(p, k);
    int err = (q && sio_buf_putc(b, '"')) || put_escaped(b, p, k, q) || (cut && sio_buf_puts(b, "...")) ||
              (q && sio_buf_putc(b, '"'));
    return err ? -1 : 0;
}

/* A key: letters, digits, '_', '-' and '.'; any other byte as '_'. */
static int put_key(sio_buf *b, const char *key)
{
    size_t n = key ? strlen(key) : 0;
    if (n == 0)
        return sio_buf_putc(b, '_');
    if (n > 64)
        n = 64;
    for (size_t k = 0; k < n; k++) {
        unsigned char c = (unsigned char)key[k];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '-' || c == '.';
        if (sio_buf_putc(b, ok ? c : '_'))
            return -1;
    }
    return 0;
}

static int format_text(sio_buf *b, const sio_log_record *r, const char *time)
{
    int err = 0;
    if (time)
        err = sio_buf_puts(b, time) || sio_buf_putc(b, ' ') || sio_buf_puts(b, sio_log_level_name(r->level)) ||
              sio_buf_putc(b, ' ');
    const char *msg = r->msg ? r->msg : "";
    bool cut;
    size_t k = kept_len(msg, strlen(msg), &cut);
    err = err || put_escaped(b, (const unsigned char *)msg, k, false) || (cut && sio_buf_puts(b, "..."));
    for (size_t i = 0; i < r->n_fields && !err; i++) {
        const sio_log_field *f = &r->fields[i];
        err = sio_buf_putc(b, ' ') || put_key(b, f->key) || sio_buf_putc(b, '=') ||
              (f->str ? put_text_value(b, f->str) : sio_buf_put_i64(b, f->num));
    }
    return err ? -1 : 0;
}

/* --- JSON ------------------------------------------------------------------------ */

/* A JSON string of s: invalid UTF-8 replaced by U+FFFD, cut as in text. */
static int put_json_string(sio_buf *b, const char *s)
{
    bool cut;
    size_t n = strlen(s), k = kept_len(s, n, &cut);
    const unsigned char *p = (const unsigned char *)s;
    size_t bad = 0;
    for (size_t i = 0; i < k;) {
        size_t len = seq_len(p + i, k - i);
        bad += !len;
        i += len ? len : 1;
    }
    if (!bad && !cut)
        return json_write_string(b, s, k);
    sio_buf clean;
    sio_buf_init(&clean, 0);
    int err = 0;
    for (size_t i = 0; i < k && !err;) {
        size_t len = seq_len(p + i, k - i);
        err = len ? sio_buf_append(&clean, p + i, len) : sio_buf_puts(&clean, "\xef\xbf\xbd");
        i += len ? len : 1;
    }
    err = err || (cut && sio_buf_puts(&clean, "...")) ||
          json_write_string(b, clean.data ? (const char *)clean.data : "", clean.len);
    sio_buf_free(&clean);
    return err ? -1 : 0;
}

static int put_json_key(sio_buf *b, const char *key)
{
    sio_buf k;
    sio_buf_init(&k, 0);
    int err = put_key(&k, key) || json_write_string(b, (const char *)k.data, k.len) || sio_buf_putc(b, ':');
    sio_buf_free(&k);
    return err ? -1 : 0;
}

static int format_json(sio_buf *b, const sio_log_record *r, const char *time)
{
    int err = sio_buf_putc(b, '{');
    if (time)
        err = err || sio_buf_puts(b, "\"time\":") || put_json_string(b, time) || sio_buf_putc(b, ',');
    err = err || sio_buf_puts(b, "\"level\":\"") || sio_buf_puts(b, sio_log_level_name(r->level)) ||
          sio_buf_puts(b, "\",\"msg\":") || put_json_string(b, r->msg ? r->msg : "");
    for (size_t i = 0; i < r->n_fields && !err; i++) {
        const sio_log_field *f = &r->fields[i];
        err = sio_buf_putc(b, ',') || put_json_key(b, f->key) ||
              (f->str ? put_json_string(b, f->str) : sio_buf_put_i64(b, f->num));
    }
    return err || sio_buf_putc(b, '}') ? -1 : 0;
}

int log_format(sio_buf *out, const sio_log_record *r, sio_log_style style, const char *time)
{
    return style == SIO_LOG_JSON ? format_json(out, r, time) : format_text(out, r, time);
}

char *sio_log_format(const sio_log_record *r, sio_log_style style, const char *time)
{
    sio_buf b;
    sio_buf_init(&b, 0);
    if (log_format(&b, r, style, time) || sio_buf_putc(&b, 0)) {
        sio_buf_free(&b);
        return NULL;
    }
    char *line = strdup((const char *)b.data);
    sio_buf_free(&b);
    return line;
}
