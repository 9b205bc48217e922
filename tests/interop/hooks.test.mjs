// The hooks an application puts around its sockets, with the real
// socket.io-client 4.8 and 2.x over polling and WebSocket, against the
// sio-echo conformance program:
//
//   /async    an asynchronous middleware (sio_use_async) whose answer comes
//             from a worker thread 100 ms later, through sio_server_call():
//             what the client emits before it is connected, and what the
//             middleware emits while it waits, arrive after the CONNECT, in
//             order; "deny": true is refused with "denied" and {by: "worker"};
//             a connection that goes away, a connect timeout that passes, or
//             a server that stops, while the answer is pending (auth "delay"
//             makes the worker wait longer): nothing is sent for it, nothing
//             leaks, the server goes on.
//   /async-dyn-*  an asynchronous namespace filter (sio_dynamic_namespaces_async)
//             answered by the same worker: the namespace is made once, after
//             the answer, for every connection that asked; a refusal is
//             "Invalid namespace".
//   /rooms    the disconnecting hook (sio_on_disconnecting) still sees the
//             socket's rooms (sio_socket_room): when A leaves, by its own
//             disconnect, the server's, or its process being killed, the
//             others in its rooms receive "leaving" {id, rooms, reason}, once
//             each, and no one else does; a server stopped with sockets in
//             shared rooms exits cleanly; a room left is gone from the list
//             and the others keep the order they were joined in.
//   /guarded  packet middlewares (sio_socket_use): a refused event reaches no
//             handler and its ack carries {error}; the others pass.
//
// The servers that are stopped must exit 0 with no sanitizer report
// (stopChecked), so that a build with ASan checks for leaks at exit.
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { io as io4, Manager } from 'socket.io-client';
import { startServer, waitFor, withTimeout, collector, fmt, stopChecked, diag, bytes, tracker, suiteServer } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const PATH = '/socket.io/';
const T = { timeout: 20_000 };
const WORKER_DELAY_MS = 100;
// The worker's delay (auth "delay") where a test acts while the answer is
// pending: long enough for a round trip on a loaded machine.
const PENDING_MS = 1000;

const MODES = [
  { name: 'polling', opts: { transports: ['polling'], upgrade: false } },
  { name: 'websocket', opts: { transports: ['websocket'] } },
];
const UPGRADE = { name: 'polling, then the upgrade', opts: { transports: ['polling', 'websocket'], upgrade: true } };

// A 2.x client has no auth: the namespace's query string stands for it (as
// strings: "deny=true" reads {deny: "true"}, which sio-echo takes as a denial).
const CLIENTS = [
  {
    name: 'socket.io-client 4.x',
    v: 4,
    module: require.resolve('socket.io-client'),
    open: (url, nsp, opts, auth) => io4(url + nsp, { ...opts, ...(auth ? { auth } : {}) }),
    close: (s) => s.disconnect(),
  },
  {
    name: 'socket.io-client 2.x',
    v: 2,
    module: require.resolve('socket.io-client-v2'),
    open: (url, nsp, opts, auth) => io2(url + nsp + (auth ? `?${new URLSearchParams(auth)}` : ''), opts),
    close: (s) => { s.close(); s.io.close(); },
  },
];

// ---------------------------------------------------------------------------
// helpers

// Everything a test opens (clients, child processes), closed after it.
const { track: trackCloser, closeAll } = tracker((close) => close());

function clientOpts(mode) {
  return { path: PATH, forceNew: true, reconnection: false, timeout: 5000, ...mode.opts };
}

/** Opens a socket of `client` on `nsp`, closed after the test. */
function open(client, server, nsp, mode, auth) {
  const s = client.open(server.url, nsp, clientOpts(mode), auth);
  trackCloser(() => client.close(s));
  return s;
}

/** Binary arguments as arrays of bytes, for deepEqual. */
function plain(a) {
  if (ArrayBuffer.isView(a)) return [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];
  if (a instanceof ArrayBuffer) return [...new Uint8Array(a)];
  return a;
}

/**
 * A list of what happened, in order, and a way to wait for its length:
 * rec.until(n, ms) resolves with a copy once it holds n entries.
 */
