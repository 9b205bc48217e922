// The real socket.io-client (4.8) against the sio-echo conformance program,
// in each transport mode: WebSocket only, polling only, and polling then
// upgrade to WebSocket.
//
// sio-echo (namespaces "/" and "/custom"): on connection it emits "auth" with
// the handshake's auth object ({} when none); "message" -> "message-back" with
// the same arguments; "message-with-ack" is acknowledged with the same
// arguments; "broadcast" -> "broadcast-back" to every socket of the namespace.
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline. Server-side disconnect + reconnection is not covered (sio-echo has
// no handler that disconnects a socket).

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { io, Manager } from 'socket.io-client';
import { Socket as EioSocket } from 'engine.io-client';
import { waitFor, withTimeout, collector, fmt, diag, bytes, tracker, norm, suiteServer } from './support.mjs';

const PATH = '/socket.io/';
const T = { timeout: 20_000 }; // per test

const MODES = [
  {
    name: 'websocket only',
    opts: { transports: ['websocket'] },
    first: 'websocket',
    final: 'websocket',
  },
  {
    name: 'polling only',
    opts: { transports: ['polling'], upgrade: false },
    first: 'polling',
    final: 'polling',
  },
  {
    name: 'polling then upgrade',
    opts: { transports: ['polling', 'websocket'], upgrade: true },
    first: 'polling',
    final: 'websocket',
  },
];

// ---------------------------------------------------------------------------
// helpers

// Client sockets, managers and raw engines opened by a test: closed after it
// whatever happened.
const { track, forget, closeAll } = tracker((x) => {
  if (x instanceof Manager) x._close();
  else if (x instanceof EioSocket) x.close();
  else x.disconnect();
});

function clientOpts(mode, extra = {}) {
  return { path: PATH, forceNew: true, reconnection: false, timeout: 5000, ...mode.opts, ...extra };
}

/** Every `event` with all its arguments (as an array), buffered from now on. */
function argsCollector(socket, event) {
  const ee = new EventEmitter();
  socket.on(event, (...args) => ee.emit('args', args));
  return collector(ee, 'args');
}

/** Wait for 'connect' (rejects on connect_error / disconnect first). */
async function connected(socket, ms = 5000) {
  if (socket.connected) return socket;
  await waitFor(socket, 'connect', ms, { rejectOn: ['connect_error', 'disconnect'] });
  return socket;
}

/** io(url + nsp) with its own Manager; resolves once connected. Records the auth event. */
async function connect(server, mode, nsp = '/', extra = {}) {
  const s = track(io(server.url + nsp, clientOpts(mode, extra)));
  s.authEvents = argsCollector(s, 'auth');
  await connected(s);
  return s;
}

/** Resolves when the engine of `socket` runs on WebSocket (waits for the upgrade). */
async function upgraded(engine, ms = 5000) {
  if (engine.transport.name === 'websocket') return;
  await waitFor(engine, 'upgrade', ms, { rejectOn: ['close', 'upgradeError'] });
  assert.equal(engine.transport.name, 'websocket');
}

function assertSameArgs(got, want, what) {
  assert.deepEqual(norm(got), norm(want), `${what}: got ${fmt(norm(got))}, want ${fmt(norm(want))}`);
}

const MIXED_ARGS = [
  0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, -0.000123,
  '', 'plain', 'héllo wörld', '日本語テキスト', 'emoji 😀🎉 and \u2028\u2029', 'quotes " \\ / \n\t\r\b\f \u0001',
  { nested: { deep: { deeper: [1, 'two', { three: 3 }] } }, empty: {}, list: [] },
  null, true, false,
  [null, true, false, [], [[]], { a: null }],
];

// ---------------------------------------------------------------------------

describe('socket.io-client <-> sio-echo', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  for (const mode of MODES) {
    describe(mode.name, () => {
      it('connects: socket id is a string distinct from the engine id', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        assert.equal(typeof s.id, 'string');
        assert.ok(s.id.length > 0, 'empty socket id');
        const engine = s.io.engine;
        assert.equal(typeof engine.id, 'string');
        assert.ok(engine.id.length > 0, 'empty engine id');
        assert.notEqual(s.id, engine.id, 'socket.id must not be the Engine.IO sid');
        if (mode.first === mode.final) {
          assert.equal(engine.transport.name, mode.first);
        } else {
          await upgraded(engine);
        }
        // Two connections get two different ids.
        const s2 = await connect(server, mode);
        assert.notEqual(s2.id, s.id);
        assert.notEqual(s2.io.engine.id, engine.id);
      }));

      it('auth: the handshake auth object comes back in "auth"', T, () => diag(server, async () => {
        const auth = { token: 'abc.def', n: 42, nested: { u: 'ünïcödé ✓', list: [1, null, true] } };
        const s = await connect(server, mode, '/', { auth });
        const [args] = await s.authEvents.take(1, 3000);
        assert.deepEqual(args, [auth]);
      }));

      it('auth: without auth the server sends {}', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const [args] = await s.authEvents.take(1, 3000);
        assert.deepEqual(args, [{}]);
      }));

      it('several namespaces share one Manager and one engine', T, () => diag(server, async () => {
        const m = track(new Manager(server.url, clientOpts(mode)));
        const root = track(m.socket('/', { auth: { which: 'root' } }));
        const custom = track(m.socket('/custom', { auth: { which: 'custom' } }));
        const rootAuth = argsCollector(root, 'auth');
        const customAuth = argsCollector(custom, 'auth');
        await Promise.all([connected(root), connected(custom)]);
        assert.equal(root.io, custom.io, 'not the same Manager');
        assert.equal(root.io.engine, custom.io.engine, 'not the same engine');
        assert.notEqual(root.id, custom.id);
        assert.notEqual(custom.id, m.engine.id);
        assert.deepEqual((await rootAuth.take(1, 3000))[0], [{ which: 'root' }]);
        assert.deepEqual((await customAuth.take(1, 3000))[0], [{ which: 'custom' }]);

        // Each namespace answers on its own socket only.
        const rootBack = argsCollector(root, 'message-back');
        const customBack = argsCollector(custom, 'message-back');
        custom.emit('message', 'to custom');
        root.emit('message', 'to root');
        assert.deepEqual((await customBack.take(1, 3000))[0], ['to custom']);
        assert.deepEqual((await rootBack.take(1, 3000))[0], ['to root']);
        assert.deepEqual(await custom.timeout(2000).emitWithAck('message-with-ack', 'c'), 'c');
        assert.deepEqual(await root.timeout(2000).emitWithAck('message-with-ack', 'r'), 'r');
        assert.equal(rootBack.items.length + customBack.items.length, 0, 'a reply went to the wrong namespace');
        assert.equal(root.io.engine, m.engine, 'the engine changed');
      }));

      it('unknown namespace: connect_error "Invalid namespace", the connection stays', T, () => diag(server, async () => {
        // Alone on its own Manager.
        const lone = track(io(server.url + '/nope', clientOpts(mode)));
        const err = await waitFor(lone, 'connect_error', 5000, { rejectOn: ['connect'] });
        assert.equal(err.message, 'Invalid namespace');
        assert.equal(lone.connected, false);

        // Next to a connected namespace on one Manager: "/" keeps working.
        const m = track(new Manager(server.url, clientOpts(mode)));
        const root = track(m.socket('/'));
        await connected(root);
        const engine = m.engine;
        const bad = track(m.socket('/does-not-exist'));
        const err2 = await waitFor(bad, 'connect_error', 5000, { rejectOn: ['connect'] });
        assert.equal(err2.message, 'Invalid namespace');
        assert.equal(root.connected, true);
        assert.equal(await root.timeout(2000).emitWithAck('message-with-ack', 'still here'), 'still here');
        assert.equal(m.engine, engine, 'the engine was replaced');
      }));

      it('message -> message-back with mixed arguments', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const back = argsCollector(s, 'message-back');
        s.emit('message', ...MIXED_ARGS);
        s.emit('message'); // no arguments at all
        s.emit('message', { only: 'one' });
        const [a, b, c] = await back.take(3, 5000);
        assert.deepEqual(a, MIXED_ARGS);
        assert.deepEqual(b, []);
        assert.deepEqual(c, [{ only: 'one' }]);
      }));

      it('acks client -> server (timeout(2000).emitWithAck and callbacks)', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        assert.equal(await s.timeout(2000).emitWithAck('message-with-ack', 'one'), 'one');
        assert.deepEqual(await s.timeout(2000).emitWithAck('message-with-ack', { a: [1, 2, { b: null }] }),
          { a: [1, 2, { b: null }] });
        // Several arguments: emitWithAck resolves with the first only, so use a callback.
        const all = await withTimeout(new Promise((resolve, reject) => {
          s.timeout(2000).emit('message-with-ack', ...MIXED_ARGS, (err, ...args) => (err ? reject(err) : resolve(args)));
        }), 3000, 'ack with several arguments');
        assert.deepEqual(all, MIXED_ARGS);
        // No arguments: the ack carries none.
        const none = await withTimeout(new Promise((resolve, reject) => {
          s.timeout(2000).emit('message-with-ack', (err, ...args) => (err ? reject(err) : resolve(args)));
        }), 3000, 'ack without arguments');
        assert.deepEqual(none, []);
        // Many acks in flight at once, each answered with its own value.
        const many = await Promise.all(
          Array.from({ length: 50 }, (_, i) => s.timeout(5000).emitWithAck('message-with-ack', i)));
        assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => i));
      }));

      it('binary both ways: nested, several attachments, in acks', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const back = argsCollector(s, 'message-back');

        const single = [bytes(16)];
        const nested = [
          'text first',
          { file: bytes(10, 1), meta: { name: 'x.bin', parts: [bytes(3, 2), 'mid', bytes(5, 3)] } },
          [bytes(1, 4), [bytes(2, 5), { deep: bytes(7, 6) }]],
          42,
          null,
        ];
        const big = [{ blob: bytes(64 * 1024, 7) }, bytes(300, 8)];
        const same = bytes(4, 9); // one Buffer used twice: two attachments
        const twice = [same, { again: same }];
        s.emit('message', ...single);
        s.emit('message', ...nested);
        s.emit('message', ...big);
        s.emit('message', ...twice);
        const got = await back.take(4, 5000);
        assertSameArgs(got[0], single, 'one Buffer');
        assertSameArgs(got[1], nested, 'Buffers nested in objects and arrays');
        assertSameArgs(got[2], big, 'a 64 KiB Buffer');
        assertSameArgs(got[3], twice, 'one Buffer twice');
        for (const b of [got[0][0], got[1][1].file, got[2][0].blob]) {
          assert.ok(Buffer.isBuffer(b) || ArrayBuffer.isView(b) || b instanceof ArrayBuffer,
            `binary came back as ${fmt(b)}`);
        }

        // Binary in an ack, both as the first argument and nested among others.
        const ackOne = await s.timeout(2000).emitWithAck('message-with-ack', bytes(33, 10));
        assertSameArgs(ackOne, bytes(33, 10), 'binary ack');
        const ackMany = await withTimeout(new Promise((resolve, reject) => {
          s.timeout(2000).emit('message-with-ack', ...nested, (err, ...args) => (err ? reject(err) : resolve(args)));
        }), 3000, 'binary ack with several attachments');
        assertSameArgs(ackMany, nested, 'binary ack with several attachments');
      }));

      it('broadcast reaches every socket of the namespace, and only it', T, () => diag(server, async () => {
        const clients = await Promise.all([0, 1, 2, 3].map(() => connect(server, mode)));
        // One more client on one connection with "/" and "/custom".
        const m = track(new Manager(server.url, clientOpts(mode)));
        const mRoot = track(m.socket('/'));
        const mCustom = track(m.socket('/custom'));
        await Promise.all([connected(mRoot), connected(mCustom)]);

        const roots = [...clients, mRoot];
        const rootQs = roots.map((c) => argsCollector(c, 'broadcast-back'));
        const customQ = argsCollector(mCustom, 'broadcast-back');

        const payload = ['hello all', { n: 1, bin: bytes(8, 11) }, [true, null]];
        clients[0].emit('broadcast', ...payload);
        for (const [i, q] of rootQs.entries()) {
          assertSameArgs((await q.take(1, 5000))[0], payload, `client ${i}`);
        }

        // A broadcast on /custom reaches mCustom only; a sentinel broadcast on
        // "/" sent afterwards must be the next thing every "/" socket sees.
        const other = await connect(server, mode, '/custom');
        const otherQ = argsCollector(other, 'broadcast-back');
        other.emit('broadcast', 'custom only');
        assert.deepEqual((await customQ.take(1, 5000))[0], ['custom only']);
        assert.deepEqual((await otherQ.take(1, 5000))[0], ['custom only']);
        clients[1].emit('broadcast', 'sentinel');
        for (const [i, q] of rootQs.entries()) {
          assert.deepEqual((await q.take(1, 5000))[0], ['sentinel'], `"/" socket ${i} got a /custom broadcast`);
        }
        assert.equal(customQ.items.length, 0, `/custom socket got a "/" broadcast: ${fmt(customQ.items)}`);
      }));

      it('500 events arrive in order', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const back = argsCollector(s, 'message-back');
        const N = 500;
        const want = [];
        // Emitted right after connect: in the upgrade mode they straddle the upgrade.
        for (let i = 0; i < N; i++) {
          const args = i % 25 === 0 ? [i, bytes(i % 7 + 1, i)] : [i, 'x'.repeat(i % 11)];
          want.push(args);
          s.emit('message', ...args);
        }
        const got = await back.take(N, 15_000);
        for (let i = 0; i < N; i++) assertSameArgs(got[i], want[i], `event ${i}`);
        if (mode.final === 'websocket') await upgraded(s.io.engine);
      }));

      it('client-side disconnect then connect again', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const firstId = s.id;
        const firstEngine = s.io.engine;
        const reason = waitFor(s, 'disconnect', 3000);
        s.disconnect();
        assert.equal(await reason, 'io client disconnect');
        assert.equal(s.connected, false);

        s.connect();
        await connected(s);
        assert.equal(typeof s.id, 'string');
        assert.notEqual(s.id, firstId, 'a new connection gets a new id');
        assert.notEqual(s.io.engine, firstEngine, 'the last socket closing closes the engine');
        assert.deepEqual((await s.authEvents.take(2, 3000)).map((a) => a[0]), [{}, {}]);
        assert.equal(await s.timeout(2000).emitWithAck('message-with-ack', 'after reconnect'), 'after reconnect');

        // One namespace of a shared connection: the engine stays.
        const m = track(new Manager(server.url, clientOpts(mode)));
        const root = track(m.socket('/'));
        const custom = track(m.socket('/custom'));
        await Promise.all([connected(root), connected(custom)]);
        const engine = m.engine;
        const customId = custom.id;
        custom.disconnect();
        // Sentinel: "/" answers on the same connection after the DISCONNECT.
        assert.equal(await root.timeout(2000).emitWithAck('message-with-ack', 'root alive'), 'root alive');
        custom.connect();
        await connected(custom);
        assert.notEqual(custom.id, customId);
        assert.equal(m.engine, engine, 'the engine was replaced');
        assert.equal(await custom.timeout(2000).emitWithAck('message-with-ack', 'custom again'), 'custom again');
        assert.equal(root.connected, true);
      }));

      it('emits before connect are buffered and arrive in order', T, () => diag(server, async () => {
        const s = track(io(server.url, clientOpts(mode)));
        const back = argsCollector(s, 'message-back');
        const auth = argsCollector(s, 'auth');
        assert.equal(s.connected, false);
        const acks = [];
        for (let i = 0; i < 20; i++) {
          s.emit('message', i, `early ${i}`);
          if (i % 5 === 0) acks.push(s.timeout(5000).emitWithAck('message-with-ack', `ack ${i}`));
        }
        s.emit('message', 'bin', bytes(12, 12));
        assert.equal(s.connected, false, 'connected synchronously?');
        await connected(s);
        const got = await back.take(21, 5000);
        for (let i = 0; i < 20; i++) assert.deepEqual(got[i], [i, `early ${i}`], `early event ${i}`);
        assertSameArgs(got[20], ['bin', bytes(12, 12)], 'early binary event');
        assert.deepEqual(await withTimeout(Promise.all(acks), 5000, 'early acks'), ['ack 0', 'ack 5', 'ack 10', 'ack 15']);
        assert.deepEqual((await auth.take(1, 3000))[0], [{}]);
      }));
    });
  }
});

