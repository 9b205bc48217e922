/* Query strings ("a=1&b=x%20y") as JSON objects ({"a":"1","b":"x y"}), for
 * the handshake query and a 2.x client's namespace query. */
#ifndef SIO_UTIL_QUERY_H
#define SIO_UTIL_QUERY_H

#include <stddef.h>

/* Returns a malloc'd JSON object of the URL-decoded pairs of q[0..n),
 * leaving out the keys in `skip` (a NULL-terminated list, or NULL). A value
 * that is not valid UTF-8 makes the result "{}". Returns NULL only when out
 * of memory. */
char *sio_query_to_json(const char *q, size_t n, const char *const *skip);

#endif