function recorder() {
  const list = [];
  const waiters = new Set();
  return {
    list,
    push(...entry) {
      list.push(entry.map(plain));
      for (const w of [...waiters]) w();
    },
    on(s, ...events) {
      for (const e of events) s.on(e, (...args) => this.push(e, ...args));
    },
    until(n, ms = 5000) {
      return new Promise((resolve, reject) => {
        const done = (fn, v) => { clearTimeout(timer); waiters.delete(check); fn(v); };
        const check = () => { if (list.length >= n) done(resolve, list.slice()); };
        const timer = setTimeout(() => done(reject,
          new Error(`timed out after ${ms} ms waiting for ${n} events, got ${fmt(list)}`)), ms);
        waiters.add(check);
        check();
      });
    },
  };
}

/** Emits `event` with `args` and an ack; resolves with the ack's arguments. */
function ack(s, event, ...args) {
  return withTimeout(new Promise((resolve) => s.emit(event, ...args, (...reply) => resolve(reply.map(plain)))),
    5000, `the ack of '${event}' ${fmt(args)}`);
}

/** Resolves once `s` is connected (rejects on a refusal, with its message). */
function connected(s, ms = 5000) {
  if (s.connected) return Promise.resolve(s);
  return waitFor(s, 'connect', ms, { rejectOn: ['connect_error', 'error'] }).then(() => s);
}

// ---------------------------------------------------------------------------

