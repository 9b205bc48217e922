/* socket.io-msgpack-parser 3.0 (Node's `parser: require("socket.io-msgpack-parser")`):
 * each packet is one binary Engine.IO message, a MessagePack map
 * {type, data, nsp, id} as notepack.io writes it, with binaries inline as
 * bin. There are no binary packet types (5, 6) and no attachment messages.
 * The API layer gives it to the core (sio_core_set_parser); this header
 * includes no msgpack-c header, so that it may. */
#ifndef SIO_MSGPACK_MP_PARSER_H
#define SIO_MSGPACK_MP_PARSER_H

#include "sio/sio_parser.h"

extern const sio_parser sio_parser_msgpack;

#endif
