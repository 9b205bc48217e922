/* The body of a POST /api/emit request, read strictly:
 *   {"namespace": "/...", "rooms": [str...], "except": [str...],
 *    "event": str, "data": [args...]}
 * "event" is required, not empty and not a reserved name (connect,
 * disconnect, ...); the others are optional ("namespace" defaults to "/",
 * no rooms means every socket). An unknown or repeated field is refused, and
 * so is a string holding U+0000. Pure: no I/O, no server state, so that it
 * can be fuzzed on its own. */
#ifndef SIO_SERVER_EMIT_REQUEST_H
#define SIO_SERVER_EMIT_REQUEST_H

#include <stddef.h>

#define EMIT_MAX_ROOMS 1024 /* entries of "rooms" or of "except" */

typedef struct emit_request {
    char *nsp;   /* "/" when absent */
    char *event;
    char **rooms;
    size_t n_rooms;
    char **except;
    size_t n_except;
    char *data; /* the text of the arguments array (NUL-terminated), or NULL */
} emit_request;

/* Reads body[0..len) into *r. Returns 0; or the HTTP status to refuse it
 * with (400, or 500 when out of memory) and a message naming the problem in
 * why[0..why_len). *r is to be freed with emit_request_free either way. */
unsigned emit_request_parse(const char *body, size_t len, emit_request *r, char *why, size_t why_len);
void emit_request_free(emit_request *r);

#endif
