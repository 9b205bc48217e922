/* libsio JSON helpers: read the JSON text the library hands out (the auth
 * object, event arguments, ack replies) and write the JSON text it takes
 * (emit arguments), without hand-escaping strings into snprintf formats.
 *
 * Reading. sio_json_parse() validates strictly (RFC 8259: one value, valid
 * UTF-8, no NUL byte, at most 32 levels of nesting and 65,536 values) and
 * keeps its own copy of the text. A value is a small handle into the
 * document, valid until sio_json_free(). Every accessor takes any value,
 * including a missing one (an absent member, an index out of range, a
 * member of something that is not an object), and then answers "missing",
 * so lookups chain without checks in between:
 *
 *     sio_json *doc = sio_json_parse(text, len, NULL);
 *     char *name = sio_json_strdup(sio_json_pointer(sio_json_root(doc), "/user/name"), NULL);
 *     int64_t age;
 *     if (sio_json_int(sio_json_get(sio_json_root(doc), "age"), &age)) ...
 *     free(name);
 *     sio_json_free(doc);            (NULL is fine: a failed parse)
 *
 * Writing. A writer builds one value; commas and quotes are its business:
 *
 *     sio_json_writer *w = sio_jw_new();
 *     sio_jw_array(w);
 *     sio_jw_string(w, user_name);              (escaped as needed)
 *     sio_jw_object(w);
 *     sio_jw_key(w, "count"); sio_jw_int(w, 3);
 *     sio_jw_object_end(w);
 *     sio_jw_array_end(w);
 *     const char *args = sio_jw_text(w, NULL);  ("[\"ann\",{\"count\":3}]")
 *     if (args) sio_emit(s, "hello", args);
 *     sio_jw_free(w);
 *
 * Misuse (a value where a key is due, a key in an array, a second top-level
 * value, closing what is not open, a string that is not valid UTF-8, a
 * non-finite double, more than 32 levels) and running out of memory are
 * sticky: later calls do nothing, sio_jw_error() says what went wrong and
 * sio_jw_text() returns NULL. A NULL writer (sio_jw_new out of memory) is
 * accepted everywhere the same way: nothing happens, sio_jw_error() says
 * SIO_EINVAL and sio_jw_text() returns NULL.
 *
 * Threads: a document or a writer is used by one thread at a time; different
 * ones may be used on different threads. */
#ifndef LIBSIO_SIO_JSON_H
#define LIBSIO_SIO_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sio.h" /* the error codes, SIO_API */

