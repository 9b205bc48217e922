/* Strict JSON: validation on top of jsmn, navigation, and a writer.
 *
 * jsmn is a tokenizer, not a validator. json_parse() runs jsmn (built with
 * JSMN_STRICT and JSMN_PARENT_LINKS) and then checks what jsmn lets through,
 * so that a document that passes is exactly one RFC 8259 value:
 *   - no trailing data after the value ("[1][2]", "1 2"), only whitespace;
 *   - objects are key/value pairs with string keys ("{"a"}" is refused);
 *   - no empty elements ("[1,,2]", "[1,]");
 *   - literals are exactly true, false, null; numbers follow the JSON
 *     grammar ("01", "1.2.3", "+1", ".5", "1e" are refused);
 *   - strings contain no raw control characters (< 0x20), only the JSON
 *     escapes (\" \\ \/ \b \f \n \r \t \uXXXX), surrogate escapes in valid
 *     pairs, and valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF);
 *   - no NUL byte anywhere in the input;
 *   - at most `max_tokens` tokens and `max_depth` levels of nesting.
 * Tokens keep jsmn's layout: token 0 is the root, children follow their
 * parent in document order, and an object's key token is followed by its
 * value's subtree. */
#ifndef SIO_UTIL_JSON_H
#define SIO_UTIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSMN_HEADER
#include <jsmn.h>

#include "util/buf.h"

typedef enum json_type {
    JSON_OBJECT,
    JSON_ARRAY,
    JSON_STRING,
    JSON_NUMBER,
    JSON_TRUE,
    JSON_FALSE,
    JSON_NULL,
} json_type;

typedef enum json_err {
    JSON_OK = 0,
    JSON_E_NOMEM = -1,    /* allocation failed */
    JSON_E_SYNTAX = -2,   /* not one valid JSON value */
    JSON_E_TOO_BIG = -3,  /* over max_tokens or max_depth */
    JSON_E_ENCODING = -4, /* bad UTF-8, NUL byte, bad escape, raw control character */
} json_err;

typedef struct json_limits {
    int max_tokens; /* default 65536 */
    int max_depth;  /* default 32 */
} json_limits;

/* A parsed document. `text` is borrowed: it must outlive the document. */
typedef struct json_doc {
    const char *text;
    size_t len;
    jsmntok_t *tok;
    int ntok;
} json_doc;

/* Parses and validates text[0..len). `lim` may be NULL for the defaults.
 * On success returns JSON_OK and fills *d (free it with json_doc_free);
 * on failure returns a json_err and leaves *d empty (json_doc_free is still
 * safe). */
int json_parse(json_doc *d, const char *text, size_t len, const json_limits *lim);
void json_doc_free(json_doc *d);
/* Validates without keeping tokens. Same return values as json_parse. */
int json_validate(const char *text, size_t len, const json_limits *lim);

json_type json_type_of(const json_doc *d, int i);
/* Raw text of token i: for strings, without the quotes and still escaped;
 * for containers, the whole "{...}" / "[...]" text. */
const char *json_tok_start(const json_doc *d, int i);
size_t json_tok_len(const json_doc *d, int i);
/* The raw text of a value including quotes for strings: exactly the bytes of
 * the document that make up value i (usable to re-emit it unchanged). */
void json_value_span(const json_doc *d, int i, const char **start, size_t *len);
/* Number of direct children: elements of an array, key/value pairs of an object. */
int json_size(const json_doc *d, int i);
/* Index of the token after the whole subtree of token i (its next sibling,
 * or the next token of an enclosing container, or ntok). */
int json_skip(const json_doc *d, int i);
/* Index of element n of array `arr`, or -1. */
int json_array_get(const json_doc *d, int arr, int n);
/* Index of the value of key `key` (compared after unescaping) in object
 * `obj`, or -1 when absent or obj is not an object. */
int json_object_get(const json_doc *d, int obj, const char *key);
/* True if token i is a string equal to `s` after unescaping. */
bool json_string_eq(const json_doc *d, int i, const char *s);
/* Appends the unescaped UTF-8 contents of string token i to b.
 * Returns 0, or -1 when out of memory or i is not a string. */
int json_string_decode(const json_doc *d, int i, sio_buf *b);
/* Stores an integer value (no fraction, no exponent, fits in int64) of
 * number token i in *out. Returns true on success. */
bool json_get_int(const json_doc *d, int i, int64_t *out);
/* Stores number token i as a double. Returns true on success. */
bool json_get_double(const json_doc *d, int i, double *out);

/* Writer: appends a JSON string literal (with quotes) for the UTF-8 bytes
 * s[0..n), escaping '"', '\\' and control characters. Returns 0 or -1 (OOM). */
int json_write_string(sio_buf *b, const char *s, size_t n);
/* Writer: appends the shortest of %.15g, %.16g, %.17g that reads back as
 * exactly v (a '.' whatever the locale). v must be finite. Returns 0 or -1
 * (out of memory, or v not finite). */
int json_write_double(sio_buf *b, double v);

#endif
