/* Work posted from other threads: a mutex-protected FIFO drained on the
 * loop thread. The lock is held only to link and unlink; nothing on the
 * loop's hot path takes it unless work was posted. */
#include "sio/sio_core.h"

#include <stdlib.h>
#include <string.h>

enum post_kind { POST_EMIT, POST_DISCONNECT, POST_CALL };

struct sio_post {
    sio_post *next;
    uint8_t kind;
    char *nsp, *socket_id, *event, *args, *room;
    char **rooms;
    size_t n_rooms;
    sio_call_fn fn; /* POST_CALL */
    void *arg;
};

static void post_free(sio_post *p)
{
    free(p->nsp);
    free(p->socket_id);
    free(p->event);
    free(p->args);
    free(p->room);
    for (size_t i = 0; i < p->n_rooms; i++)
        free(p->rooms[i]);
    free(p->rooms);
    free(p);
}

static char *dup_or_null(const char *s, bool *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = false;
    return d;
}

static int enqueue(sio_server *srv, sio_post *p)
{
    pthread_mutex_lock(&srv->post_lock);
    bool closed = srv->post_closed;
    if (!closed) {
        if (srv->post_tail)
            srv->post_tail->next = p;
        else
            srv->post_head = p;
        srv->post_tail = p;
        /* Woken under the lock: once sio_core_close_posts() has taken the
         * lock, no thread can still be about to touch the transport, which
         * the server may free next. The wake only writes to a pipe. */
        if (srv->wake)
            srv->wake(srv->transport);
    }
    pthread_mutex_unlock(&srv->post_lock);
    if (closed) {
        post_free(p);
        return SIO_ESTATE;
    }
    return SIO_OK;
}

int sio_post_emit(sio_server *srv, const char *nsp, const char *socket_id, const char *const *rooms,
                  size_t n_rooms, const char *event, const char *args_json)
{
    if (!event || sio_is_reserved_event(event, strlen(event)))
        return SIO_EINVAL;
    /* Validated here so that a bad call fails in the caller's thread. */
    if (args_json && !sio_args_is_array(args_json, NULL))
        return SIO_EINVAL;
    sio_post *p = calloc(1, sizeof(*p));
    if (!p)
        return SIO_ENOMEM;
    bool ok = true;
    p->kind = POST_EMIT;
    p->nsp = dup_or_null(nsp ? nsp : "/", &ok);
    p->socket_id = dup_or_null(socket_id, &ok);
    p->event = dup_or_null(event, &ok);
    p->args = dup_or_null(args_json, &ok);
    if (n_rooms) {
        p->rooms = calloc(n_rooms, sizeof(*p->rooms));
        ok = ok && p->rooms;
        for (size_t i = 0; ok && i < n_rooms; i++, p->n_rooms++)
            p->rooms[i] = dup_or_null(rooms[i], &ok);
    }
    if (!ok) {
        post_free(p);
        return SIO_ENOMEM;
    }
    return enqueue(srv, p);
}

int sio_post_disconnect(sio_server *srv, const char *nsp, const char *socket_id, const char *room)
{
    sio_post *p = calloc(1, sizeof(*p));
    if (!p)
        return SIO_ENOMEM;
    bool ok = true;
    p->kind = POST_DISCONNECT;
    p->nsp = dup_or_null(nsp ? nsp : "/", &ok);
    p->socket_id = dup_or_null(socket_id, &ok);
    p->room = dup_or_null(room, &ok);
    if (!ok) {
        post_free(p);
        return SIO_ENOMEM;
    }
    return enqueue(srv, p);
}

int sio_server_call(sio_server *srv, sio_call_fn fn, void *arg)
{
    if (!fn)
        return SIO_EINVAL;
    sio_post *p = calloc(1, sizeof(*p));
    if (!p)
        return SIO_ENOMEM;
    p->kind = POST_CALL;
    p->fn = fn;
    p->arg = arg;
    return enqueue(srv, p);
}

static void run_one(sio_server *srv, sio_post *p)
{
    if (p->kind == POST_CALL) {
        p->fn(srv, p->arg);
        return;
    }
    sio_namespace *nsp = sio_nsp_find(srv, p->nsp, strlen(p->nsp));
    if (!nsp)
        return;
    if (p->kind == POST_EMIT) {
        if (p->socket_id) {
            sio_socket *s = sio_nsp_socket(nsp, p->socket_id);
            if (s)
                sio_emit(s, p->event, p->args);
            return;
        }
        sio_target to = {.rooms = (const char *const *)p->rooms, .n_rooms = p->n_rooms};
        sio_broadcast(nsp, &to, p->event, p->args, NULL, 0);
        return;
    }
    if (p->socket_id) {
        sio_socket *s = sio_nsp_socket(nsp, p->socket_id);
        if (s)
            sio_disconnect(s, false);
        return;
    }
    sio_disconnect_room(nsp, p->room, false);
}

void sio_core_run_posted(sio_server *srv)
{
    pthread_mutex_lock(&srv->post_lock);
    sio_post *p = srv->post_head;
    srv->post_head = srv->post_tail = NULL;
    pthread_mutex_unlock(&srv->post_lock);
    while (p) {
        sio_post *next = p->next;
        run_one(srv, p);
        post_free(p);
        p = next;
    }
}

void sio_core_close_posts(sio_server *srv)
{
    pthread_mutex_lock(&srv->post_lock);
    sio_post *p = srv->post_head;
    srv->post_head = srv->post_tail = NULL;
    srv->post_closed = true;
    pthread_mutex_unlock(&srv->post_lock);
    while (p) {
        sio_post *next = p->next;
        if (p->kind == POST_CALL)
            p->fn(NULL, p->arg); /* to release what it was given */
        post_free(p);
        p = next;
    }
}
