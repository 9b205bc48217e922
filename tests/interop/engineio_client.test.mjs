// The real engine.io-client (6.6) against the eio-echo program: an Engine.IO
// v4 server that sends every message back as it came (text as text, binary as
// binary). Covers polling, WebSocket, polling -> WebSocket upgrade (with
// messages in flight during it), heartbeats and client-side close.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'engine.io-client';
import { waitFor, withTimeout, collector, fmt, diag, tracker, suiteServer } from './support.mjs';

const PATH = '/engine.io/';
const T = { timeout: 15_000 }; // per test

// Sockets opened by a test; closed after it whatever happened (closeAll is
// the afterEach hook of every suite).
const { track, forget, closeAll } = tracker((s) => s.close());

/** Open a client socket and wait for 'open' (rejects on 'error'/'close' first). */
async function connect(server, opts = {}) {
  const socket = new Socket(server.url, { path: PATH, ...opts });
  track(socket);
  socket.errors = [];
  socket.on('error', (e) => socket.errors.push(e));
  socket.handshakeData = null;
  socket.on('handshake', (d) => { socket.handshakeData = d; });
  await waitFor(socket, 'open', 5000, { rejectOn: ['error', 'close'] });
  return socket;
}

/** Close from the client; resolves with the close reason. */
async function closeSocket(socket) {
  const closed = waitFor(socket, 'close', 5000);
  socket.close();
  const reason = await closed;
  forget(socket);
  return reason;
}

function bytes(n, seed = 0) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function assertSameMessage(got, want, what) {
  if (typeof want === 'string') {
    assert.equal(typeof got, 'string', `${what}: expected text ${fmt(want)}, got ${fmt(got)}`);
    assert.equal(got, want, what);
    return;
  }
  assert.ok(typeof got !== 'string' && (ArrayBuffer.isView(got) || got instanceof ArrayBuffer),
    `${what}: expected binary ${fmt(want)}, got ${fmt(got)}`);
  const g = got instanceof ArrayBuffer ? Buffer.from(got) : Buffer.from(got.buffer, got.byteOffset, got.byteLength);
  const w = Buffer.from(want.buffer, want.byteOffset, want.byteLength);
  assert.ok(g.equals(w), `${what}: expected ${fmt(want)}, got ${fmt(got)}`);
}

