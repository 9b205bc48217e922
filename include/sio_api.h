/* SIO_API marks the functions of libsio's public API: the only symbols the
 * shared library exports (everything else is built with hidden visibility),
 * and the only global symbols left in the static library. */
#ifndef LIBSIO_SIO_API_H
#define LIBSIO_SIO_API_H

#if defined(__GNUC__) || defined(__clang__)
#define SIO_API __attribute__((visibility("default")))
#else
#define SIO_API
#endif

#endif
