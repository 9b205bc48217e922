/* Session and socket ids from the kernel's CSPRNG. */
#ifndef SIO_UTIL_RAND_ID_H
#define SIO_UTIL_RAND_ID_H

#include <stddef.h>

/* Length of an id without its terminating NUL: 15 random bytes in base64url. */
#define SIO_ID_LEN 20

/* Writes a fresh id and a NUL into out[0..SIO_ID_LEN]. Returns 0, or -1 if
 * the kernel gave no randomness (the caller must not fall back to a weak
 * source). */
int sio_rand_id(char out[SIO_ID_LEN + 1]);

#endif
