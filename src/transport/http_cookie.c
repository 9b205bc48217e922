/* The handshake cookie (http_cookie.h). */
#include "transport/http_cookie.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* RFC 7230 token characters, as the cookie package checks a name. */
static bool is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c <= 32 || c >= 127 || strchr("()<>@,;:\\\"/[]?={}", c))
            return false;
    }
    return true;
}

/* A Path or Domain value: printable, no ';'. */
static bool is_attr_value(const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 32 || c >= 127 || c == ';')
            return false;
    }
    return true;
}

static const char *same_site_word(const char *s)
{
    static const char *const words[] = {"Lax", "Strict", "None"};
    for (int i = 0; s && i < 3; i++)
        if (strcasecmp(s, words[i]) == 0)
            return words[i];
    return NULL;
}

bool http_cookie_valid(const http_cookie *c, const char **what)
{
    const char *fault = NULL;
    if (!is_token(c->name))
        fault = "the cookie name must be a token (letters, digits and !#$%&'*+-.^_`|~)";
    else if (!is_attr_value(c->path))
        fault = "the cookie path has a ';' or a control character";
    else if (!is_attr_value(c->domain))
        fault = "the cookie domain has a ';' or a control character";
    else if (c->same_site && !same_site_word(c->same_site))
        fault = "SameSite must be Lax, Strict or None";
    else if (c->max_age < 0)
        fault = "the cookie's Max-Age must not be negative";
    if (what)
        *what = fault;
    return fault == NULL;
}

int http_cookie_write(const http_cookie *c, const char *value, sio_buf *out)
{
    int rc = sio_buf_puts(out, c->name) || sio_buf_putc(out, '=') || sio_buf_puts(out, value);
    if (c->max_age > 0) {
        char n[32];
        snprintf(n, sizeof(n), "; Max-Age=%ld", c->max_age);
        rc = rc || sio_buf_puts(out, n);
    }
    if (c->domain)
        rc = rc || sio_buf_puts(out, "; Domain=") || sio_buf_puts(out, c->domain);
    if (c->path)
        rc = rc || sio_buf_puts(out, "; Path=") || sio_buf_puts(out, c->path);
    if (c->http_only)
        rc = rc || sio_buf_puts(out, "; HttpOnly");
    if (c->secure)
        rc = rc || sio_buf_puts(out, "; Secure");
    const char *ss = same_site_word(c->same_site);
    if (ss)
        rc = rc || sio_buf_puts(out, "; SameSite=") || sio_buf_puts(out, ss);
    return rc ? -1 : 0;
}