describe('asynchronous middleware answered by a worker thread (sio-echo /async)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  for (const client of CLIENTS) {
    for (const mode of [...MODES, UPGRADE]) {
      it(`${client.name}, ${mode.name}: allowed ${WORKER_DELAY_MS} ms later; what the client emitted before ` +
        'and the middleware\'s "early" arrive after the CONNECT, in order', T, () => diag(server, async () => {
        const t0 = performance.now();
        const s = open(client, server, '/async', mode, { user: 'ann' });
        const rec = recorder();
        let tConnect = 0;
        s.on('connect', () => { tConnect = performance.now(); });
        rec.on(s, 'connect', 'connect_error', 'error', 'early', 'auth', 'message-back');
        // Emitted right away: the client holds them until it is connected.
        s.emit('message-with-ack', 'a1', (...r) => rec.push('ack', ...r));
        s.emit('message', 'm2');
        s.emit('message-with-ack', 'a3', { n: 3 }, (...r) => rec.push('ack', ...r));
        s.emit('message-with-ack', 'bin', bytes(5, 7), (...r) => rec.push('ack', ...r));
        const got = await rec.until(7);
        assert.deepEqual(got, [
          ['connect'],
          ['early', 1],
          ['auth', { user: 'ann' }],
          ['ack', 'a1'],
          ['message-back', 'm2'],
          ['ack', 'a3', { n: 3 }],
          ['ack', 'bin', [...bytes(5, 7)]],
        ]);
        const waited = tConnect - t0;
        assert.ok(waited >= WORKER_DELAY_MS - 5, `connected ${waited} ms after io(), before the worker's answer`);
        // Nothing more, and the socket works on.
        assert.deepEqual(await ack(s, 'message-with-ack', 'after'), ['after']);
        assert.equal(rec.list.length, 7, `more events: ${fmt(rec.list.slice(7))}`);
      }));
    }

    for (const mode of MODES) {
      it(`${client.name}, ${mode.name}: "deny" is refused by the worker with "denied" and {by: "worker"}`, T,
        () => diag(server, async () => {
          const t0 = performance.now();
          const s = open(client, server, '/async', mode, { deny: true });
          const rec = recorder();
          rec.on(s, 'connect', 'early', 'auth', 'message-back');
          s.emit('message-with-ack', 'never', (...r) => rec.push('ack', ...r));
          s.emit('message', 'never');
          if (client.v === 4) {
            const err = await waitFor(s, 'connect_error', 5000);
            assert.equal(err.message, 'denied');
            assert.deepEqual(err.data, { by: 'worker' });
          } else {
            // socket.io 2.x sends the refusal's data when it has some.
            const data = await waitFor(s, 'error', 5000);
            assert.deepEqual(data, { by: 'worker' });
          }
          const waited = performance.now() - t0;
          assert.ok(waited >= WORKER_DELAY_MS - 5, `refused ${waited} ms after io(), before the worker's answer`);
          // The middleware's "early" was for a socket that never connected.
          assert.deepEqual(rec.list, []);
          assert.equal(s.connected, false);
        }));
    }
  }

  for (const mode of MODES) {
    it(`socket.io-client 4.x, ${mode.name}: eight connections at once, every other one denied, each get ` +
      'their own answer', T, () => diag(server, async () => {
      const socks = [];
      for (let i = 0; i < 8; i++) {
        const deny = i % 2 === 1;
        const s = open(CLIENTS[0], server, '/async', mode, deny ? { i, deny } : { i });
        const rec = recorder();
        rec.on(s, 'connect', 'early', 'auth');
        s.on('connect_error', (e) => rec.push('connect_error', e.message, e.data));
        socks.push({ s, rec, deny, i });
      }
      await Promise.all(socks.map(async ({ rec, deny, i }) => {
        const got = await rec.until(deny ? 1 : 3);
        assert.deepEqual(got, deny
          ? [['connect_error', 'denied', { by: 'worker' }]]
          : [['connect'], ['early', 1], ['auth', { i }]], `connection ${i}`);
      }));
      for (const { s, deny, i } of socks) {
        if (!deny) assert.deepEqual(await ack(s, 'message-with-ack', i), [i]);
      }
    }));

    it(`socket.io-client 4.x, ${mode.name}: a connection that closes while its answer is pending; the late ` +
      'answer finds it gone and the server goes on', T, () => diag(server, async () => {
      // "/" and "/async" on one connection: the ack on "/" comes back after
      // the server has read the CONNECT to "/async", whose answer is then
      // pending (for 1 s).
      const m = new Manager(server.url, clientOpts(mode));
      trackCloser(() => m._close());
      const root = m.socket('/');
      await connected(root);
      const pending = m.socket('/async', { auth: { user: 'gone', delay: PENDING_MS } });
      const rec = recorder();
      rec.on(pending, 'connect', 'early', 'auth');
      assert.deepEqual(await ack(root, 'message-with-ack', 'sync'), ['sync']);
      const closed = waitFor(m.engine, 'close', 5000);
      m.engine.close();
      await closed;
      // The worker answers into the void; the next connection, whose answer
      // comes after that one, is served.
      const auth = { user: 'next', delay: PENDING_MS };
      const next = open(CLIENTS[0], server, '/async', mode, auth);
      const rec2 = recorder();
      rec2.on(next, 'connect', 'early', 'auth');
      assert.deepEqual(await rec2.until(3, 5000), [['connect'], ['early', 1], ['auth', auth]]);
      assert.deepEqual(rec.list, []);
    }));
  }
});

