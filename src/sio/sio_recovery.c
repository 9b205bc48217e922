/* Connection state recovery: the store of sessions and kept packets of one
 * namespace, and the rules of sio_recovery.h. */
#include "sio/sio_recovery.h"
#include "sio/sio_core.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A kept packet: the messages as they were sent (shared with the send
 * queues they went to) and the rooms they were for. Its offset is its
 * sequence number, in decimal. */
typedef struct kept_packet {
    uint64_t seq;
    int64_t at; /* when it was sent */
    sio_msg *m;
    sio_msg **atts;
    size_t n_atts;
    char **rooms, **except; /* one allocation (strs_dup), rooms first */
    size_t n_rooms, n_except;
    size_t bytes; /* what it counts against recovery_max_bytes */
} kept_packet;

/* A session left by a socket that went for a recoverable reason. */
typedef struct session {
    struct session *prev, *next; /* in the order they were left */
    char *pid, *sid, *data_json; /* data_json NULL for {} */
    char **rooms;                /* one allocation (strs_dup) */
    size_t n_rooms;
    int64_t at; /* when the socket went */
} session;

struct sio_recovery {
    sio_server *srv;
    /* Kept packets, oldest first, in a ring of `cap` (a power of two). */
    kept_packet *ring;
    size_t head, n, cap;
    uint64_t next_seq; /* the first packet is 1: no offset is 0 */
    size_t bytes;
    strmap sessions; /* pid -> session */
    session *oldest, *newest;
    sio_timer sweep; /* at the next expiry of a packet or session */
};

/* --- helpers ------------------------------------------------------------------- */

/* Copies n strings into one block: the pointers, then the strings.
 * NULL when out of memory (or n == 0, which needs nothing). */
static char **strs_dup(const char *const *v, size_t n, const char *const *w, size_t m)
{
    size_t size = (n + m) * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        size += strlen(v[i]) + 1;
    for (size_t i = 0; i < m; i++)
        size += strlen(w[i]) + 1;
    if (n + m == 0)
        return NULL;
    char **out = malloc(size);
    if (!out)
        return NULL;
    char *p = (char *)(out + n + m);
    for (size_t i = 0; i < n + m; i++) {
        const char *s = i < n ? v[i] : w[i - n];
        size_t len = strlen(s) + 1;
        memcpy(p, s, len);
        out[i] = p;
        p += len;
    }
    return out;
}

