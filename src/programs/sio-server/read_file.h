/* Reading a whole regular file into memory. */
#ifndef SIO_SERVER_READ_FILE_H
#define SIO_SERVER_READ_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/* The contents of `path` (NUL-terminated, to free()), at most `max` bytes;
 * NULL when it is not a readable regular file or is larger. *len gets its
 * length and *st (when not NULL) its status. */
char *read_file(const char *path, size_t max, size_t *len, struct stat *st);

#endif
