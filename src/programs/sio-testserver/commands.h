/* What the command files (commands.c, faults.c) share. */
#ifndef SIO_TESTSERVER_COMMANDS_H
#define SIO_TESTSERVER_COMMANDS_H

#include "testserver.h"

/* Answers {"error": message} with `status`. */
void ts_answer_error(ts_state *st, ts_done_fn done, void *user, unsigned status, const char *message);
/* Answers 200 with the writer's text, and frees the writer. */
void ts_answer_writer(ts_state *st, ts_done_fn done, void *user, sio_json_writer *w);
/* Answers 200 {"<key>": n}. */
void ts_answer_count(ts_state *st, ts_done_fn done, void *user, const char *key, int64_t n);
/* A string member, copied (free it), or NULL. */
char *ts_member(sio_json_value body, const char *key);
/* An integer member in [0, max] into *out; true also when absent (then
 * *out is untouched). */
bool ts_uint_member(sio_json_value body, const char *key, int64_t max, int64_t *out);
/* The connected socket the body names ({socket, namespace}), or NULL with
 * *why set. */
ts_known *ts_target_socket(ts_state *st, sio_json_value body, const char **why);

void ts_cmd_fault(ts_state *st, sio_json_value body, ts_done_fn done, void *user);
void ts_cmd_drop(ts_state *st, sio_json_value body, ts_done_fn done, void *user);
void ts_cmd_malformed(ts_state *st, sio_json_value body, ts_done_fn done, void *user);
void ts_cmd_restart(ts_state *st, sio_json_value body, ts_done_fn done, void *user);

#endif
