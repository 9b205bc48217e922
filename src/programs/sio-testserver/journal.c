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
    ts_ring ring; /* of packet */
    uint64_t next_seq;
};

ts_journal *ts_journal_new(void) { return calloc(1, sizeof(ts_journal)); }

static void packet_free(void *item)
{
    packet *p = item;
    free(p->conn);
    free(p->nsp);
    free(p->data);
}

void ts_journal_clear(ts_journal *j)
{
    ts_ring_clear(&j->ring, packet_free);
    j->next_seq = 0;
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
    packet *p = ts_ring_push(&j->ring, sizeof(packet), JOURNAL_CAP, packet_free);
    if (!p)
        return;
    char nsp[256] = "/";
    if (!binary) {
        packet_nsp(data, len, nsp, sizeof(nsp));
    } else {
        /* An attachment belongs to the packet before it on its connection,
         * in its direction (other connections' packets may come between). */
        for (size_t i = j->ring.len - 1, seen = 0; i-- > 0 && seen < 1024; seen++) {
            const packet *q = ts_ring_at(&j->ring, i);
            if (!q->binary && q->outgoing == outgoing && q->conn && strcmp(q->conn, conn) == 0) {
                snprintf(nsp, sizeof(nsp), "%s", q->nsp ? q->nsp : "/");
                break;
            }
        }
    }
    char *text = binary ? ts_base64(data, len) : strndup(data, len);
    *p = (packet){++j->next_seq, ts_now(), strdup(conn), strdup(nsp), text, outgoing, binary};
}

void ts_journal_write(const ts_journal *j, sio_json_writer *w, const char *conn, const char *nsp)
{
    sio_jw_array(w);
    for (size_t i = 0; i < j->ring.len; i++) {
        const packet *p = ts_ring_at(&j->ring, i);
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
