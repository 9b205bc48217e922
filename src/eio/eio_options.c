/* The engine's defaults (declared in eio_engine.h), Node's values. */
#include "eio/eio_engine.h"

void eio_options_defaults(eio_options *o)
{
    o->ping_interval = 25000;
    o->ping_timeout = 20000;
    o->upgrade_timeout = 10000;
    o->max_payload = 1000000;
    o->max_queue_bytes = 16u << 20;
    o->max_total_queue_bytes = (size_t)1 << 30;
    o->max_poll_packets = 16;
    o->allow_polling = true;
    o->allow_websocket = true;
    o->allow_upgrades = true;
    o->allow_eio3 = true;
}
