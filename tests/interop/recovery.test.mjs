// Connection state recovery (Node's connectionStateRecovery) with the real
// socket.io-client 4.8, over polling and WebSocket, against sio-echo's
// "/recovery" namespace (src/programs/sio-echo/recovery.c):
//
//   - the server drops the connection without the Socket.IO goodbye; what
//     is broadcast to the socket's rooms and emitted to it meanwhile (by
//     the server, and by another client) arrives once the client has
//     reconnected, in order, before anything new, and none of what it must
//     not get; socket.recovered is true, with the same id, rooms and data;
//   - past the window (--recovery-window) the session is a new one;
//   - middlewares are skipped for a recovered socket, or run with
//     --recovery-run-middlewares;
//   - a server without recovery sends no pid and no offsets, and a
//     socket.io-client 2.x is served as before with recovery on.
//
// Nothing here sleeps: every wait is for an event, with a deadline. The
// window test lets the client's own reconnection delay pass the window.

import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { io } from 'socket.io-client';
import { waitFor, withTimeout, fmt, diag, tracker, suiteServer } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const PATH = '/socket.io/';
const T = { timeout: 20_000 };
const MODES = [
  { name: 'polling', opts: { transports: ['polling'], upgrade: false } },
  { name: 'websocket', opts: { transports: ['websocket'] } },
];

const { track, closeAll } = tracker((close) => close());

/** A socket.io-client 4.8 socket on /recovery, closed after the test. */
function open(server, mode, extra = {}) {
  const s = io(server.url + '/recovery', {
    path: PATH, forceNew: true, timeout: 5000,
    reconnectionDelay: 50, reconnectionDelayMax: 50, randomizationFactor: 0,
    ...mode.opts, ...extra,
  });
  track(() => s.close());
  return s;
}

/** Binary arguments as arrays of bytes, for deepEqual. */
function plain(a) {
  if (ArrayBuffer.isView(a)) return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
  if (a instanceof ArrayBuffer) return [...new Uint8Array(a)];
  return a;
}

/**
 * Everything the socket gets, in order: events (their offsets checked and
 * taken off when `offsets`) and its connects and disconnects.
 * rec.until(pred, ms) resolves once an entry matches.
 */
function record(s, offsets) {
  const list = [];
  const waiters = new Set();
  const push = (e) => { list.push(e); for (const w of [...waiters]) w(); };
  s.onAny((event, ...args) => {
    args = args.map(plain);
    if (offsets) {
      const off = args.pop();
      assert.equal(typeof off, 'string', `no offset on ${event} ${fmt(args)}`);
    }
    push([event, ...args]);
  });
  s.on('connect', () => push(['connect', s.id, s.recovered]));
  s.on('disconnect', (reason) => push(['disconnect', reason]));
  return {
    list,
    until(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const done = (fn, v) => { clearTimeout(timer); waiters.delete(check); fn(v); };
        const check = () => { const e = list.find(pred); if (e) done(resolve, e); };
        const timer = setTimeout(() => done(reject,
          new Error(`timed out after ${ms} ms; got ${fmt(list)}`)), ms);
        waiters.add(check);
        check();
      });
    },
  };
}

function nthHello(rec, n) {
  return rec.until(() => rec.list.filter((e) => e[0] === 'hello').length >= n)
    .then(() => rec.list.filter((e) => e[0] === 'hello')[n - 1][1]);
}

function ack(s, event, ...args) {
  return withTimeout(new Promise((resolve) => s.emit(event, ...args, (...r) => resolve(r))),
    5000, `the ack of '${event}'`);
}

