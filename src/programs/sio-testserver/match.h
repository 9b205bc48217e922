/* The JSON subset match of reply rules and waits: does a value contain a
 * pattern? Pure, and tested on its own (tests/unit/test_testserver_match.c). */
#ifndef SIO_TESTSERVER_MATCH_H
#define SIO_TESTSERVER_MATCH_H

#include <stdbool.h>

#include "sio_json.h"

/* Whether `value` matches `pattern`:
 *   - an object matches when every member of the pattern is in the value
 *     and matches there (the value may have more members);
 *   - an array matches when each element of the pattern matches the
 *     value's element at the same place (the value may have more);
 *   - a string, a boolean, null match the same value; a number matches an
 *     equal number (1 and 1.0 are equal, as in JavaScript).
 * A missing pattern matches anything. */
bool ts_json_match(sio_json_value pattern, sio_json_value value);

/* The same on JSON texts; false when either is not JSON. */
bool ts_json_match_text(const char *pattern, const char *value);

#endif
