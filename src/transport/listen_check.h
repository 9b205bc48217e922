/* The listening address, checked before libwebsockets binds it.
 *
 * lws reports a failure to listen only in its log: it keeps retrying an
 * address that is not local (every 30 s, forever) and cannot say why a
 * bind failed. Binding a socket ourselves first gives the reason (errno) as
 * a value, and the address lws is then given is always numeric. */
#ifndef SIO_TRANSPORT_LISTEN_CHECK_H
#define SIO_TRANSPORT_LISTEN_CHECK_H

#include <stddef.h>

#include "transport/transport.h"

/* Resolves `host` (NULL: every interface; an IPv4 address, a host name, or
 * a network interface name, which lws resolves itself) and binds a TCP
 * socket to it and `port`, then closes it. Writes the address for lws into
 * `addr` ("" for every interface). Returns TRANSPORT_OK, or the error with
 * one line naming the address and port in `why`. */
transport_error transport_listen_check(const char *host, int port, char *addr, size_t addr_len,
                                       transport_failure *why);

#endif
