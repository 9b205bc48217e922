/* libwebsockets' log lines, through the application's log callback.
 *
 * lws 4.1 has one log level and one emit function for the whole process
 * (lws_set_log_level). They are left as the process has them unless a
 * server is given a log callback: then that server's callback receives
 * lws's errors and warnings (the layer above makes them records marked
 * source=libwebsockets, in the application's format, without lws's own
 * timestamp, which only lws's stderr emitter adds), until the server
 * is freed, when lws gets back the level it had and its own stderr emitter.
 * With several such servers, the latest one created receives them. */
#include "transport/lws_internal.h"

#include <pthread.h>
#include <string.h>

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static sio_transport *log_owner; /* whose callback receives lws's lines */
static int saved_levels = -1;    /* lws's levels before the first routing */

/* lws's level bits as the library's levels: 0 error, 1 warning, 2 info, 3 debug. */
static int level_of(int lll)
{
    return lll & LLL_ERR ? 0 : lll & LLL_WARN ? 1 : lll & (LLL_NOTICE | LLL_USER) ? 2 : 3;
}

static void emit_line(int lll, const char *line)
{
    char text[512];
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        n--;
    if (n >= sizeof(text))
        n = sizeof(text) - 1;
    memcpy(text, line, n);
    text[n] = 0;
    pthread_mutex_lock(&log_lock);
    sio_transport *t = log_owner;
    if (t && t->cfg.log)
        t->cfg.log(t->cfg.log_ctx, level_of(lll), text);
    pthread_mutex_unlock(&log_lock);
}

/* The levels lws has now (it can be asked bit by bit only). */
static int current_levels(void)
{
    int levels = 0;
    for (int bit = 0; bit < LLL_COUNT; bit++)
        if (lwsl_visible(1 << bit))
            levels |= 1 << bit;
    return levels;
}

void transport_log_route(sio_transport *t)
{
    if (!t->cfg.log)
        return;
    pthread_mutex_lock(&log_lock);
    if (saved_levels < 0)
        saved_levels = current_levels();
    log_owner = t;
    lws_set_log_level(LLL_ERR | LLL_WARN, emit_line);
    pthread_mutex_unlock(&log_lock);
}

void transport_log_unroute(sio_transport *t)
{
    pthread_mutex_lock(&log_lock);
    if (log_owner == t) {
        log_owner = NULL;
        lws_set_log_level(saved_levels < 0 ? LLL_ERR | LLL_WARN | LLL_NOTICE : saved_levels, lwsl_emit_stderr);
        saved_levels = -1;
    }
    pthread_mutex_unlock(&log_lock);
}
