/* sio-echo's namespaces, one file each: what each one installs on the
 * server. */
#ifndef SIO_ECHO_NAMESPACES_H
#define SIO_ECHO_NAMESPACES_H

#include <stdbool.h>

#include "sio.h"
#include "sio_json.h"

/* echo.c: the echo handlers every namespace has ("auth" on connection,
 * "message", "message-with-ack", "broadcast", and "message-uncompressed",
 * "message"'s answer marked not to be compressed). */
void echo_setup(sio_namespace *nsp);
void echo_connection(sio_socket *s, void *user);
void echo_message(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user);
void echo_message_with_ack(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user);

void early_install(sio_server *srv);   /* early.c: "/early" */
/* async_auth.c: "/async", the dynamic "/async-dyn-*" and their worker thread; the worker is started
 * (0, or an errno value) and finished around the server's run. */
void async_install(sio_server *srv);
int async_worker_start(void);
void async_worker_finish(void);
void rooms_install(sio_server *srv);   /* rooms.c: "/rooms" */
/* rooms.c: the socket's rooms as a JSON array, its own id first; and the
 * "join" handler (room, ack), whose ack carries that array. */
void rooms_write(sio_json_writer *w, const sio_socket *s);
void rooms_on_join(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user);
void guarded_install(sio_server *srv); /* guarded.c: "/guarded" */
void recovery_install(sio_server *srv); /* recovery.c: "/recovery" */
/* cluster.c: "/cluster", the server-wide operations (sio_fetch_sockets, ...);
 * and its "set-data" handler (value, ack): the socket's JSON data, the ack
 * carrying sio_socket_set_data_json's result. */
void cluster_install(sio_server *srv);
/* metrics.c: GET /metrics, the library's Prometheus text; `user` points to
 * the server (NULL until it is made). */
bool metrics_http(const sio_http_request *req, sio_http_response *res, void *user);
void cluster_on_set_data(sio_socket *s, const char *event, const sio_args *args, sio_ack *ack, void *user);
/* request.c: "/request", and the server's allow_request. */
void request_install(sio_server *srv);
bool request_allow(const sio_request *req, const char **message, void *user);

#endif
