// Engine.IO v3 (EIO=3) against the eio-echo program, which sends every
// message back as it came (text as text, binary as binary):
//
//  - the real engine.io-client 3.5 (the transport of socket.io-client 2.x),
//    over polling with forceBase64 true and false, over WebSocket, and
//    polling then upgrade; text, binary, astral unicode, order; heartbeats,
//    which in v3 go from the client (ping) to the server (pong);
//  - raw HTTP polling with the real engine.io-parser 2.2.1 (the v3 parser the
//    client uses) for what the client cannot show in Node: its XHR shim has no
//    XHR2, so it always asks for b64=1, while browsers poll without b64 and
//    read binary-framed payloads (kind byte, length digits, 0xFF, packet).
//    Every polling response is decoded and then re-encoded by the parser: the
//    server's bytes must be exactly the parser's (lengths in UTF-16 units for
//    text framing, in bytes for binary framing).
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { waitFor, withTimeout, collector, fmt, diag, bytes, tracker, suiteServer } from './support.mjs';

const require = createRequire(import.meta.url);
const eio3 = require('engine.io-client-v3');
// The parser engine.io-client 3.5 itself uses (2.2.x: the Engine.IO v3 one).
const requireFromClient = createRequire(require.resolve('engine.io-client-v3'));
const parser3 = requireFromClient('engine.io-parser');
const PARSER3_VERSION = requireFromClient('engine.io-parser/package.json').version;

const PATH = '/engine.io/';
const T = { timeout: 20_000 }; // per test

const MODES = [
  {
    name: 'polling, forceBase64: true',
    opts: { transports: ['polling'], upgrade: false, forceBase64: true },
    final: 'polling',
    upgrades: ['websocket'],
  },
  {
    name: 'polling, forceBase64: false',
    opts: { transports: ['polling'], upgrade: false, forceBase64: false },
    final: 'polling',
    upgrades: ['websocket'],
  },
  {
    name: 'websocket only',
    opts: { transports: ['websocket'] },
    final: 'websocket',
    upgrades: [],
  },
  {
    name: 'polling then upgrade',
    opts: { transports: ['polling', 'websocket'], upgrade: true },
    final: 'websocket',
    upgrades: ['websocket'],
  },
];

// ---------------------------------------------------------------------------
// helpers

// Sockets opened by a test; closed after it whatever happened.
const { track, forget, closeAll } = tracker((s) => s.close());

/** An engine.io-client 3.5 socket; resolves once open (rejects on error/close first). */
async function connect(server, mode, extra = {}) {
  const s = eio3(server.url, { path: PATH, ...mode.opts, ...extra });
  track(s);
  s.errors = [];
  s.on('error', (e) => s.errors.push(e));
  s.handshakeData = null;
  s.on('handshake', (d) => { s.handshakeData = d; });
  await waitFor(s, 'open', 5000, { rejectOn: ['error', 'close'] });
  return s;
}

/** Resolves when the socket runs on WebSocket (waits for the upgrade if needed). */
async function upgraded(s, ms = 5000) {
  if (s.transport.name === 'websocket') return;
  await waitFor(s, 'upgrade', ms, { rejectOn: ['close', 'upgradeError'] });
  assert.equal(s.transport.name, 'websocket');
}

async function closeSocket(s) {
  const closed = waitFor(s, 'close', 5000);
  s.close();
  const reason = await closed;
  forget(s);
  return reason;
}

