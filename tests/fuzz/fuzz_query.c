/* Fuzz target: sio_query_to_json, which turns a client's handshake query
 * string (and a socket.io 2.x client's namespace query, "/nsp?x=y") into the
 * JSON object the application reads.
 *
 * Feeds: the input as a query string, with Engine.IO's own keys skipped as
 * the core does, and without a skip list.
 * Checks, beyond memory safety:
 *   - the result is never NULL here, and is one valid JSON object whose
 *     values are all strings;
 *   - it has one member per non-empty '&' field whose raw key is not
 *     skipped, or none at all (a value that is not UTF-8 empties it). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "util/json.h"
#include "util/query.h"

static int members(const char *json)
{
    json_doc d;
    FUZZ_CHECK(json_parse(&d, json, strlen(json), NULL) == JSON_OK);
    FUZZ_CHECK(json_type_of(&d, 0) == JSON_OBJECT);
    int n = json_size(&d, 0);
    int k = 1;
    for (int i = 0; i < n; i++) {
        FUZZ_CHECK(json_type_of(&d, k) == JSON_STRING);
        FUZZ_CHECK(json_type_of(&d, k + 1) == JSON_STRING);
        k = json_skip(&d, k);
    }
    FUZZ_CHECK(k == d.ntok);
    json_doc_free(&d);
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const engine_keys[] = {"EIO", "transport", "t", "b64", "sid", "j", NULL};
    const char *q = (const char *)data;
    int fields = 0, kept = 0;
    for (size_t i = 0; i < size;) {
        size_t end = i, eq;
        while (end < size && q[end] != '&')
            end++;
        for (eq = i; eq < end && q[eq] != '=';)
            eq++;
        if (end > i) {
            fields++;
            kept++;
            for (size_t k = 0; engine_keys[k]; k++)
                if (strlen(engine_keys[k]) == eq - i && memcmp(engine_keys[k], q + i, eq - i) == 0)
                    kept--;
        }
        i = end + 1;
    }

    char *all = sio_query_to_json(q, size, NULL);
    char *app = sio_query_to_json(q, size, engine_keys);
    FUZZ_CHECK(all && app);
    int n_all = members(all), n_app = members(app);
    FUZZ_CHECK(n_all == fields || n_all == 0);
    FUZZ_CHECK(n_app == kept || n_app == 0);
    free(all);
    free(app);
    return 0;
}