static bool strs_has(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static unsigned window(const sio_server *srv) { return srv->opt.recovery_max_disconnection_duration; }

/* --- the store ------------------------------------------------------------------- */

static void on_sweep(sio_timer *t, int64_t now);

static sio_recovery *store_of(sio_namespace *nsp)
{
    sio_server *srv = nsp->srv;
    if (!srv->opt.connection_state_recovery || !nsp->adapter->ops->keeps_sessions)
        return NULL;
    if (nsp->recovery)
        return nsp->recovery;
    sio_recovery *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->srv = srv;
    r->next_seq = 1;
    strmap_init(&r->sessions);
    sio_timer_init(&r->sweep, on_sweep);
    return nsp->recovery = r;
}

static kept_packet *packet_at(const sio_recovery *r, size_t i) { return &r->ring[(r->head + i) & (r->cap - 1)]; }

static void drop_oldest_packet(sio_recovery *r)
{
    kept_packet *k = packet_at(r, 0);
    sio_msg_unref(k->m);
    for (size_t i = 0; i < k->n_atts; i++)
        sio_msg_unref(k->atts[i]);
    free(k->atts);
    free(k->rooms);
    r->bytes -= k->bytes;
    r->head = (r->head + 1) & (r->cap - 1);
    r->n--;
}

static void session_unlink(sio_recovery *r, session *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        r->oldest = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        r->newest = s->prev;
    strmap_del(&r->sessions, s->pid, strlen(s->pid));
}

static void session_free(session *s)
{
    if (!s)
        return;
    free(s->pid);
    free(s->sid);
    free(s->data_json);
    free(s->rooms);
    free(s);
}

/* Drops what is older than the window, as Node's adapter does every minute
 * (here at each change and at the next expiry), then arms the sweep for the
 * next thing to expire. */
static void expire(sio_recovery *r, int64_t now)
{
    int64_t threshold = now - window(r->srv);
    while (r->n && packet_at(r, 0)->at < threshold)
        drop_oldest_packet(r);
    while (r->oldest && r->oldest->at < threshold) {
        session *s = r->oldest;
        session_unlink(r, s);
        session_free(s);
    }
    int64_t next = INT64_MAX;
    if (r->n)
        next = packet_at(r, 0)->at;
    if (r->oldest && r->oldest->at < next)
        next = r->oldest->at;
    if (next == INT64_MAX)
        timer_heap_cancel(&r->srv->timers, &r->sweep);
    else
        timer_heap_arm(&r->srv->timers, &r->sweep, next + window(r->srv) + 1);
}

static void on_sweep(sio_timer *t, int64_t now)
{
    expire((sio_recovery *)((char *)t - offsetof(sio_recovery, sweep)), now);
}

void sio_recovery_free(sio_recovery *r)
{
    if (!r)
        return;
    timer_heap_cancel(&r->srv->timers, &r->sweep);
    while (r->n)
        drop_oldest_packet(r);
    free(r->ring);
    while (r->oldest) {
        session *s = r->oldest;
        session_unlink(r, s);
        session_free(s);
    }
    strmap_free(&r->sessions);
    free(r);
}

/* Keeps a packet sent to `b`'s recipients; its sequence number was taken
 * already (its offset is in the messages). Past recovery_max_bytes the
 * oldest go, this one last: a packet larger than the whole budget empties
 * the store, so that no session resumes from before it without it.
 * Returns 0, or -1 when out of memory (the store is then emptied, for the
 * same reason). */
static int keep(sio_recovery *r, uint64_t seq, const sio_bcast *b, sio_msg *m, sio_msg **atts, size_t n_atts)
{
    sio_server *srv = r->srv;
    int64_t now = srv->clock();
    kept_packet k = {.seq = seq, .at = now, .n_atts = n_atts, .n_rooms = b->n_rooms, .n_except = b->n_except};
    k.rooms = strs_dup(b->rooms, b->n_rooms, b->except, b->n_except);
    k.atts = n_atts ? malloc(n_atts * sizeof(*k.atts)) : NULL;
    bool ok = (k.rooms || !(b->n_rooms + b->n_except)) && (k.atts || !n_atts);
    if (ok && r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        kept_packet *ring = malloc(cap * sizeof(*ring));
        ok = ring != NULL;
        for (size_t i = 0; ok && i < r->n; i++)
            ring[i] = *packet_at(r, i);
        if (ok) {
            free(r->ring);
            r->ring = ring;
            r->head = 0;
            r->cap = cap;
        }
    }
    if (!ok) {
        free(k.rooms);
        free(k.atts);
        while (r->n)
            drop_oldest_packet(r);
        return -1;
    }
    k.except = k.rooms ? k.rooms + k.n_rooms : NULL; /* no rooms: no list at all */
    k.m = sio_msg_ref(m);
    k.bytes = sizeof(k) + m->len;
    for (size_t i = 0; i < n_atts; i++) {
        k.atts[i] = sio_msg_ref(atts[i]);
        k.bytes += atts[i]->len;
    }
    for (size_t i = 0; i < k.n_rooms + k.n_except; i++)
        k.bytes += sizeof(char *) + strlen(k.rooms[i]) + 1;
    *packet_at(r, r->n) = k;
    r->n++;
    r->bytes += k.bytes;
    while (r->n && r->bytes > srv->opt.recovery_max_bytes)
        drop_oldest_packet(r);
    expire(r, now);
    return 0;
}

/* The index of the kept packet with this offset, or -1. */
static long find_offset(const sio_recovery *r, const char *offset)
{
    uint64_t seq = 0;
    size_t len = strlen(offset);
    if (len == 0 || len > 19 || offset[0] == '0')
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (offset[i] < '0' || offset[i] > '9')
            return -1;
        seq = seq * 10 + (uint64_t)(offset[i] - '0');
    }
    if (!r->n || seq < packet_at(r, 0)->seq || seq >= r->next_seq)
        return -1;
    return (long)(seq - packet_at(r, 0)->seq);
}

/* Node's shouldIncludePacket: for every room, or one of the session's, and
 * none of its rooms excepted. */
static bool session_gets(const session *s, const kept_packet *k)
{
    bool included = k->n_rooms == 0;
    for (size_t i = 0; i < s->n_rooms; i++) {
        if (strs_has(k->except, k->n_except, s->rooms[i]))
            return false;
        included = included || strs_has(k->rooms, k->n_rooms, s->rooms[i]);
    }
    return included;
}

