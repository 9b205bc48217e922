/* The kinds of rules (rules.c), for the commands that add them. */
#ifndef SIO_TESTSERVER_RULES_H
#define SIO_TESTSERVER_RULES_H

#include "testserver.h"

typedef enum ts_rule_kind {
    TS_ON_CONNECT, /* {namespace, emit: [{event, args}]} */
    TS_ON_EVENT,   /* {namespace, event, match, ack, delay_ms, emit} */
    TS_REFUSE,     /* {namespace, message, data} */
} ts_rule_kind;

/* Adds a rule from its JSON body. Returns 0, or -1 with *why set. */
int ts_rules_add(ts_state *st, ts_rule_kind kind, sio_json_value body, const char **why);
/* Drops the acks still waiting for their delay (unanswered). */
void ts_delays_cancel(ts_state *st);

#endif