describe('asynchronous namespace filter answered by a worker thread (sio-echo /async-dyn-*)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);
  let serial = 0;
  const fresh = () => `/async-dyn-${++serial}`; // a namespace that does not exist yet

  for (const client of CLIENTS) {
    for (const mode of MODES) {
      it(`${client.name}, ${mode.name}: the namespace is made ${WORKER_DELAY_MS} ms later, and what the client ` +
        'emitted meanwhile is answered after the CONNECT, in order', T, () => diag(server, async () => {
        const t0 = performance.now();
        const s = open(client, server, fresh(), mode, { user: 'ann' });
        const rec = recorder();
        let tConnect = 0;
        s.on('connect', () => { tConnect = performance.now(); });
        rec.on(s, 'connect', 'connect_error', 'error', 'auth', 'message-back');
        s.emit('message-with-ack', 'a1', (...r) => rec.push('ack', ...r));
        s.emit('message', 'm2');
        const got = await rec.until(4);
        assert.deepEqual(got, [['connect'], ['auth', { user: 'ann' }], ['ack', 'a1'], ['message-back', 'm2']]);
        const waited = tConnect - t0;
        assert.ok(waited >= WORKER_DELAY_MS - 5, `connected ${waited} ms after io(), before the worker's answer`);
      }));

      it(`${client.name}, ${mode.name}: refused by the worker: "Invalid namespace", and the namespace is not ` +
        'made', T, () => diag(server, async () => {
        const name = fresh();
        const s = open(client, server, name, mode, { deny: true });
        if (client.v === 4) {
          const err = await waitFor(s, 'connect_error', 5000);
          assert.equal(err.message, 'Invalid namespace');
        } else {
          assert.equal(await waitFor(s, 'error', 5000), 'Invalid namespace');
        }
        // The same name, allowed this time, is made now.
        const ok = open(client, server, name, mode, { user: 'bob' });
        assert.deepEqual(await waitFor(ok, 'auth', 5000), { user: 'bob' });
      }));
    }
  }

  for (const mode of MODES) {
    it(`socket.io-client 4.x, ${mode.name}: two connections ask for the same new namespace at once; both get ` +
      'it, once made, and hear each other\'s broadcast', T, () => diag(server, async () => {
      const name = fresh();
      const a = open(CLIENTS[0], server, name, mode, { who: 'a' });
      const b = open(CLIENTS[0], server, name, mode, { who: 'b', delay: 2 * WORKER_DELAY_MS });
      await Promise.all([connected(a), connected(b)]);
      const heard = waitFor(b, 'broadcast-back', 5000);
      const own = waitFor(a, 'broadcast-back', 5000);
      a.emit('broadcast', 'from a');
      assert.equal(await heard, 'from a');
      assert.equal(await own, 'from a');
    }));
  }
});

describe('sio-echo stopped while an asynchronous answer is pending', () => {
  afterEach(closeAll);

  for (const mode of MODES) {
    it(`socket.io-client 4.x, ${mode.name}: the server exits 0, nothing leaked`, T, async () => {
      const server = await startServer('sio-echo', ['--path', PATH]);
      try {
        await diag(server, async () => {
          const m = new Manager(server.url, clientOpts(mode));
          trackCloser(() => m._close());
          const root = m.socket('/');
          await connected(root);
          const pending = m.socket('/async', { auth: { delay: PENDING_MS } });
          const rec = recorder();
          rec.on(pending, 'connect', 'early');
          assert.deepEqual(await ack(root, 'message-with-ack', 'sync'), ['sync']);
          const gone = waitFor(m.engine, 'close', 5000);
          await stopChecked(server);
          await gone;
          assert.deepEqual(rec.list, []);
        });
      } finally {
        await server.stop();
      }
    });
  }
});

describe('an asynchronous answer slower than --connect-timeout 500', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--connect-timeout', '500'], closeAll);

  for (const mode of MODES) {
    it(`socket.io-client 4.x, ${mode.name}: the connection is closed when the timeout passes`, T,
      () => diag(server, async () => {
        const t0 = performance.now();
        const s = open(CLIENTS[0], server, '/async', mode, { delay: 5000 });
        const rec = recorder();
        rec.on(s, 'connect', 'early', 'auth');
        await waitFor(s.io.engine, 'close', 4000);
        const elapsed = performance.now() - t0;
        assert.ok(elapsed >= 450, `closed after ${elapsed} ms, before the 500 ms connect timeout`);
        assert.deepEqual(rec.list, []);
        // The server goes on (the late answer finds the socket gone).
        const next = await connected(open(CLIENTS[0], server, '/', mode));
        assert.deepEqual(await ack(next, 'message-with-ack', 'alive'), ['alive']);
      }));
  }
});

// ---------------------------------------------------------------------------


// How A leaves, and the reason its disconnecting hook is given.
const LEAVES = [
  {
    name: 'A disconnects',
    reason: 'client namespace disconnect',
    leave: async (client, a) => { client.v === 4 ? a.disconnect() : a.close(); },
  },
  {
    name: 'the server disconnects A',
    reason: 'server namespace disconnect',
    leave: async (client, a) => {
      const bye = waitFor(a, 'disconnect', 5000);
      a.emit('server-disconnect');
      assert.equal(await bye, 'io server disconnect');
    },
  },
  {
    name: 'the server closes A\'s connection',
    reason: 'server namespace disconnect',
    leave: async (client, a) => {
      const bye = waitFor(a, 'disconnect', 5000);
      a.emit('server-disconnect', true);
      // The DISCONNECT comes before the close of the connection, in its own
      // poll, so that the client reads the server's disconnect (a 4.x
      // client acts on a close packet before the packets beside it).
      assert.equal(await bye, 'io server disconnect');
    },
  },
];