function assertSequence(got, want, what) {
  assert.equal(got.length, want.length, `${what}: ${got.length} messages, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) assertSameMessage(got[i], want[i], `${what}: message ${i}`);
}

const TRANSPORT_CASES = [
  { name: 'polling only', opts: { transports: ['polling'], upgrade: false }, transport: 'polling', upgrades: ['websocket'] },
  { name: 'websocket only', opts: { transports: ['websocket'] }, transport: 'websocket', upgrades: [] },
];

describe('engine.io-client <-> eio-echo', () => {
  const server = suiteServer('eio-echo', ['--path', PATH, '--ping-interval', '25000', '--ping-timeout', '20000'], closeAll);

  for (const c of TRANSPORT_CASES) {
    describe(c.name, () => {
      it('handshake: open packet has the documented keys', T, () => diag(server, async () => {
        const s = await connect(server, c.opts);
        assert.equal(s.transport.name, c.transport);
        const h = s.handshakeData;
        assert.ok(h, 'no handshake data');
        assert.deepEqual(Object.keys(h).sort(), ['maxPayload', 'pingInterval', 'pingTimeout', 'sid', 'upgrades']);
        assert.equal(typeof h.sid, 'string');
        assert.ok(h.sid.length > 0);
        assert.deepEqual(h.upgrades, c.upgrades);
        assert.equal(h.pingInterval, 25000);
        assert.equal(h.pingTimeout, 20000);
        assert.equal(typeof h.maxPayload, 'number');
        await closeSocket(s);
      }));

      it('text round trip', T, () => diag(server, async () => {
        const s = await connect(server, c.opts);
        const q = collector(s);
        const msgs = ['hello', 'ünïcødé € 😀', 'x'.repeat(10_000), '4probe 2probe 42["x"] \\ \n'];
        for (const m of msgs) s.send(m);
        assertSequence(await q.take(msgs.length), msgs, 'text echo');
        assert.equal(s.transport.name, c.transport);
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));

      it('binary round trip', T, () => diag(server, async () => {
        const s = await connect(server, c.opts);
        const q = collector(s);
        const msgs = [bytes(1), bytes(256, 7), Buffer.from([0, 0x1e, 0xff, 0x62, 0x34]), bytes(50_000, 3), new Uint8Array(0)];
        for (const m of msgs) s.send(m);
        assertSequence(await q.take(msgs.length), msgs, 'binary echo');
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));

      it('50 messages arrive in order', T, () => diag(server, async () => {
        const s = await connect(server, c.opts);
        const q = collector(s);
        const msgs = [];
        for (let i = 0; i < 50; i++) msgs.push(i % 7 === 3 ? bytes(10 + i, i) : `message ${i}`);
        for (const m of msgs) s.send(m);
        assertSequence(await q.take(50), msgs, '50 in order');
        assert.equal(s.transport.name, c.transport);
        await closeSocket(s);
      }));

      it('close from the client: no error, server stays up', T, () => diag(server, async () => {
        const s = await connect(server, c.opts);
        const q = collector(s);
        s.send('before close');
        assertSequence(await q.take(1), ['before close'], 'echo before close');
        const reason = await closeSocket(s);
        assert.equal(reason, 'forced close');
        assert.deepEqual(s.errors, []);
        assert.equal(s.readyState, 'closed');
        // The server keeps serving new sessions.
        const s2 = await connect(server, c.opts);
        const q2 = collector(s2);
        s2.send('after close');
        assertSequence(await q2.take(1), ['after close'], 'echo on a new session');
        await closeSocket(s2);
      }));
    });
  }

  describe('polling then upgrade to websocket', () => {
    it('upgrades, then exchanges text and binary in order', T, () => diag(server, async () => {
      const s = await connect(server);
      assert.equal(s.transport.name, 'polling');
      assert.deepEqual(s.handshakeData.upgrades, ['websocket']);
      const upgradeError = new Promise((_, reject) => s.on('upgradeError', (e) => reject(e)));
      upgradeError.catch(() => {}); // only raced below
      const t = await Promise.race([waitFor(s, 'upgrade', 5000, { rejectOn: ['close', 'error'] }), upgradeError]);
      assert.equal(t.name, 'websocket');
      assert.equal(s.transport.name, 'websocket');
      const q = collector(s);
      const msgs = ['after upgrade 1', bytes(100, 1), 'after upgrade 2', bytes(3, 2), 'after upgrade 3'];
      for (const m of msgs) s.send(m);
      assertSequence(await q.take(msgs.length), msgs, 'after upgrade');
      assert.deepEqual(s.errors, []);
      await closeSocket(s);
    }));

    it('messages sent during the upgrade all arrive once, in order', T, () => diag(server, async () => {
      const s = new Socket(server.url, { path: PATH });
      track(s);
      const errors = [];
      s.on('error', (e) => errors.push(e));
      const q = collector(s);
      const sent = [];
      const send = (m) => { sent.push(m); s.send(m); };
      const phases = [];
      // Batch A: right at open, over polling, while the probe starts.
      s.on('open', () => {
        phases.push('open');
        for (let i = 0; i < 10; i++) send(i % 3 === 0 ? bytes(5, i) : `A${i}`);
      });
      // Batch B: the probe succeeded, polling is being paused.
      s.on('upgrading', () => {
        phases.push('upgrading');
        for (let i = 0; i < 10; i++) send(i % 3 === 1 ? bytes(6, 100 + i) : `B${i}`);
      });
      // Batch C: right after the upgrade packet.
      s.on('upgrade', () => {
        phases.push('upgrade');
        for (let i = 0; i < 10; i++) send(i % 3 === 2 ? bytes(7, 200 + i) : `C${i}`);
      });
      const upgradeError = new Promise((_, reject) => s.on('upgradeError', (e) => reject(e)));
      upgradeError.catch(() => {}); // only raced below
      await Promise.race([waitFor(s, 'upgrade', 5000, { rejectOn: ['close', 'error'] }), upgradeError]);
      assert.deepEqual(phases, ['open', 'upgrading', 'upgrade']);
      assert.equal(s.transport.name, 'websocket');
      const got = await q.take(30, 5000).catch((e) => {
        e.message += `\nreceived so far (in order): ${q.items.map(fmt).join(', ')}`;
        throw e;
      });
      assertSequence(got, sent, 'during upgrade');
      // Nothing duplicated: the next message after the 30 is the sentinel.
      s.send('sentinel');
      assertSequence(await q.take(1), ['sentinel'], 'after the 30 echoes');
      assert.deepEqual(errors, []);
      await closeSocket(s);
    }));
  });
});

describe('heartbeat (ping-interval 200, ping-timeout 200)', () => {
  const server = suiteServer('eio-echo', ['--path', PATH, '--ping-interval', '200', '--ping-timeout', '200'], closeAll);

  const cases = [
    ...TRANSPORT_CASES,
    { name: 'polling with upgrade', opts: {}, transport: 'websocket' },
  ];
  for (const c of cases) {
    it(`session stays open across 7 pings over ${c.name}`, T, () => diag(server, async () => {
      const s = await connect(server, c.opts);
      assert.equal(s.handshakeData.pingInterval, 200);
      assert.equal(s.handshakeData.pingTimeout, 200);
      let closed = null;
      s.on('close', (reason, desc) => { closed = { reason, desc: fmt(desc) }; });
      // The window is counted in the server's pings, each answered by the
      // client: 7 pings at a 200 ms interval span 1.4 s or more.
      const started = performance.now();
      const pings = collector(s, 'ping');
      await pings.take(7, 5000);
      assert.ok(performance.now() - started >= 6 * 200, 'pings came faster than the interval');
      assert.equal(closed, null, `session closed during the window: ${JSON.stringify(closed)}`);
      assert.equal(s.readyState, 'open');
      assert.equal(s.transport.name, c.transport);
      const q = collector(s);
      s.send('still alive');
      s.send(bytes(4, 9));
      assertSequence(await q.take(2), ['still alive', bytes(4, 9)], 'echo after the window');
      assert.deepEqual(s.errors, []);
      await closeSocket(s);
    }));
  }

  it('server gives up on a client that stops answering pings', T, () => diag(server, async () => {
    // Stop the client's pongs by swallowing its outgoing pong packets, then the
    // server must close the session within pingInterval + pingTimeout (+ slack).
    const s = await connect(server, { transports: ['websocket'] });
    const origSend = s.transport.send.bind(s.transport);
    s.transport.send = (packets) => {
      const rest = packets.filter((p) => p.type !== 'pong');
      if (rest.length) origSend(rest);
      else s.transport.writable = true; // as if written
    };
    // The client's own ping-timeout check would also close it, but only if the
    // server stops pinging; the server closing the WebSocket shows as 'transport close'.
    const reason = await withTimeout(waitFor(s, 'close', 3000), 3000, 'server-side close');
    assert.equal(reason, 'transport close');
  }));
});