function toBuffer(v) {
  if (Buffer.isBuffer(v)) return v;
  if (v instanceof ArrayBuffer) return Buffer.from(v);
  if (ArrayBuffer.isView(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  return null;
}

function assertSameMessage(got, want, what) {
  if (typeof want === 'string') {
    assert.equal(typeof got, 'string', `${what}: expected text ${fmt(want)}, got ${fmt(got)}`);
    assert.equal(got, want, what);
    return;
  }
  const g = toBuffer(got);
  assert.ok(g && typeof got !== 'string', `${what}: expected binary ${fmt(want)}, got ${fmt(got)}`);
  assert.ok(g.equals(toBuffer(want)), `${what}: expected ${fmt(want)}, got ${fmt(got)}`);
}

function assertSequence(got, want, what) {
  assert.equal(got.length, want.length, `${what}: ${got.length} messages, expected ${want.length}`);
  for (let i = 0; i < want.length; i++) assertSameMessage(got[i], want[i], `${what}: message ${i}`);
}

// Text that makes UTF-16 units, code points and bytes all differ.
const ASTRAL = [
  '𝕊',
  'a𝕊b',
  '😀'.repeat(300),
  'mix: a é € 𝕊 😀 日本語 \u2028\u2029 🎉',
  '𝕊'.repeat(9) + '€'.repeat(9) + 'x', // 28 units, 64 bytes
  '3:4𝕊2:4€', // looks like a v3 payload
];

// ---------------------------------------------------------------------------
// raw v3 polling with engine.io-parser 2.2.1

function request(method, url, { body, headers } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${url}: no answer within 5 s`)));
    req.end(body);
  });
}

function syncResult(fn) {
  let out;
  fn((v) => { out = v; });
  assert.notEqual(out, undefined, 'engine.io-parser answered asynchronously');
  return out;
}

const encodeText = (packets) => syncResult((cb) => parser3.encodePayload(packets, false, cb));
const encodeBinary = (packets) => syncResult((cb) => parser3.encodePayloadAsBinary(packets, cb));

/** One Engine.IO v3 polling session as engine.io-client 3 would run it with XHR2 (b64 false) or without (b64 true). */
class RawPolling3 {
  constructor(server, b64) {
    this.server = server;
    this.b64 = b64;
    this.sid = null;
    this.bodies = []; // every response body, as received
  }

  url() {
    return `${this.server.url}${PATH}?EIO=3&transport=polling${this.b64 ? '&b64=1' : ''}` +
      `${this.sid ? `&sid=${encodeURIComponent(this.sid)}` : ''}`;
  }

  /** Decodes a polling response as the client does (by its Content-Type), and
   * checks that the parser re-encodes the packets to exactly the same bytes. */
  decode(res, what) {
    assert.equal(res.status, 200, `${what}: HTTP ${res.status} ${res.body.toString()}`);
    const ct = String(res.headers['content-type'] || '');
    const binary = ct.startsWith('application/octet-stream');
    if (!binary) assert.match(ct, /^text\/plain/, `${what}: Content-Type ${ct}`);
    if (this.b64) assert.ok(!binary, `${what}: binary framing sent to a b64=1 client: ${res.body.toString('hex')}`);
    this.bodies.push({ binary, body: res.body });
    const packets = [];
    if (binary) parser3.decodePayload(res.body, (p) => { packets.push(p); });
    else parser3.decodePayload(res.body.toString('utf8'), (p) => { packets.push(p); });
    const shown = binary ? res.body.toString('hex') : JSON.stringify(res.body.toString('utf8'));
    assert.ok(packets.length > 0 && packets.every((p) => p.type !== 'error'),
      `${what}: engine.io-parser ${PARSER3_VERSION} cannot decode ${shown}`);
    const again = binary ? encodeBinary(packets) : Buffer.from(encodeText(packets), 'utf8');
    assert.ok(again.equals(res.body),
      `${what}: not what engine.io-parser ${PARSER3_VERSION} makes of the same packets:\n` +
      ` got  ${shown}\n want ${binary ? again.toString('hex') : JSON.stringify(again.toString('utf8'))}`);
    return packets;
  }

  async open() {
    const packets = this.decode(await request('GET', this.url()), 'handshake');
    assert.equal(packets[0].type, 'open', `first packet ${fmt(packets[0])}`);
    const h = JSON.parse(packets[0].data);
    assert.equal(typeof h.sid, 'string');
    this.sid = h.sid;
    this.handshake = h;
    return packets.slice(1);
  }

  /** POSTs packets in binary framing (binary: true) or text framing. */
  async post(packets, { binary }) {
    const body = binary ? encodeBinary(packets) : encodeText(packets);
    const res = await request('POST', this.url(), {
      body,
      headers: { 'Content-Type': binary ? 'application/octet-stream' : 'text/plain;charset=UTF-8' },
    });
    assert.equal(res.status, 200, `POST: HTTP ${res.status} ${res.body.toString()}`);
    assert.equal(res.body.toString(), 'ok');
  }

  async poll() {
    return this.decode(await request('GET', this.url()), 'GET');
  }

  /** Polls until n message packets came; returns their data. */
  async messages(n, ms = 5000) {
    const got = [];
    await withTimeout((async () => {
      while (got.length < n) {
        for (const p of await this.poll()) {
          if (p.type === 'message') got.push(p.data);
          else assert.equal(p.type, 'noop', `unexpected packet ${fmt(p)}`);
        }
      }
    })(), ms, `${n} messages by polling`);
    assert.equal(got.length, n, `more messages than sent: ${got.map(fmt).join(', ')}`);
    return got;
  }

  async close() {
    if (this.sid) await this.post([{ type: 'close' }], { binary: false }).catch(() => {});
  }
}

// ---------------------------------------------------------------------------

describe('engine.io-client 3.5 <-> eio-echo', () => {
  const server = suiteServer('eio-echo', ['--path', PATH, '--ping-interval', '25000', '--ping-timeout', '20000'], closeAll);

  for (const mode of MODES) {
    describe(mode.name, () => {
      it('handshake: EIO=3, sid, upgrades and timers', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const h = s.handshakeData;
        assert.ok(h, 'no handshake data');
        assert.equal(typeof h.sid, 'string');
        assert.ok(h.sid.length > 0);
        assert.equal(s.id, h.sid);
        assert.deepEqual(h.upgrades, mode.upgrades);
        assert.equal(h.pingInterval, 25000);
        assert.equal(h.pingTimeout, 20000);
        assert.equal(s.transport.query.EIO, 3);
        if (mode.final === 'websocket') await upgraded(s);
        assert.equal(s.transport.name, mode.final);
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));

      it('text echo', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const q = collector(s);
        const msgs = ['hello', 'ünïcødé €', 'x'.repeat(10_000), '6:4hello', 'b4AQID', '1:1', '\u001e\u0000\n', '0', ':'];
        for (const m of msgs) s.send(m);
        assertSequence(await q.take(msgs.length), msgs, 'text echo');
        if (mode.final === 'websocket') await upgraded(s);
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));

      it('astral unicode: lengths in UTF-16 units', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const q = collector(s);
        // Sent together, so that over polling they share a payload: a length
        // counted wrong would shift every later packet.
        for (const m of ASTRAL) s.send(m);
        s.send('after');
        assertSequence(await q.take(ASTRAL.length + 1), [...ASTRAL, 'after'], 'astral echo');
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));

      it('binary echo', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const q = collector(s);
        const msgs = [
          Buffer.from([1, 2, 3]),
          bytes(256, 7),
          Buffer.from([0, 1, 0xff, 0x3a, 0x62, 0x34, 0x1e]), // 0, 1, 0xff: framing bytes of v3 binary payloads
          bytes(100_000, 3),
          new Uint8Array([9, 8, 7]),
          bytes(2, 4).buffer.slice(0, 2), // an ArrayBuffer
        ];
        for (const m of msgs) s.send(m);
        assertSequence(await q.take(msgs.length), msgs, 'binary echo');
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));

      it('100 text and binary messages arrive in order', T, () => diag(server, async () => {
        const s = await connect(server, mode);
        const q = collector(s);
        const msgs = [];
        for (let i = 0; i < 100; i++) {
          msgs.push(i % 7 === 3 ? bytes(10 + i, i) : `message ${i} ${'𝕊'.repeat(i % 5)}${'é'.repeat(i % 3)}`);
        }
        for (const m of msgs) s.send(m);
        assertSequence(await q.take(100, 10_000), msgs, '100 in order');
        if (mode.final === 'websocket') await upgraded(s);
        assert.equal(s.transport.name, mode.final);
        // Nothing duplicated: the next echo is the sentinel.
        s.send('sentinel');
        assertSequence(await q.take(1), ['sentinel'], 'after the 100');
        assert.deepEqual(s.errors, []);
        await closeSocket(s);
      }));
    });
  }

  describe('raw polling with engine.io-parser 2.2.1', () => {
    it('uses the Engine.IO v3 parser', () => {
      assert.match(PARSER3_VERSION, /^2\./);
    });

    it('without b64 (XHR2 browsers): binary framing both ways', T, () => diag(server, async () => {
      const c = new RawPolling3(server, false);
      await c.open();
      assert.deepEqual(c.handshake.upgrades, ['websocket']);
      const msgs = [
        'hello 𝕊 €',
        bytes(3, 1),
        Buffer.from([0, 1, 0xff, 0xff, 4]),
        '😀'.repeat(3),
        bytes(300, 2),
        Buffer.alloc(0),
        'x'.repeat(1234),
      ];
      await c.post(msgs.map((data) => ({ type: 'message', data })), { binary: true });
      const got = await c.messages(msgs.length);
      assertSequence(got, msgs, 'binary framing echo');
      const binaryBodies = c.bodies.filter((b) => b.binary);
      assert.ok(binaryBodies.length > 0, 'no binary-framed response for binary messages');

      // The same session also accepts text framing with "b4" + base64.
      const more = ['after 𝕊', bytes(5, 9), '']; // '' comes back as a message without data
      await c.post(more.map((data) => ({ type: 'message', data })), { binary: false });
      const got2 = await c.messages(more.length);
      assertSequence(got2.slice(0, 2), more.slice(0, 2), 'text framing echo');
      assert.ok(got2[2] === undefined || got2[2] === '', `empty message came back as ${fmt(got2[2])}`);
      await c.close();
    }));

    it('without b64: one binary message alone is exactly the parser bytes', T, () => diag(server, async () => {
      const c = new RawPolling3(server, false);
      await c.open();
      await c.post([{ type: 'message', data: Buffer.from([1, 2, 3]) }], { binary: true });
      const [m] = await c.messages(1);
      assertSameMessage(m, Buffer.from([1, 2, 3]), 'echo');
      const last = c.bodies[c.bodies.length - 1];
      assert.equal(last.binary, true);
      assert.equal(last.body.toString('hex'), '0104ff04010203');
      await c.close();
    }));

    it('with b64=1: text framing, binary as "b4" + base64, lengths in UTF-16 units', T, () => diag(server, async () => {
      const c = new RawPolling3(server, true);
      await c.open();
      const msgs = ['𝕊', '€', Buffer.from([1, 2, 3, 4]), 'a😀b', Buffer.alloc(0)];
      await c.post(msgs.map((data) => ({ type: 'message', data })), { binary: false });
      const got = await c.messages(msgs.length);
      assertSequence(got, msgs, 'b64 echo');
      // Text framing concatenates: the responses after the handshake, end to
      // end, are exactly the payload of the five messages.
      const text = c.bodies.slice(1).map((b) => b.body.toString('utf8')).join('');
      assert.equal(text, '3:4𝕊2:4€10:b4AQIDBA==5:4a😀b2:b4');
      await c.close();
    }));
  });
});

describe('eio-echo with short timers (--ping-interval 300 --ping-timeout 200)', () => {
  const server = suiteServer('eio-echo', ['--path', PATH, '--ping-interval', '300', '--ping-timeout', '200'], closeAll);

  for (const mode of MODES) {
    it(`heartbeat over ${mode.name}: the client's pings are answered for more than 2 s`, T, () => diag(server, async () => {
      const t0 = performance.now(); // before the handshake: 7 pongs take >= 2100 ms from here
      const s = await connect(server, mode);
      assert.equal(s.handshakeData.pingInterval, 300);
      assert.equal(s.handshakeData.pingTimeout, 200);
      const closes = collector(s, 'close');
      const pongs = collector(s, 'pong');
      await pongs.take(7, 6000);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 2000, `7 pongs ${elapsed} ms after the handshake with a 300 ms interval`);
      assert.equal(closes.items.length, 0, `closed: ${fmt(closes.items)}`);
      assert.equal(s.readyState, 'open');
      if (mode.final === 'websocket') await upgraded(s);
      const q = collector(s);
      s.send('still alive 𝕊');
      s.send(bytes(4, 9));
      assertSequence(await q.take(2), ['still alive 𝕊', bytes(4, 9)], 'echo after 2 s');
      assert.deepEqual(s.errors, []);
      await closeSocket(s);
    }));
  }

  it('a v3 client that stops pinging is closed after pingInterval + pingTimeout', T, () => diag(server, async () => {
    const s = await connect(server, MODES[2]); // websocket only
    // Silence the client: no more pings, and no client-side timeout either
    // (it would close by itself at the same moment otherwise).
    clearTimeout(s.pingIntervalTimer);
    clearTimeout(s.pingTimeoutTimer);
    s.setPing = () => {};
    s.off('heartbeat');
    const t0 = performance.now();
    const reason = await withTimeout(waitFor(s, 'close', 3000), 3000, 'server-side close');
    const elapsed = performance.now() - t0;
    assert.equal(reason, 'transport close');
    assert.ok(elapsed >= 400, `closed after ${elapsed} ms, before pingInterval + pingTimeout (500 ms)`);
    forget(s);
  }));
});
