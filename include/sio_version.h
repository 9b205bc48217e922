/* libsio's version, at compile time (these macros) and at run time
 * (sio_version(), declared in sio.h), to tell the headers a program was
 * built with from the library it runs with. The shared library's SONAME
 * carries the major version: libsio.so.SIO_VERSION_MAJOR. */
#ifndef LIBSIO_SIO_VERSION_H
#define LIBSIO_SIO_VERSION_H

#define SIO_VERSION_MAJOR 0
#define SIO_VERSION_MINOR 5
#define SIO_VERSION_PATCH 0
#define SIO_VERSION_STRING "0.5.0"
/* One number that grows with each release: 0x00MMmmpp. */
#define SIO_VERSION_NUMBER ((SIO_VERSION_MAJOR << 16) | (SIO_VERSION_MINOR << 8) | SIO_VERSION_PATCH)

#endif