describe('sio-echo with short timers (--ping-interval 300 --ping-timeout 200 --connect-timeout 500)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--ping-interval', '300', '--ping-timeout', '200', '--connect-timeout', '500'], closeAll);

  for (const mode of MODES) {
    describe(mode.name, () => {
      it('heartbeat: the connection survives 7 pings (> 2 s)', T, () => diag(server, async () => {
        const t0 = performance.now(); // before the handshake: 7 pings take >= 2100 ms from here
        const s = await connect(server, mode);
        const disconnects = argsCollector(s, 'disconnect');
        const engine = s.io.engine;
        const pings = collector(s.io, 'ping');
        await pings.take(7, 6000);
        const elapsed = performance.now() - t0;
        assert.ok(elapsed >= 2000, `7 pings ${elapsed} ms after the handshake with a 300 ms interval`);
        assert.equal(disconnects.items.length, 0, `disconnected: ${fmt(disconnects.items)}`);
        assert.equal(s.connected, true);
        assert.equal(s.io.engine, engine);
        if (mode.final === 'websocket') await upgraded(engine);
        assert.equal(await s.timeout(2000).emitWithAck('message-with-ack', 'alive'), 'alive');
      }));

      it('connect timeout: an Engine.IO client that never sends CONNECT is closed', T, () => diag(server, async () => {
        const t0 = performance.now();
        const e = track(new EioSocket(server.url, { path: PATH, ...mode.opts }));
        const closed = waitFor(e, 'close', 3000);
        await waitFor(e, 'open', 3000, { rejectOn: ['close', 'error'] });
        await closed;
        const elapsed = performance.now() - t0;
        assert.ok(elapsed >= 450, `closed after ${elapsed} ms, before the 500 ms connect timeout`);
        forget(e);
      }));
    });
  }
});
