/* sio_version(): the version this library was built as. */
#include "sio.h"

const char *sio_version(void)
{
    return SIO_VERSION_STRING;
}