#ifdef __cplusplus
extern "C" {
#endif

/* ---- reading ---- */

typedef struct sio_json sio_json;

typedef enum sio_json_type {
    SIO_JSON_MISSING = 0, /* no value: see above */
    SIO_JSON_NULL,
    SIO_JSON_FALSE,
    SIO_JSON_TRUE,
    SIO_JSON_NUMBER,
    SIO_JSON_STRING,
    SIO_JSON_ARRAY,
    SIO_JSON_OBJECT,
} sio_json_type;

/* A value of a document, passed by value. Its fields are private. */
typedef struct sio_json_value {
    const sio_json *doc;
    int index;
} sio_json_value;

/* Parses text[0..len) (it need not be NUL-terminated; the document keeps a
 * copy). NULL when it is not valid JSON or out of memory; *err (when not
 * NULL) is then SIO_EINVAL or SIO_ENOMEM, else 0. */
SIO_API sio_json *sio_json_parse(const char *text, size_t len, int *err);
SIO_API void sio_json_free(sio_json *doc);

SIO_API sio_json_value sio_json_root(const sio_json *doc);
SIO_API sio_json_type sio_json_typeof(sio_json_value v);
SIO_API bool sio_json_is_missing(sio_json_value v);

/* The member `key` of an object (the last one when a key repeats, as
 * JavaScript's JSON.parse reads it). */
SIO_API sio_json_value sio_json_get(sio_json_value object, const char *key);
/* Element `index` of an array. */
SIO_API sio_json_value sio_json_at(sio_json_value array, size_t index);
/* The value at an RFC 6901 JSON Pointer: "" is v itself, "/a/0/b" is
 * member "a", its element 0, its member "b"; "~1" stands for '/' and "~0"
 * for '~' in a name. */
SIO_API sio_json_value sio_json_pointer(sio_json_value v, const char *pointer);
/* Elements of an array or members of an object; 0 for anything else. */
SIO_API size_t sio_json_count(sio_json_value v);

/* Iterates the elements of an array or the members of an object, in
 * document order. Start with *pos = 0; each call that returns true sets
 * *value (and *key to the member's name, a string value, or to a missing
 * value for an array element); either pointer may be NULL.
 *
 *     size_t pos = 0; sio_json_value k, v;
 *     while (sio_json_next(obj, &pos, &k, &v)) ...                    */
SIO_API bool sio_json_next(sio_json_value container, size_t *pos, sio_json_value *key, sio_json_value *value);

/* Scalars: true and *out set when v has that type (an integer: a number
 * with no fraction or exponent within int64; a double: any number within
 * range), else false and *out untouched. */
SIO_API bool sio_json_bool(sio_json_value v, bool *out);
SIO_API bool sio_json_int(sio_json_value v, int64_t *out);
SIO_API bool sio_json_double(sio_json_value v, double *out);

/* Strings, unescaped (UTF-8; "\u0000" becomes a NUL byte, so use *len when
 * that matters). sio_json_strdup returns a NUL-terminated copy to free(), or
 * NULL when v is not a string or memory ran out. */
SIO_API char *sio_json_strdup(sio_json_value v, size_t *len);
/* Copies at most cap - 1 bytes and a NUL into out (as snprintf does) and
 * returns the string's full length; (size_t)-1 when v is not a string. */
SIO_API size_t sio_json_string(sio_json_value v, char *out, size_t cap);
/* Whether v is a string equal to s (a string holding NUL never is). */
SIO_API bool sio_json_string_eq(sio_json_value v, const char *s);

/* The exact JSON text of v inside the document (quotes included for a
 * string), not NUL-terminated, valid until sio_json_free; NULL (and *len 0)
 * for a missing value. Use it to pass a value on unchanged. */
SIO_API const char *sio_json_raw(sio_json_value v, size_t *len);

/* ---- writing ---- */

typedef struct sio_json_writer sio_json_writer;

SIO_API sio_json_writer *sio_jw_new(void);
SIO_API void sio_jw_free(sio_json_writer *w);
/* Empties the writer for a new value (and clears its error). */
SIO_API void sio_jw_reset(sio_json_writer *w);

SIO_API void sio_jw_array(sio_json_writer *w);
SIO_API void sio_jw_array_end(sio_json_writer *w);
SIO_API void sio_jw_object(sio_json_writer *w);
SIO_API void sio_jw_object_end(sio_json_writer *w);
/* The name of the next member of the object being written. */
SIO_API void sio_jw_key(sio_json_writer *w, const char *key);
SIO_API void sio_jw_keyn(sio_json_writer *w, const char *key, size_t len);

SIO_API void sio_jw_string(sio_json_writer *w, const char *s); /* NULL writes null */
SIO_API void sio_jw_stringn(sio_json_writer *w, const char *s, size_t len);
SIO_API void sio_jw_int(sio_json_writer *w, int64_t v);
/* The shortest text that reads back as the same double. */
SIO_API void sio_jw_double(sio_json_writer *w, double v);
SIO_API void sio_jw_bool(sio_json_writer *w, bool v);
SIO_API void sio_jw_null(sio_json_writer *w);
/* A value given as JSON text, checked (as sio_json_parse does) and copied
 * as it is: for example an argument received, passed on. */
SIO_API void sio_jw_raw(sio_json_writer *w, const char *json, size_t len);

/* 0, or the first error: SIO_EINVAL (misuse, bad UTF-8, bad raw JSON, too
 * deep, non-finite double) or SIO_ENOMEM. */
SIO_API int sio_jw_error(const sio_json_writer *w);
/* The finished text (NUL-terminated, valid until the next call on w), or
 * NULL while a container is open, before any value, or after an error. */
SIO_API const char *sio_jw_text(sio_json_writer *w, size_t *len);

#ifdef __cplusplus
}
#endif

#endif
