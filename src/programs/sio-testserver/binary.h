/* Binary arguments in the control API's JSON: an object {"$binary":
 * "<base64>"} stands for a binary argument, in what a test sends (emits,
 * ack replies) and in what it reads (the event log, the journal). */
#ifndef SIO_TESTSERVER_BINARY_H
#define SIO_TESTSERVER_BINARY_H

#include <stddef.h>

#include "sio.h"
#include "sio_json.h"

/* Arguments ready for sio_emit_binary/sio_ack_send: `json` with each
 * {"$binary": ...} replaced by a placeholder, and the bytes. */
typedef struct ts_args {
    char *json;
    sio_binary *bins;
    size_t nbins;
} ts_args;

/* From a JSON array of arguments (a missing value: no arguments). Returns
 * 0, or -1 with *why set (not an array, bad base64, out of memory). */
int ts_args_from_json(sio_json_value args, ts_args *out, const char **why);
void ts_args_free(ts_args *a);
/* A deep copy; -1 when out of memory. */
int ts_args_copy(ts_args *dst, const ts_args *src);

/* Writes received arguments with their binaries as {"$binary": ...}. */
void ts_args_write(sio_json_writer *w, const sio_args *a);

/* Base64 (RFC 4648, with padding): a NUL-terminated copy to free(), or NULL. */
char *ts_base64(const void *data, size_t len);

#endif
