/* Password checks off the loop (admin.h). A bcrypt check at cost 10 takes
 * about 60 ms of CPU: done on the loop thread, a client sending logins to
 * the admin namespace, without knowing any password, would stop every
 * other client's traffic. So the middleware hands each login to one worker
 * thread and answers its decision when the worker is done, through
 * sio_server_call(). The worker checks one login at a time, and at most
 * ADMIN_LOGINS_WAITING wait for it: more are refused at once ("too many
 * login attempts"), so a flood costs one core at most, and memory bounded.
 *
 * Who answers a login's decision, whatever happens:
 *   - the loop, in login_done(), once the worker has checked it;
 *   - login_done() with srv NULL (the server stopped before it ran: that is
 *     the thread that ran the loop, which may still decide), as a refusal;
 *   - admin_logins_stop() (from the server's free, on the loop's thread),
 *     as refusals, for those still waiting and for those the worker could
 *     not hand back (sio_server_call() refused: the server had stopped). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

struct admin_login {
    admin *a;
    sio_decision *d;
    char *user, *password;
    bool ok;
    admin_login *next;
};

static void login_free(admin_login *l)
{
    if (l->password)
        explicit_bzero(l->password, strlen(l->password));
    free(l->password);
    free(l->user);
    free(l);
}

/* Answers a login's decision (loop thread) and frees it. */
static void login_answer(admin_login *l, bool ok)
{
    if (ok)
        ok = admin_session_send(l->a, sio_decision_socket(l->d));
    sio_decide(l->d, ok, ok ? NULL : "invalid credentials", NULL);
    login_free(l);
}

static void login_done(sio_server *srv, void *arg)
{
    admin_login *l = arg;
    login_answer(l, srv && l->ok);
}

static void *worker(void *arg)
{
    admin *a = arg;
    pthread_mutex_lock(&a->login_lock);
    for (;;) {
        while (!a->login_head && !a->login_stopping)
            pthread_cond_wait(&a->login_cond, &a->login_lock);
        if (a->login_stopping)
            break;
        admin_login *l = a->login_head;
        a->login_head = l->next;
        if (!a->login_head)
            a->login_tail = NULL;
        a->logins_waiting--;
        pthread_mutex_unlock(&a->login_lock);

        l->ok = admin_credentials_ok(a, l->user, l->password);
        explicit_bzero(l->password, strlen(l->password));
        if (sio_server_call(a->srv, login_done, l) != SIO_OK) {
            pthread_mutex_lock(&a->login_lock);
            l->next = a->logins_stranded;
            a->logins_stranded = l;
            continue; /* the lock is held again, as the loop expects */
        }
        pthread_mutex_lock(&a->login_lock);
    }
    pthread_mutex_unlock(&a->login_lock);
    return NULL;
}

int admin_logins_init(admin *a)
{
    if (pthread_mutex_init(&a->login_lock, NULL) != 0)
        return SIO_ENOMEM;
    if (pthread_cond_init(&a->login_cond, NULL) != 0) {
        pthread_mutex_destroy(&a->login_lock);
        return SIO_ENOMEM;
    }
    if (pthread_create(&a->login_thread, NULL, worker, a) != 0) {
        pthread_cond_destroy(&a->login_cond);
        pthread_mutex_destroy(&a->login_lock);
        return SIO_ENOMEM;
    }
    a->logins_running = true;
    return SIO_OK;
}

void admin_login_check(admin *a, sio_decision *d, char *user, char *password)
{
    admin_login *l = calloc(1, sizeof(*l));
    if (!l || !user || !password) {
        free(l);
        free(user);
        if (password)
            explicit_bzero(password, strlen(password));
        free(password);
        sio_decide(d, false, "invalid credentials", NULL);
        return;
    }
    *l = (admin_login){.a = a, .d = d, .user = user, .password = password};
    pthread_mutex_lock(&a->login_lock);
    bool room = a->logins_waiting < ADMIN_LOGINS_WAITING;
    if (room) {
        if (a->login_tail)
            a->login_tail->next = l;
        else
            a->login_head = l;
        a->login_tail = l;
        a->logins_waiting++;
        pthread_cond_signal(&a->login_cond);
    }
    pthread_mutex_unlock(&a->login_lock);
    if (!room) {
        sio_decide(d, false, "too many login attempts", NULL);
        login_free(l);
    }
}

static void answer_all_refused(admin_login *l)
{
    while (l) {
        admin_login *next = l->next;
        login_answer(l, false);
        l = next;
    }
}

void admin_logins_stop(admin *a)
{
    if (!a->logins_running)
        return;
    pthread_mutex_lock(&a->login_lock);
    a->login_stopping = true;
    pthread_cond_signal(&a->login_cond);
    pthread_mutex_unlock(&a->login_lock);
    pthread_join(a->login_thread, NULL);
    a->logins_running = false;
    /* The worker is gone: what it left is this thread's alone. */
    answer_all_refused(a->login_head);
    answer_all_refused(a->logins_stranded);
    a->login_head = a->login_tail = a->logins_stranded = NULL;
    pthread_cond_destroy(&a->login_cond);
    pthread_mutex_destroy(&a->login_lock);
}
