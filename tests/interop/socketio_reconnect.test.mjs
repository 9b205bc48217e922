// socket.io-client 4.x reconnects by itself when the server goes away and
// comes back, and resumes its namespaces, rooms aside (as with Node's server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer, waitFor, withTimeout } from './support.mjs';

for (const transports of [['websocket'], ['polling'], ['polling', 'websocket']]) {
  test(`reconnects after the server restarts (${transports.join('+')})`, { timeout: 30000 }, async () => {
    let srv = await startServer('sio-echo');
    const port = srv.port;
    const socket = io(srv.url, {
      transports,
      reconnectionDelay: 50,
      reconnectionDelayMax: 200,
      forceNew: true,
    });
    try {
      await waitFor(socket, 'connect', 5000);
      const firstId = socket.id;
      const echo = waitFor(socket, 'message-back', 5000);
      socket.emit('message', 'before');
      assert.deepEqual(await echo, 'before');

      // The server shuts down: the client is told the transport closed and
      // starts reconnecting by itself.
      const gone = waitFor(socket, 'disconnect', 10000);
      await srv.stop();
      const reason = await gone;
      assert.ok(['transport close', 'transport error'].includes(reason), `reason ${reason}`);

      srv = await startServer('sio-echo', [], { port });
      await waitFor(socket, 'connect', 10000);
      assert.notEqual(socket.id, firstId); // a new session
      const again = waitFor(socket, 'message-back', 5000);
      socket.emit('message', 'after');
      assert.deepEqual(await again, 'after');
    } finally {
      socket.close();
      await withTimeout(srv.stop(), 10000, 'stopping sio-echo');
    }
  });
}
