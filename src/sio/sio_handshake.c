/* A socket's handshake as the JSON object Node's socket.handshake becomes
 * when it travels to another server (fetchSockets): what a Node server in
 * the same cluster reads from a C server's sockets, and the reverse. */
#include "sio/sio_core.h"

#include <string.h>
#include <time.h>

static int put_key(sio_buf *b, const char *key, bool first)
{
    int err = first ? 0 : sio_buf_putc(b, ',');
    err |= json_write_string(b, key, strlen(key));
    return err | sio_buf_putc(b, ':');
}

static int put_string(sio_buf *b, const char *key, const char *v)
{
    return put_key(b, key, false) | json_write_string(b, v ? v : "", v ? strlen(v) : 0);
}

/* Date.prototype.toString() of a UTC time, as Node prints it:
 * "Tue Jun 04 2024 10:00:00 GMT+0000 (Coordinated Universal Time)". */
static int put_time(sio_buf *b, int64_t ms)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char s[96];
    if (!gmtime_r(&t, &tm) ||
        !strftime(s, sizeof(s), "%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)", &tm))
        s[0] = 0;
    return put_string(b, "time", s);
}

int sio_handshake_json(const sio_socket *s, sio_buf *out)
{
    const sio_request *r = s->req;
    int err = sio_buf_putc(out, '{') | put_key(out, "headers", true) | sio_buf_putc(out, '{');
    size_t n = r ? sio_request_header_count(r) : 0;
    for (size_t i = 0; i < n; i++) {
        const char *value;
        const char *name = sio_request_header_at(r, i, &value);
        err |= put_key(out, name, i == 0) | json_write_string(out, value, strlen(value));
    }
    err |= sio_buf_putc(out, '}');
    err |= put_time(out, r ? sio_request_time(r) : 0);
    err |= put_string(out, "address", r ? sio_request_address(r) : NULL);
    bool xdomain = r && sio_request_header(r, "origin");
    bool secure = r && sio_request_secure(r);
    err |= put_key(out, "xdomain", false) | sio_buf_puts(out, xdomain ? "true" : "false");
    err |= put_key(out, "secure", false) | sio_buf_puts(out, secure ? "true" : "false");
    err |= put_key(out, "issued", false) | sio_buf_put_i64(out, r ? sio_request_time(r) : 0);
    err |= put_string(out, "url", r ? sio_request_url(r) : NULL);
    err |= put_key(out, "query", false) | sio_buf_puts(out, sio_socket_query(s));
    err |= put_key(out, "auth", false) | sio_buf_puts(out, sio_socket_auth(s));
    return err | sio_buf_putc(out, '}') ? -1 : 0;
}