/**
 * B joins r1; D joins r2 and r1 (two rooms shared with A: one "leaving");
 * C joins r3 (none shared). Returns them with collectors of their "leaving".
 */
async function others(client, server, mode) {
  const join = async (rooms) => {
    const s = await connected(open(client, server, '/rooms', mode));
    let last;
    for (const r of rooms) last = await ack(s, 'join', r);
    assert.deepEqual(last, [[s.id, ...rooms]], `the rooms of ${s.id}`);
    return { s, leaving: collector(s, 'leaving') };
  };
  return { B: await join(['r1']), D: await join(['r2', 'r1']), C: await join(['r3']) };
}

/** B and D received `expected` once, C nothing (checked after a round trip each). */
async function checkLeaving({ B, C, D }, expected) {
  assert.deepEqual(await B.leaving.take(1), [expected]);
  assert.deepEqual(await D.leaving.take(1), [expected]);
  for (const { s } of [B, C, D]) assert.deepEqual(await ack(s, 'message-with-ack', 'sync'), ['sync']);
  assert.deepEqual(B.leaving.items, [], 'B received "leaving" more than once');
  assert.deepEqual(D.leaving.items, [], 'D received "leaving" more than once');
  assert.deepEqual(C.leaving.items, [], 'C, in none of the rooms, received "leaving"');
}

describe('the disconnecting hook sees the rooms (sio-echo /rooms)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  for (const client of CLIENTS) {
    for (const mode of MODES) {
      for (const how of LEAVES) {
        it(`${client.name}, ${mode.name}: ${how.name}`, T, () => diag(server, async () => {
          const a = await connected(open(client, server, '/rooms', mode));
          const id = a.id;
          assert.deepEqual(await ack(a, 'join', 'r1'), [[id, 'r1']]);
          assert.deepEqual(await ack(a, 'join', 'r2'), [[id, 'r1', 'r2']]);
          const o = await others(client, server, mode);
          await how.leave(client, a);
          await checkLeaving(o, { id, rooms: [id, 'r1', 'r2'], reason: how.reason });
        }));
      }

      it(`${client.name}, ${mode.name}: a room left is gone from the list, the others keep the order ` +
        'they were joined in', T, () => diag(server, async () => {
        const a = await connected(open(client, server, '/rooms', mode));
        const id = a.id;
        for (const r of ['ra', 'rb']) await ack(a, 'join', r);
        assert.deepEqual(await ack(a, 'join', 'rc'), [[id, 'ra', 'rb', 'rc']]);
        const b = await connected(open(client, server, '/rooms', mode));
        await ack(b, 'join', 'rb');
        const leaving = collector(b, 'leaving');
        assert.deepEqual(await ack(a, 'leave', 'ra'), [[id, 'rb', 'rc']]);
        a.emit('server-disconnect');
        assert.deepEqual(await leaving.take(1),
          [{ id, rooms: [id, 'rb', 'rc'], reason: 'server namespace disconnect' }]);
      }));

      it(`${client.name}, ${mode.name}: A's process is killed (its transport closes abruptly)`, T,
        () => diag(server, async () => {
          const child = await roomsChild(client, server, mode, ['r1', 'r2']);
          const o = await others(client, server, mode);
          child.proc.kill('SIGKILL');
          await child.exited;
          const [msg] = await o.B.leaving.take(1);
          assert.ok(['transport close', 'transport error'].includes(msg.reason), `reason ${fmt(msg.reason)}`);
          o.B.leaving.items.unshift(msg);
          await checkLeaving(o, { id: child.id, rooms: [child.id, 'r1', 'r2'], reason: msg.reason });
        }));
    }
  }
});