/* --- encoding ------------------------------------------------------------------------ */

/* The arguments with `offset` appended: NULL (none) becomes ["offset"]. The
 * result is checked as any arguments are (sio_encode_packet): text that
 * was not an array does not become one. */
static int append_offset(sio_buf *out, const char *args_json, const char *offset)
{
    size_t len = args_json ? strlen(args_json) : 0;
    while (len && strchr(" \t\r\n", args_json[len - 1]))
        len--;
    if (!args_json || len == 0 || args_json[len - 1] != ']') {
        if (args_json) /* not an array: let the encoder refuse it as it is */
            return sio_buf_puts(out, args_json);
        return sio_buf_puts(out, "[\"") | sio_buf_puts(out, offset) | sio_buf_puts(out, "\"]");
    }
    size_t end = len - 1; /* the ']' */
    while (end && strchr(" \t\r\n", args_json[end - 1]))
        end--;
    bool empty = end && args_json[end - 1] == '[';
    int err = sio_buf_append(out, args_json, end);
    err |= sio_buf_puts(out, empty ? "\"" : ",\"");
    err |= sio_buf_puts(out, offset);
    return err | sio_buf_puts(out, "\"]");
}

int sio_recovery_encode(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p, int64_t ack_id,
                        sio_msg **out, sio_msg ***atts, size_t *natts, bool *kept)
{
    sio_server *srv = nsp->srv;
    if (kept)
        *kept = false;
    sio_recovery *r = b && ack_id < 0 && !(b->flags & SIO_BCAST_VOLATILE) ? store_of(nsp) : NULL;
    if (!r)
        return sio_encode_packet(srv, SIO_PKT_EVENT, nsp->name, ack_id, p->event, p->args_json, p->bins,
                                 p->nbins, out, atts, natts);
    char offset[24];
    snprintf(offset, sizeof(offset), "%" PRIu64, r->next_seq);
    sio_buf args;
    sio_buf_init(&args, 0);
    if (append_offset(&args, p->args_json, offset) || sio_buf_putc(&args, 0)) {
        sio_buf_free(&args);
        return SIO_ENOMEM;
    }
    int rc = sio_encode_packet(srv, SIO_PKT_EVENT, nsp->name, ack_id, p->event, (const char *)args.data, p->bins,
                               p->nbins, out, atts, natts);
    sio_buf_free(&args);
    if (rc != SIO_OK)
        return rc;
    /* Kept or not (out of memory), the packet goes: a session that missed
     * it is then no longer recoverable, which keep() sees to. */
    if (keep(r, r->next_seq++, b, *out, *atts, *natts) == 0 && kept)
        *kept = true;
    return SIO_OK;
}

/* --- sessions ------------------------------------------------------------------------- */

static const char *const recoverable[] = {
    "transport error", "transport close", "forced close", "ping timeout", "server shutting down",
    "forced server close",
};

void sio_recovery_persist(sio_socket *s, const char *reason)
{
    bool ok = false;
    for (size_t i = 0; reason && i < sizeof(recoverable) / sizeof(recoverable[0]); i++)
        ok = ok || strcmp(reason, recoverable[i]) == 0;
    sio_recovery *r = ok && s->pid ? store_of(s->nsp) : NULL;
    if (!r)
        return;
    size_t n = sio_room_count(s);
    const char **rooms = malloc((n ? n : 1) * sizeof(*rooms));
    session *ses = calloc(1, sizeof(*ses));
    if (!rooms || !ses) {
        free(rooms);
        free(ses);
        return;
    }
    for (size_t i = 0; i < n; i++)
        rooms[i] = sio_socket_room(s, i);
    ses->pid = strdup(s->pid);
    ses->sid = strdup(s->id);
    ses->data_json = s->data_json ? strdup(s->data_json) : NULL;
    ses->rooms = strs_dup(rooms, n, NULL, 0);
    ses->n_rooms = n;
    ses->at = r->srv->clock();
    free(rooms);
    session *old = strmap_get(&r->sessions, s->pid, strlen(s->pid));
    if (old) { /* the same pid left again: the newer session holds */
        session_unlink(r, old);
        session_free(old);
    }
    if (!ses->pid || !ses->sid || (s->data_json && !ses->data_json) || (n && !ses->rooms) ||
        strmap_put(&r->sessions, ses->pid, strlen(ses->pid), ses)) {
        session_free(ses);
        return;
    }
    ses->prev = r->newest;
    if (r->newest)
        r->newest->next = ses;
    else
        r->oldest = ses;
    r->newest = ses;
    expire(r, ses->at);
}

