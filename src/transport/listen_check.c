/* The listening address, checked before libwebsockets binds it. See
 * listen_check.h. */
#include "transport/listen_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static transport_error fail(transport_failure *why, transport_error code, const char *host, int port,
                            const char *detail)
{
    if (why) {
        why->code = code;
        snprintf(why->message, sizeof(why->message), "cannot listen on %s port %d: %s", host, port, detail);
    }
    return code;
}

transport_error transport_listen_check(const char *host, int port, char *addr, size_t addr_len,
                                       transport_failure *why)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    const char *shown = host && *host ? host : "0.0.0.0";
    addr[0] = 0;
    if (port < 0 || port > 65535)
        return fail(why, TRANSPORT_ELISTEN, shown, port, "no such port");
    if (host && *host) {
        if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
            struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
            if (getaddrinfo(host, NULL, &hints, &res) != 0 || !res) {
                if (if_nametoindex(host)) { /* an interface: lws binds its address */
                    snprintf(addr, addr_len, "%s", host);
                    return TRANSPORT_OK;
                }
                return fail(why, TRANSPORT_EADDRNOTAVAIL, shown, port,
                            "not an IPv4 address, host name or interface of this machine");
            }
            sa.sin_addr = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
            freeaddrinfo(res);
        }
        inet_ntop(AF_INET, &sa.sin_addr, addr, (socklen_t)addr_len);
    } else {
        sa.sin_addr.s_addr = htonl(INADDR_ANY);
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(why, TRANSPORT_ELISTEN, shown, port, strerror(errno));
    int one = 1;
    /* As lws does: a port in TIME_WAIT from an earlier run is free. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int err = errno;
    if (rc == 0 && listen(fd, 1) != 0) {
        rc = -1;
        err = errno;
    }
    close(fd);
    if (rc == 0)
        return TRANSPORT_OK;
    switch (err) {
    case EADDRINUSE:
        return fail(why, TRANSPORT_EADDRINUSE, shown, port,
                    "the port is in use");
    case EADDRNOTAVAIL:
        return fail(why, TRANSPORT_EADDRNOTAVAIL, shown, port,
                    "the address is not one of this machine's");
    case EACCES:
    case EPERM:
        return fail(why, TRANSPORT_EACCES, shown, port,
                    "permission denied");
    default:
        return fail(why, TRANSPORT_ELISTEN, shown, port, strerror(err));
    }
}