describe('sio-echo stopped with sockets in shared rooms', () => {
  afterEach(closeAll);

  for (const client of CLIENTS) {
    for (const mode of MODES) {
      it(`${client.name}, ${mode.name}: the disconnecting hooks broadcast to each other as they all go; ` +
        'the server exits 0, nothing leaked', T, async () => {
        const server = await startServer('sio-echo', ['--path', PATH]);
        try {
          await diag(server, async () => {
            const socks = [];
            for (let i = 0; i < 4; i++) {
              const s = await connected(open(client, server, '/rooms', mode));
              await ack(s, 'join', 'shared');
              await ack(s, 'join', `r${i}`);
              socks.push(s);
            }
            const gone = socks.map((s) => waitFor(s, 'disconnect', 5000));
            await stopChecked(server);
            await Promise.all(gone);
          });
        } finally {
          await server.stop();
        }
      });
    }
  }
});

// A client in a process of its own, which the test can kill: it connects to
// /rooms, joins `rooms`, and prints {id, rooms} (the last join's ack).
const CHILD_SCRIPT = `
const [modulePath, url, opts, rooms] = process.argv.slice(1);
const m = require(modulePath);
const io = m.io || m;
const s = io(url, JSON.parse(opts));
s.on('connect_error', (e) => { console.log(JSON.stringify({ error: String(e && e.message || e) })); process.exit(2); });
s.on('connect', async () => {
  let last = [];
  for (const r of JSON.parse(rooms)) last = await new Promise((resolve) => s.emit('join', r, resolve));
  console.log(JSON.stringify({ id: s.id, rooms: last }));
});
`;

async function roomsChild(client, server, mode, rooms) {
  const proc = spawn(process.execPath,
    ['-e', CHILD_SCRIPT, client.module, `${server.url}/rooms`, JSON.stringify(clientOpts(mode)), JSON.stringify(rooms)],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  trackCloser(() => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  let out = '';
  proc.stderr.on('data', (c) => { out += c; });
  const line = await withTimeout(new Promise((resolve, reject) => {
    proc.stdout.on('data', (c) => {
      out += c;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    proc.once('exit', (code, sig) => reject(new Error(`the client process ended (${code ?? sig}): ${out}`)));
  }), 10_000, `the client process's rooms (output so far: ${out})`);
  const msg = JSON.parse(line);
  assert.ok(msg.id, `the client process: ${line}`);
  assert.deepEqual(msg.rooms, [msg.id, ...rooms]);
  return { proc, exited, id: msg.id };
}

// ---------------------------------------------------------------------------

describe('packet middlewares (sio-echo /guarded)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  for (const client of CLIENTS) {
    for (const mode of MODES) {
      it(`${client.name}, ${mode.name}: "forbidden" is refused with "not allowed" before its handler, ` +
        'the others pass', T, () => diag(server, async () => {
        const s = await connected(open(client, server, '/guarded', mode));
        const backs = collector(s, 'message-back');
        // Its handler would answer "message-back" and ack the arguments.
        s.emit('forbidden', 'x1');
        assert.deepEqual(await ack(s, 'forbidden', 'x2'), [{ error: 'not allowed' }]);
        assert.deepEqual(await ack(s, 'forbidden', 'x3', bytes(8)), [{ error: 'not allowed' }]);
        // The second middleware: a first argument "drop", the default error.
        assert.deepEqual(await ack(s, 'message-with-ack', 'drop'), [{ error: 'refused' }]);
        s.emit('message', 'drop');
        // What passes both.
        assert.deepEqual(await ack(s, 'message-with-ack', 'ok', { n: 1 }), ['ok', { n: 1 }]);
        assert.deepEqual(await ack(s, 'message-with-ack', bytes(16)), [[...bytes(16)]]);
        s.emit('message', 'after');
        // The first "message-back" is the one of "after": neither x1 nor "drop" came back.
        assert.deepEqual((await backs.take(1)).map(plain), ['after']);
        assert.deepEqual(await ack(s, 'message-with-ack', 'sync'), ['sync']);
        assert.deepEqual(backs.items.map(plain), []);
        assert.equal(s.connected, true);
      }));
    }
  }
});