/* A copy of the string value of `key` in the JSON object `json`, or NULL. */
static char *auth_string(const sio_server *srv, const char *json, const char *key)
{
    json_doc d;
    char *out = NULL;
    if (json_parse(&d, json, strlen(json), &srv->lim.json) != JSON_OK)
        return NULL;
    int t = json_object_get(&d, 0, key);
    if (t >= 0 && json_type_of(&d, t) == JSON_STRING) {
        sio_buf b;
        sio_buf_init(&b, 0);
        if (json_string_decode(&d, t, &b) == 0 && sio_buf_putc(&b, 0) == 0 && !memchr(b.data, 0, b.len - 1))
            out = strdup((const char *)b.data);
        sio_buf_free(&b);
    }
    json_doc_free(&d);
    return out;
}

/* The session of `pid` when it can be recovered from `offset` now: within
 * the window and the offset still kept (Node's restoreSession). */
static session *recoverable_session(sio_recovery *r, const char *pid, const char *offset, long *index)
{
    int64_t now = r->srv->clock();
    expire(r, now);
    session *ses = strmap_get(&r->sessions, pid, strlen(pid));
    if (!ses || ses->at + (int64_t)window(r->srv) < now)
        return NULL;
    *index = find_offset(r, offset);
    return *index < 0 ? NULL : ses;
}

static char *new_id(void)
{
    char *id = malloc(SIO_ID_LEN + 1);
    if (id && sio_rand_id(id)) {
        free(id);
        return NULL;
    }
    return id;
}

int sio_recovery_claim(sio_socket *s)
{
    sio_recovery *r = s->client && s->client->protocol == 5 ? store_of(s->nsp) : NULL;
    if (!r)
        return 0;
    const char *auth = sio_socket_auth(s);
    char *pid = auth_string(r->srv, auth, "pid");
    char *offset = pid ? auth_string(r->srv, auth, "offset") : NULL;
    long index;
    session *ses = offset ? recoverable_session(r, pid, offset, &index) : NULL;
    if (ses) {
        char *id = strdup(ses->sid);
        if (!id) {
            ses = NULL;
        } else {
            free(s->id);
            s->id = id;
            s->pid = pid;
            s->recovered = true;
            s->recovery_offset = offset;
            return 0;
        }
    }
    free(pid);
    free(offset);
    s->pid = new_id();
    return s->pid ? 0 : -1;
}

int sio_recovery_restore(sio_socket *s)
{
    char *offset = s->recovery_offset;
    s->recovery_offset = NULL;
    if (!s->recovered) {
        free(offset);
        return 0;
    }
    sio_recovery *r = store_of(s->nsp);
    long index = -1;
    session *ses = r ? recoverable_session(r, s->pid, offset, &index) : NULL;
    free(offset);
    if (!ses) {
        /* Gone while its middlewares decided: a new socket after all. */
        char *id = new_id(), *pid = new_id();
        if (!id || !pid) {
            free(id);
            free(pid);
            return -1;
        }
        free(s->id);
        free(s->pid);
        s->id = id;
        s->pid = pid;
        s->recovered = false;
        return 0;
    }
    session_unlink(r, ses);
    int rc = 0;
    for (size_t i = 0; i < ses->n_rooms && rc == 0; i++)
        rc = sio_join(s, ses->rooms[i]) == SIO_OK ? 0 : -1;
    if (ses->data_json && rc == 0) {
        free(s->data_json);
        s->data_json = ses->data_json;
        ses->data_json = NULL;
    }
    eio_session *es = s->client ? s->client->es : NULL;
    for (size_t i = (size_t)index + 1; es && rc == 0 && i < r->n; i++) {
        const kept_packet *k = packet_at(r, i);
        if (!session_gets(ses, k))
            continue;
        int sent = eio_session_send(es, k->m);
        for (size_t a = 0; sent == EIO_SEND_OK && a < k->n_atts; a++)
            sent = eio_session_send(es, k->atts[a]);
        if (sent != EIO_SEND_OK)
            rc = -1;
    }
    session_free(ses);
    return rc;
}

bool sio_socket_recovered(const sio_socket *s) { return s->recovered; }
