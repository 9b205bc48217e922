// The promise the project exists for, over real transports and real
// clients: what a server emits before a socket's CONNECT reply (from a
// middleware, then from the connection handler) arrives right after it, in
// order, none lost, none twice. sio-echo's namespace /early emits
// early(1), early(2, <4 bytes>), early(3) from its middleware and early(4)
// from its connection handler. Checked with socket.io-client 4.x and 2.x on
// polling, on WebSocket, and across the upgrade.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { io as io4 } from 'socket.io-client';
import { startServer, withTimeout, stopChecked, diag, tracker } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const T = { timeout: 20_000 };
const PATH = '/socket.io/';
const MODES = [
  { name: 'polling', opts: { transports: ['polling'] } },
  { name: 'websocket', opts: { transports: ['websocket'] } },
  { name: 'polling, then the upgrade', opts: { transports: ['polling', 'websocket'] } },
];
const CLIENTS = [
  { name: 'socket.io-client 4.x', io: io4, close: (s) => s.disconnect() },
  { name: 'socket.io-client 2.x', io: io2, close: (s) => { s.close(); s.io.close(); } },
];

/** The connect and early events of `s`, in the order they came. */
function record(s) {
  const seen = [];
  s.on('connect', () => seen.push(['connect']));
  s.on('early', (...args) => seen.push(['early', ...args.map((a) => (Buffer.isBuffer(a) || a instanceof ArrayBuffer
    ? [...new Uint8Array(a)] : a))]));
  return seen;
}

/** Resolves once `seen` holds n entries (deadline ms), with them. */
function until(s, seen, n, ms = 5000) {
  return withTimeout(new Promise((resolve, reject) => {
    const check = () => { if (seen.length >= n) resolve(seen.slice()); };
    s.on('early', check);
    s.on('connect_error', (e) => reject(new Error(`connect_error: ${e && e.message}`)));
    check();
  }), ms, `${n} events (got ${JSON.stringify(seen)})`);
}

describe('emits before the CONNECT reply (sio-echo /early)', () => {
  let server;
  const { track, closeAll } = tracker((x) => x.close(x.socket));
  before(async () => {
    server = await startServer('sio-echo', ['--path', PATH]);
  });
  afterEach(closeAll);
  after(async () => {
    closeAll();
    await stopChecked(server);
  });

  for (const client of CLIENTS) {
    for (const mode of MODES) {
      it(`${client.name}, ${mode.name}`, T, () => diag(server, async () => {
        const s = client.io(`${server.url}/early`, { path: PATH, forceNew: true, reconnection: false, ...mode.opts });
        track({ socket: s, close: client.close });
        const seen = record(s);
        const got = await until(s, seen, 5);
        assert.deepEqual(got, [
          ['connect'],
          ['early', 1],
          ['early', 2, [0, 1, 2, 255]],
          ['early', 3],
          ['early', 4],
        ]);
        // Nothing more, and the socket works on: an ack round trip.
        const back = await withTimeout(new Promise((resolve) => s.emit('message-with-ack', 'after', resolve)),
          5000, 'the ack');
        assert.equal(back, 'after');
        assert.equal(seen.length, 5, `events after the ack: ${JSON.stringify(seen.slice(5))}`);
      }));
    }
  }
});
