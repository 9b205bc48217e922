// The room chat of build/sio-server (src/programs/sio-server/chat.c) on a
// Node socket.io server, for the benchmark's --chat workloads: the same
// events, the same checks, the same message.
//   "join" (room, ack)          joins; acknowledged with {ok: true}
//   "message" ({room, text}, ack)  to every socket of the room, the sender
//                               too: {room, from, text, at}; refused unless
//                               the sender is in the room
const ROOM = /^[A-Za-z0-9 _.-]{1,64}$/;
const MAX_ROOMS = 16;
const MAX_TEXT = 2000;

function reply(ack, error) {
  if (typeof ack === 'function') ack(error ? { ok: false, error } : { ok: true });
}

export function installChat(io) {
  io.on('connection', (socket) => {
    const name = typeof socket.handshake.auth?.name === 'string' ? socket.handshake.auth.name.slice(0, 32) : '';
    socket.data.name = name || `guest-${socket.id.slice(0, 4)}`;
    socket.on('join', (room, ack) => {
      if (typeof room !== 'string' || !ROOM.test(room)) return reply(ack, 'bad room name');
      if (!socket.rooms.has(room) && socket.rooms.size > MAX_ROOMS) return reply(ack, 'too many rooms (at most 16)');
      socket.join(room);
      reply(ack);
    });
    socket.on('message', (msg, ack) => {
      const room = msg?.room;
      const text = msg?.text;
      if (typeof room !== 'string' || typeof text !== 'string') return reply(ack, 'expected {room, text}');
      if (!socket.rooms.has(room)) return reply(ack, 'not in this room');
      if (!text || Buffer.byteLength(text) > MAX_TEXT) return reply(ack, 'text must be 1 to 2000 bytes');
      io.to(room).emit('message', { room, from: socket.data.name, text, at: Date.now() });
      reply(ack);
    });
  });
}
