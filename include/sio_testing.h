/* libsio: hooks for test servers. Not for production.
 *
 * A test server (sio-testserver) lets a frontend's tests see every packet
 * and make the network fail on purpose, to test a client's reconnection
 * logic against a real server. These functions reach under the Socket.IO
 * layer, into the Engine.IO connections ("conn": one client connection,
 * named by its Engine.IO session id, shared by the client's namespaces).
 * When unused they cost a test of a zero word per send, ping and poll.
 *
 * Every function runs on the loop thread. */
#ifndef LIBSIO_SIO_TESTING_H
#define LIBSIO_SIO_TESTING_H

#include "sio.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Faults, as bits. */
#define SIO_FAULT_NO_HEARTBEAT 1u    /* socket.io-client 3+/4 (Engine.IO v4): no pings are sent, so
                                      * the client's ping timeout fires; 2.x (v3): its pings
                                      * go unanswered, with the same effect */
#define SIO_FAULT_STALL_POLLS 2u     /* polling requests are held and never answered */
#define SIO_FAULT_CLOSE_POLLS 4u     /* a polling request's TCP connection is reset as it
                                      * arrives, and the session ends */
#define SIO_FAULT_REFUSE_UPGRADE 8u  /* the upgrade to WebSocket is refused (400); set for
                                      * every connection, WebSocket handshakes too */
#define SIO_FAULT_DELAY 16u          /* every Socket.IO packet sent waits delay_ms more, in
                                      * order (the heartbeat keeps its time) */

/* Sets the faults of one connection (`conn`, an Engine.IO session id) or,
 * with conn NULL, of every connection, those to come included; 0 clears
 * them. A connection's faults add to every connection's. Returns SIO_OK,
 * SIO_ENOTFOUND (no such open connection) or SIO_ENOMEM. */
SIO_API int sio_test_set_faults(sio_server *srv, const char *conn, unsigned faults, unsigned delay_ms);
/* Resets the TCP connection(s) of `conn` (NULL: of every connection), with
 * no Engine.IO close, no WebSocket close and no HTTP answer, and forgets
 * the session: the client's next request finds no session, as after a
 * server restart. Its sockets disconnect with "transport close". Returns
 * how many connections were dropped, or SIO_ENOTFOUND. */
SIO_API int sio_test_drop(sio_server *srv, const char *conn);
/* Queues one Engine.IO packet as text, as it is: the first character is
 * its type ("4..." a message), and nothing checks it, so that a client can
 * be sent a malformed packet. Returns SIO_OK, SIO_EINVAL (empty),
 * SIO_ENOTFOUND or SIO_ENOMEM. */
SIO_API int sio_test_send_raw(sio_server *srv, const char *conn, const char *packet, size_t len);

/* Sees every message of every connection: received (outgoing false) as it
 * arrives, and sent as it is queued, in order. A message is one Socket.IO
 * packet's text ("2[\"hi\"]", "0/admin,{}"), without the Engine.IO type,
 * or one binary attachment (binary true). NULL stops it. */
typedef void (*sio_test_tap_fn)(const char *conn, bool outgoing, const void *data, size_t len, bool binary,
                                void *user);
SIO_API void sio_test_tap(sio_server *srv, sio_test_tap_fn fn, void *user);

/* A socket's connection (its Engine.IO session id), transport and protocol:
 * sio_socket_client_id() (sio_observer.h), sio_socket_transport() and
 * sio_socket_protocol() (sio.h). */

#ifdef __cplusplus
}
#endif
#endif
