/* The packet journal (testserver.h): every Socket.IO packet (and binary
 * attachment) each connection received and sent, in order, with the time,
 * from the library's tap. Bounded: JOURNAL_CAP packets in all, the oldest
 * going first. */
#include "testserver.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "binary.h"
#include "sio_testing.h"

#define JOURNAL_CAP 100000

typedef struct packet {
    uint64_t seq;
    int64_t time;
    char *conn;
    char *nsp; /* of the packet, or of the packet an attachment belongs to */
    char *data; /* text, or base64 for a binary attachment */
    bool outgoing, binary;
} packet;

struct ts_journal {
    packet *p; /* a ring */
    size_t head, len, cap;
    uint64_t next_seq;
    /* The namespace of the last text packet per direction, which the
     * binary attachments after it belong to (one connection's attachments
     * always follow their packet). */
    char last_nsp[2][256];
};

ts_journal *ts_journal_new(void) { return calloc(1, sizeof(ts_journal)); }

static void packet_free(packet *p)
{
    free(p->conn);
    free(p->nsp);
    free(p->data);
}

void ts_journal_clear(ts_journal *j)
{
    for (size_t i = 0; i < j->len; i++)
        packet_free(&j->p[(j->head + i) % j->cap]);
    free(j->p);
    memset(j, 0, sizeof(*j));
}

void ts_journal_free(ts_journal *j)
{
    if (!j)
        return;
    ts_journal_clear(j);
    free(j);
}

/* The namespace of a Socket.IO packet's text: after the type digit and an
 * attachment count ("51-"), a '/' starts the namespace, which ends at ','
 * or at the end; otherwise "/". */
static void packet_nsp(const char *p, size_t n, char *out, size_t cap)
{
    size_t i = n ? 1 : 0;
    size_t j = i;
    while (j < n && p[j] >= '0' && p[j] <= '9')
        j++;
    if (j < n && p[j] == '-')
        i = j + 1;
    if (i >= n || p[i] != '/') {
        snprintf(out, cap, "/");
        return;
    }
    size_t e = i;
    while (e < n && p[e] != ',')
        e++;
    snprintf(out, cap, "%.*s", (int)(e - i), p + i);
}

void ts_journal_tap(const char *conn, bool outgoing, const void *data, size_t len, bool binary, void *user)
{
    ts_journal *j = user;
    if (!j->cap) {
        if (!(j->p = calloc(JOURNAL_CAP, sizeof(*j->p))))
            return;
        j->cap = JOURNAL_CAP;
        j->next_seq = 1;
    }
    packet *p;
    if (j->len == j->cap) {
        p = &j->p[j->head];
        packet_free(p);
        j->head = (j->head + 1) % j->cap;
    } else {
        p = &j->p[(j->head + j->len) % j->cap];
        j->len++;
    }
    char *nsp = j->last_nsp[outgoing];
    if (!binary)
        packet_nsp(data, len, nsp, sizeof(j->last_nsp[0]));
    char *text = binary ? ts_base64(data, len) : strndup(data, len);
    *p = (packet){j->next_seq++, ts_now(), strdup(conn), strdup(nsp), text, outgoing, binary};
}

void ts_journal_write(const ts_journal *j, sio_json_writer *w, const char *conn, const char *nsp)
{
    sio_jw_array(w);
    for (size_t i = 0; i < j->len; i++) {
        const packet *p = &j->p[(j->head + i) % j->cap];
        if (!p->conn || !p->data || (conn && strcmp(p->conn, conn) != 0) ||
            (nsp && p->nsp && strcmp(p->nsp, nsp) != 0))
            continue;
        sio_jw_object(w);
        sio_jw_key(w, "seq");
        sio_jw_int(w, (int64_t)p->seq);
        sio_jw_key(w, "time");
        sio_jw_int(w, p->time);
        sio_jw_key(w, "direction");
        sio_jw_string(w, p->outgoing ? "sent" : "received");
        sio_jw_key(w, "connection");
        sio_jw_string(w, p->conn);
        sio_jw_key(w, p->binary ? "binary" : "packet");
        sio_jw_string(w, p->data);
        sio_jw_object_end(w);
    }
    sio_jw_array_end(w);
}
