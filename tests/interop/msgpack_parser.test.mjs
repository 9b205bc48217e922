// socket.io-client 4.8 with socket.io-msgpack-parser 3.0.2 (the client's
// `parser` option) against `sio-echo --parser msgpack`, over WebSocket,
// polling, and polling upgraded to WebSocket: events, acks both ways,
// nested binary, namespaces (a refused one and a refusing middleware: their
// CONNECT_ERROR), disconnects from either side. Then a client with the other
// parser, each way: it fails to connect, the server closes it as for a bad
// packet and goes on serving the others.
//
// sio-echo is described in src/programs/sio-echo/main.c. Every wait is for
// an event, with a deadline.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { io } from 'socket.io-client';
import msgpackParser from 'socket.io-msgpack-parser';
import { waitFor, collector, diag, bytes, tracker, norm, suiteServer } from './support.mjs';

const T = { timeout: 20_000 };
const MODES = {
  websocket: { transports: ['websocket'] },
  polling: { transports: ['polling'], upgrade: false },
  upgrade: { transports: ['polling', 'websocket'], upgrade: true },
};

const { track, closeAll } = tracker((s) => s.disconnect());

function open(server, nsp, mode, extra = {}) {
  return track(io(server.url + nsp, {
    forceNew: true, reconnection: false, timeout: 5000, parser: msgpackParser, ...MODES[mode], ...extra,
  }));
}

async function connected(s) {
  if (!s.connected) await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'disconnect'] });
  return s;
}

function argsOf(s, event) {
  const ee = new EventEmitter();
  s.on(event, (...args) => ee.emit('args', args));
  return collector(ee, 'args');
}

const connectError = (s) => waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] });

// How a client whose connection the server closed learns it: its
// connection closes (WebSocket), or its next poll is refused (polling).
const CLOSED = /^(disconnect: transport (close|error)|connect_error: xhr poll error)$/;

/** Resolves with how a socket that must not connect failed: its
 * connect_error, or the disconnect of its connection closed by the server. */
function refused(s) {
  return Promise.race([
    waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] }).then((e) => `connect_error: ${e.message}`),
    waitFor(s, 'disconnect', 5000, { rejectOn: ['connect'] }).then((r) => `disconnect: ${r}`),
  ]);
}

describe('socket.io-msgpack-parser client against sio-echo --parser msgpack', () => {
  const server = suiteServer('sio-echo', ['--parser', 'msgpack'], closeAll);

  for (const mode of Object.keys(MODES)) {
    describe(mode, () => {
      it('connects with its auth, and events come back with nested binary', T, () => diag(server, async () => {
        const s = open(server, '/', mode, { auth: { token: 'abc', n: [1, 2.5] } });
        const auth = argsOf(s, 'auth');
        const back = argsOf(s, 'message-back');
        await connected(s);
        assert.deepEqual((await auth.take(1))[0], [{ token: 'abc', n: [1, 2.5] }]);
        const big = bytes(70_000, 3);
        const args = [1, 'two', null, { deep: { bin: bytes(5), list: [bytes(1, 7), Buffer.alloc(0)] } }, big, 'h\u00e9 \u{1f600}'];
        s.emit('message', ...args);
        const [got] = await back.take(1);
        assert.deepEqual(norm(got), norm(args));
        assert.ok(Buffer.isBuffer(got[3].deep.bin), 'binary arrives as binary');
        if (mode === 'upgrade') {
          if (s.io.engine.transport.name !== 'websocket') await waitFor(s.io.engine, 'upgrade', 5000);
          s.emit('message', 'after', bytes(3));
          assert.deepEqual(norm((await back.take(1))[0]), norm(['after', bytes(3)]));
          assert.equal(s.io.engine.transport.name, 'websocket');
        }
      }));

      it('acks: the server acknowledges with binary, and a client answers the server\'s ack', T, () => diag(server, async () => {
        const s = await connected(open(server, '/', mode));
        const reply = await new Promise((resolve, reject) => s.timeout(5000).emit(
          'message-with-ack', { b: bytes(4, 1) }, [bytes(2, 9)], 7, (err, ...r) => (err ? reject(err) : resolve(r))));
        assert.deepEqual(norm(reply), norm([{ b: bytes(4, 1) }, [bytes(2, 9)], 7]));

        // "/cluster"'s broadcast-ack: the server emits "question" with an ack
        // id to every socket of the namespace (this one), and acknowledges
        // with their replies.
        const c = await connected(open(server, '/cluster', mode));
        c.on('question', (n, cb) => cb({ n: n * 2 }));
        const done = await c.timeout(5000).emitWithAck('broadcast-ack', { event: 'question', args: [21], timeout: 4000 });
        assert.equal(done.err, 0);
        assert.deepEqual(done.replies, [{ n: 42 }]);
      }));

      it('namespaces: two on one connection, a refused one, a refusing middleware, and disconnects', T, () => diag(server, async () => {
        const root = await connected(open(server, '/', mode));
        const custom = track(root.io.socket('/custom'));
        const back = argsOf(custom, 'message-back');
        await connected(custom);
        custom.emit('message', 'on custom', bytes(2));
        assert.deepEqual(norm((await back.take(1))[0]), norm(['on custom', bytes(2)]));

        const nope = track(root.io.socket('/nope'));
        nope.connect();
        assert.equal((await connectError(nope)).message, 'Invalid namespace');

        const denied = track(root.io.socket('/async', { auth: { deny: true, delay: 10 } }));
        denied.connect();
        const err = await connectError(denied);
        assert.equal(err.message, 'denied');
        assert.deepEqual(err.data, { by: 'worker' });

        // The client leaves /custom; / stays and still works.
        custom.disconnect();
        const again = argsOf(root, 'message-back');
        root.emit('message', 'still here');
        assert.deepEqual((await again.take(1))[0], ['still here']);

        // The server disconnects a socket of /rooms: the client is told.
        const rooms = await connected(track(root.io.socket('/rooms')));
        const gone = waitFor(rooms, 'disconnect', 5000);
        rooms.emit('server-disconnect', false);
        assert.equal(await gone, 'io server disconnect');
        assert.ok(root.connected);
      }));
    });
  }

  it('a client of the default parser is closed as for a bad packet; msgpack clients carry on', T, () => diag(server, async () => {
    const ok = await connected(open(server, '/', 'websocket'));
    for (const mode of ['websocket', 'polling']) {
      const plain = track(io(server.url, { forceNew: true, reconnection: false, timeout: 3000, ...MODES[mode] }));
      assert.match(await refused(plain), CLOSED);
    }
    const back = argsOf(ok, 'message-back');
    ok.emit('message', bytes(3));
    assert.deepEqual(norm((await back.take(1))[0]), norm([bytes(3)]));
    const fresh = await connected(open(server, '/', 'polling'));
    assert.ok(fresh.connected);
  }));
});

describe('socket.io-msgpack-parser client against sio-echo with the default parser', () => {
  const server = suiteServer('sio-echo', [], closeAll);

  it('fails to connect, and the server carries on', T, () => diag(server, async () => {
    for (const mode of ['websocket', 'polling']) {
      const s = open(server, '/', mode, { timeout: 3000 });
      assert.match(await refused(s), CLOSED);
    }
    const plain = track(io(server.url, { forceNew: true, reconnection: false, transports: ['websocket'] }));
    const back = argsOf(plain, 'message-back');
    await connected(plain);
    plain.emit('message', bytes(3));
    assert.deepEqual(norm((await back.take(1))[0]), norm([bytes(3)]));
  }));
});
