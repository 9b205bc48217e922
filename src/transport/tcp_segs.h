/* The kernel's count of data segments a TCP socket has received. */
#ifndef SIO_TRANSPORT_TCP_SEGS_H
#define SIO_TRANSPORT_TCP_SEGS_H

#include <stdint.h>

/* Segments carrying data received on `fd` so far (TCP_INFO's
 * tcpi_data_segs_in, Linux 4.6+); 0 when it cannot be read. */
uint32_t tcp_data_segs_in(int fd);

#endif
