/* Apart from the lws files: glibc's <netinet/tcp.h>, which libwebsockets.h
 * includes, has an older struct tcp_info without the segment counts. */
#include "transport/tcp_segs.h"

#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/socket.h>

uint32_t tcp_data_segs_in(int fd)
{
    struct tcp_info ti = {0};
    socklen_t len = sizeof(ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0)
        return 0;
    return ti.tcpi_data_segs_in;
}