describe('connection state recovery (sio-echo --recovery)', () => {
  const server = suiteServer('sio-echo', ['--recovery'], closeAll);

  for (const mode of MODES) {
    it(`${mode.name}: dropped by the server, reconnects with its id, rooms, data and every missed packet in order`, T, () => diag(server, async () => {
      const a = open(server, mode);
      const rec = record(a, true);
      const first = await nthHello(rec, 1);
      assert.equal(first.recovered, false);
      assert.equal(first.middleware, true);
      assert.equal(a.recovered, false);
      const id = a.id;
      assert.deepEqual(await ack(a, 'join', 'r1'), [[id, 'r1']]);
      assert.deepEqual(await ack(a, 'set-data', { user: 'ann', n: [1, 2] }), [0]);
      a.emit('drop');
      const again = await nthHello(rec, 2);
      assert.deepEqual(again, {
        id, recovered: true, middleware: false, rooms: [id, 'r1'], data: { user: 'ann', n: [1, 2] },
      });
      assert.equal(a.recovered, true);
      assert.equal(a.id, id);
      // What it missed arrives before the reconnection's 'connect' (as
      // Node's server sends it before the CONNECT reply), then the new
      // connection's first packet.
      assert.deepEqual(rec.list, [
        ['connect', id, false],
        ['hello', first],
        ['disconnect', 'transport close'],
        ['missed', 1],
        ['missed', 2, [1, 2, 3]],
        ['missed', 3],
        ['reason', 'forced close'],
        ['connect', id, true],
        ['hello', again],
      ]);
      // The rooms work again.
      const b = open(server, mode);
      await waitFor(b, 'connect');
      await ack(b, 'to-room', 'r1', 'after');
      await rec.until((e) => e[0] === 'room');
      assert.deepEqual(rec.list.at(-1), ['room', 'after']);
    }));

    it(`${mode.name}: another client's broadcasts and emits while it is away`, T, () => diag(server, async () => {
      const a = open(server, mode, { reconnection: false });
      const rec = record(a, true);
      const first = await nthHello(rec, 1);
      const id = a.id;
      await ack(a, 'join', 'r2');
      const b = open(server, mode);
      await waitFor(b, 'connect');
      // b hears the "reason" broadcast once a's session is kept.
      const gone = waitFor(b, 'reason', 5000);
      a.emit('drop');
      await gone;
      await rec.until((e) => e[0] === 'disconnect');
      await ack(b, 'to-room', 'r2', 'x1');
      await ack(b, 'to', id, { x: 2 });
      await ack(b, 'to-room', 'nobody', 'x3');
      await ack(b, 'to-room', 'r2', 'x4');
      a.connect(); // by hand: reconnection is off for this one
      const again = await nthHello(rec, 2);
      assert.equal(again.recovered, true);
      assert.equal(a.id, id);
      assert.deepEqual(rec.list, [
        ['connect', id, false],
        ['hello', first],
        ['disconnect', 'transport close'],
        ['missed', 2, [1, 2, 3]],
        ['missed', 'excepted'], // to all but r1, which this one is not in
        ['missed', 3],
        ['reason', 'forced close'],
        ['room', 'x1'],
        ['direct', { x: 2 }],
        ['room', 'x4'],
        ['connect', id, true],
        ['hello', again],
      ]);
    }));
  }

  it('socket.io-client 2.x is served as before: no pid, no offset on what is sent to it alone', T, () => diag(server, async () => {
    const s = io2(server.url + '/recovery', { path: PATH, forceNew: true, reconnection: false, transports: ['websocket'] });
    track(() => { s.close(); s.io.close(); });
    const [h, ...rest] = await new Promise((resolve) => s.once('hello', (...args) => resolve(args)));
    assert.equal(h.recovered, false);
    assert.deepEqual(rest, []);
    const back = new Promise((resolve) => s.once('message-back', (...args) => resolve(args)));
    s.emit('message', 1, 'two');
    assert.deepEqual(await withTimeout(back, 5000, 'message-back'), [1, 'two']);
  }));
});

describe('connection state recovery past the window (--recovery-window 200)', () => {
  const server = suiteServer('sio-echo', ['--recovery-window', '200'], closeAll);

  for (const mode of MODES) {
    it(`${mode.name}: a reconnection after the window gets a new session`, T, () => diag(server, async () => {
      // The client waits 1 s before it reconnects: five windows.
      const a = open(server, mode, { reconnectionDelay: 1000, reconnectionDelayMax: 1000 });
      const rec = record(a, true);
      await nthHello(rec, 1);
      const id = a.id;
      await ack(a, 'join', 'r1');
      a.emit('drop');
      const again = await nthHello(rec, 2);
      assert.equal(again.recovered, false);
      assert.notEqual(again.id, id);
      assert.deepEqual(again.rooms, [again.id]);
      assert.deepEqual(again.data, {});
      assert.equal(a.recovered, false);
      assert.equal(a.id, again.id);
      assert.ok(!rec.list.some((e) => e[0] === 'missed'), fmt(rec.list));
    }));
  }
});

describe('connection state recovery with the middlewares run (--recovery-run-middlewares)', () => {
  const server = suiteServer('sio-echo', ['--recovery-run-middlewares'], closeAll);

  it('the middleware runs for the recovered socket too', T, () => diag(server, async () => {
    const a = open(server, MODES[1]);
    const rec = record(a, true);
    const first = await nthHello(rec, 1);
    a.emit('drop');
    const again = await nthHello(rec, 2);
    assert.equal(again.recovered, true);
    assert.equal(again.id, first.id);
    assert.equal(again.middleware, true);
  }));
});

describe('without connection state recovery (the default)', () => {
  const server = suiteServer('sio-echo', [], closeAll);

  for (const mode of MODES) {
    it(`${mode.name}: no pid, no offsets, and a dropped client comes back as a new socket`, T, () => diag(server, async () => {
      const a = open(server, mode);
      const rec = record(a, false);
      const first = await nthHello(rec, 1);
      assert.equal(a._pid, undefined);
      assert.equal(rec.list.find((e) => e[0] === 'hello').length, 2); // no offset argument
      await ack(a, 'join', 'r1');
      a.emit('drop');
      const again = await nthHello(rec, 2);
      assert.equal(again.recovered, false);
      assert.notEqual(again.id, first.id);
      assert.ok(!a.recovered); // undefined without a pid
      assert.ok(!rec.list.some((e) => e[0] === 'missed'), fmt(rec.list));
    }));
  }
});

describe('connection state recovery with the Redis adapter (--redis, Redis not even up)', () => {
  const server = suiteServer('sio-echo', ['--recovery', '--redis', 'redis://127.0.0.1:1'], closeAll);

  it('is said to be unavailable at startup, and clients get no pid', T, () => diag(server, async () => {
    await server.untilOutput(/connection state recovery is unavailable: the Redis adapter keeps no sessions/);
    const a = open(server, MODES[1]);
    const rec = record(a, false);
    await nthHello(rec, 1);
    assert.equal(a._pid, undefined);
    assert.equal(rec.list.find((e) => e[0] === 'hello').length, 2);
  }));
});
