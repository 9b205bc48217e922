/* The room chat sio-server runs on the namespace "/":
 *   "name"    (name, ack)          sets the sender name (1-32 bytes); the
 *                                  auth object's "name" sets it at connection
 *   "join"    (room, ack)          joins a room
 *   "leave"   (room, ack)          leaves a room
 *   "message" ({room, text}, ack)  sends `message` {room, from, text, at}
 *                                  to every socket of a room it is in
 * Each ack carries {ok:true} or {ok:false,error:"..."}. Room names are 1-64
 * characters of [A-Za-z0-9 _.-], not shaped like a socket id (20 characters
 * of [A-Za-z0-9_-]: those rooms are private to their socket); a socket is in
 * at most 16 chat rooms. */
#ifndef SIO_SERVER_CHAT_H
#define SIO_SERVER_CHAT_H

#include <stdbool.h>

#include "sio.h"

/* Installs the chat's handlers; false when out of memory. */
bool chat_install(sio_server *srv);

#endif
