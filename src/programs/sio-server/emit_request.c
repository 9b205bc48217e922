/* The body of a POST /api/emit request (emit_request.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_request.h"
#include "sio_json.h"

static bool reserved_event(const char *name)
{
    static const char *const reserved[] = {"connect",       "connect_error", "disconnect",
                                           "disconnecting", "newListener",   "removeListener"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
        if (strcmp(name, reserved[i]) == 0)
            return true;
    return false;
}

/* A string value as a new C string; NULL when it is not a string, holds
 * U+0000 or memory ran out (*oom then set). */
static char *string_value(sio_json_value v, bool *oom)
{
    if (sio_json_typeof(v) != SIO_JSON_STRING)
        return NULL;
    size_t len;
    char *s = sio_json_strdup(v, &len);
    if (!s)
        *oom = true;
    else if (strlen(s) != len) {
        free(s);
        s = NULL;
    }
    return s;
}

/* An array of strings into a new vector; 0 or an HTTP status. */
static unsigned string_array(sio_json_value v, char ***out, size_t *n, const char *name, char *why,
                             size_t why_len)
{
    size_t count = sio_json_count(v);
    if (sio_json_typeof(v) != SIO_JSON_ARRAY) {
        snprintf(why, why_len, "\"%s\" must be an array of strings", name);
        return 400;
    }
    if (count > EMIT_MAX_ROOMS) {
        snprintf(why, why_len, "too many rooms in \"%s\" (at most %d)", name, EMIT_MAX_ROOMS);
        return 400;
    }
    *out = calloc(count ? count : 1, sizeof(**out));
    if (!*out)
        goto oom;
    size_t pos = 0;
    sio_json_value item;
    bool oom = false;
    while (sio_json_next(v, &pos, NULL, &item)) {
        char *s = string_value(item, &oom);
        if (!s) {
            if (oom)
                goto oom;
            snprintf(why, why_len, "\"%s\" must be an array of strings", name);
            return 400;
        }
        (*out)[(*n)++] = s;
    }
    return 0;
oom:
    snprintf(why, why_len, "out of memory");
    return 500;
}

unsigned emit_request_parse(const char *body, size_t len, emit_request *r, char *why, size_t why_len)
{
    static const char *const fields[] = {"namespace", "rooms", "except", "event", "data"};
    enum { F_NAMESPACE, F_ROOMS, F_EXCEPT, F_EVENT, F_DATA, N_FIELDS };
    memset(r, 0, sizeof(*r));
    why[0] = 0;
    int err;
    sio_json *doc = sio_json_parse(body, len, &err);
    unsigned status = 400;
    if (!doc) {
        snprintf(why, why_len, "%s", err == SIO_ENOMEM ? "out of memory" : "invalid JSON");
        return err == SIO_ENOMEM ? 500 : 400;
    }
    sio_json_value root = sio_json_root(doc);
    sio_json_value field[N_FIELDS];
    bool given[N_FIELDS] = {false};
    bool oom = false;

    if (sio_json_typeof(root) != SIO_JSON_OBJECT) {
        snprintf(why, why_len, "the body must be a JSON object");
        goto out;
    }
    size_t pos = 0;
    sio_json_value key, value;
    while (sio_json_next(root, &pos, &key, &value)) {
        int k = 0;
        while (k < N_FIELDS && !sio_json_string_eq(key, fields[k]))
            k++;
        if (k == N_FIELDS || given[k]) {
            char name[65];
            sio_json_string(key, name, sizeof(name));
            snprintf(why, why_len, "%s field \"%s\"", k == N_FIELDS ? "unknown" : "duplicate", name);
            goto out;
        }
        field[k] = value;
        given[k] = true;
    }

    if (given[F_NAMESPACE]) {
        r->nsp = string_value(field[F_NAMESPACE], &oom);
        if (!r->nsp || r->nsp[0] != '/') {
            if (!oom)
                snprintf(why, why_len, "\"namespace\" must be a string starting with '/'");
            goto out;
        }
    } else if (!(r->nsp = strdup("/"))) {
        oom = true;
        goto out;
    }
    if (given[F_ROOMS] &&
        (status = string_array(field[F_ROOMS], &r->rooms, &r->n_rooms, "rooms", why, why_len)))
        goto out;
    if (given[F_EXCEPT] &&
        (status = string_array(field[F_EXCEPT], &r->except, &r->n_except, "except", why, why_len)))
        goto out;
    status = 400;
    if (!given[F_EVENT]) {
        snprintf(why, why_len, "\"event\" is required");
        goto out;
    }
    r->event = string_value(field[F_EVENT], &oom);
    if (!r->event) {
        if (!oom)
            snprintf(why, why_len, "\"event\" must be a string");
        goto out;
    }
    if (!r->event[0] || reserved_event(r->event)) {
        snprintf(why, why_len, "\"event\" may not be empty or a reserved name");
        goto out;
    }
    if (given[F_DATA]) {
        if (sio_json_typeof(field[F_DATA]) != SIO_JSON_ARRAY) {
            snprintf(why, why_len, "\"data\" must be an array");
            goto out;
        }
        size_t n;
        const char *raw = sio_json_raw(field[F_DATA], &n);
        if (!(r->data = strndup(raw, n))) {
            oom = true;
            goto out;
        }
    }
    status = 0;
out:
    if (oom) {
        status = 500;
        snprintf(why, why_len, "out of memory");
    }
    sio_json_free(doc);
    return status;
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void emit_request_free(emit_request *r)
{
    free(r->nsp);
    free(r->event);
    free_strings(r->rooms, r->n_rooms);
    free_strings(r->except, r->n_except);
    free(r->data);
    memset(r, 0, sizeof(*r));
}
