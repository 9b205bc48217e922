/* The JSON subset match (match.h). */
#include "match.h"

#include <stdlib.h>
#include <string.h>

bool ts_json_match(sio_json_value pattern, sio_json_value value)
{
    sio_json_type pt = sio_json_typeof(pattern), vt = sio_json_typeof(value);
    if (pt == SIO_JSON_MISSING)
        return true;
    if (pt != vt)
        return false;
    size_t pos = 0;
    sio_json_value k, v;
    switch (pt) {
    case SIO_JSON_OBJECT:
        while (sio_json_next(pattern, &pos, &k, &v)) {
            char *key = sio_json_strdup(k, NULL);
            sio_json_value there = key ? sio_json_get(value, key) : (sio_json_value){0};
            bool ok = key && !sio_json_is_missing(there) && ts_json_match(v, there);
            free(key);
            if (!ok)
                return false;
        }
        return true;
    case SIO_JSON_ARRAY:
        for (size_t i = 0; sio_json_next(pattern, &pos, NULL, &v); i++) {
            sio_json_value there = sio_json_at(value, i);
            if (sio_json_is_missing(there) || !ts_json_match(v, there))
                return false;
        }
        return true;
    case SIO_JSON_NUMBER: {
        double a, b;
        return sio_json_double(pattern, &a) && sio_json_double(value, &b) && a == b;
    }
    case SIO_JSON_STRING: {
        size_t la, lb;
        const char *a = sio_json_raw(pattern, &la), *b = sio_json_raw(value, &lb);
        if (la == lb && memcmp(a, b, la) == 0)
            return true; /* the same text; else compare them unescaped */
        char *x = sio_json_strdup(pattern, &la), *y = sio_json_strdup(value, &lb);
        bool eq = x && y && la == lb && memcmp(x, y, la) == 0;
        free(x);
        free(y);
        return eq;
    }
    default: /* null, true, false: the type says it all */
        return true;
    }
}

bool ts_json_match_text(const char *pattern, const char *value)
{
    sio_json *p = sio_json_parse(pattern, strlen(pattern), NULL);
    sio_json *v = sio_json_parse(value, strlen(value), NULL);
    bool ok = p && v && ts_json_match(sio_json_root(p), sio_json_root(v));
    sio_json_free(p);
    sio_json_free(v);
    return ok;
}
