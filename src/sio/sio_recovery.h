/* Connection state recovery (Node's connectionStateRecovery, socket.io 4.6+):
 * the store of a namespace's sessions and of the packets its sockets were
 * sent, and the rules that decide whether a reconnecting client gets its
 * session back.
 *
 * The rules are those of Node's SessionAwareAdapter and Socket:
 *   - with recovery on, a socket gets a private session id (pid), sent in
 *     the CONNECT reply next to its id;
 *   - every EVENT sent to sockets of the namespace, through a broadcast or
 *     an emit to one socket, that has no ack id and is not volatile gets an
 *     offset appended as its last argument, and is kept with the rooms it
 *     was for, for the window (max_disconnection_duration);
 *   - a socket that goes for a reason other than a clean disconnect (Node's
 *     "transport error", "transport close", "forced close", "ping timeout",
 *     "server shutting down") leaves its session: id, pid, rooms, JSON data;
 *   - a CONNECT whose auth carries {pid, offset} (both strings) gets the
 *     session back when it is within the window and the offset is still
 *     kept: the same id, rooms and data, and every kept packet after the
 *     offset that its rooms would have received, in order, before the
 *     CONNECT reply. Otherwise it is a new socket.
 * The store is bounded in time (the window) and in bytes (recovery_max_bytes):
 * past the bytes the oldest packets go, and a session whose offset went with
 * them is no longer recovered (one of its missed packets would be lost).
 *
 * The store exists only for an adapter that keeps sessions (the in-memory
 * one); with another (the Redis adapter) recovery is off, as with Node's
 * classic Redis adapter. Loop thread only. */
#ifndef SIO_SIO_RECOVERY_H
#define SIO_SIO_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "sio/sio_adapter.h"
#include "util/msg.h"

typedef struct sio_recovery sio_recovery;

/* Frees a store (NULL is a no-op) and everything it keeps. */
void sio_recovery_free(sio_recovery *r);

/* Encodes an EVENT packet as sio_encode_packet does. When recovery applies
 * to the namespace, `b` is given (the recipients: rooms and except-rooms),
 * and the packet is one Node keeps (ack_id < 0, not SIO_BCAST_VOLATILE),
 * the packet's arguments get its offset as a last string and the encoded
 * messages are kept; *kept (when not NULL) says whether it was. Returns
 * SIO_OK or a SIO_E* code; on success *out and its *natts attachment
 * messages (*atts) are new references the caller releases
 * (sio_release_msgs). */
int sio_recovery_encode(sio_namespace *nsp, const sio_bcast *b, const sio_adapter_packet *p, int64_t ack_id,
                        sio_msg **out, sio_msg ***atts, size_t *natts, bool *kept);

/* A new socket of a v5 client, before its middlewares: with a recoverable
 * session named by its auth it takes that session's id and pid and is
 * marked recovered; otherwise it gets a fresh pid. Nothing when recovery
 * does not apply. Returns 0, or -1 when out of memory. */
int sio_recovery_claim(sio_socket *s);

/* At the socket's CONNECT reply, before it is sent: a recovered socket
 * rejoins its rooms, gets its data back and is sent its missed packets.
 * When the session expired meanwhile (an asynchronous middleware took
 * long), the socket becomes a new one (new id and pid, not recovered).
 * Returns 0, or -1 when out of memory. */
int sio_recovery_restore(sio_socket *s);

/* A socket leaving for `reason`, still in its rooms: keeps its session
 * when the reason is recoverable. */
void sio_recovery_persist(sio_socket *s, const char *reason);

#endif
