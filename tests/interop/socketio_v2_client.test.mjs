// The real socket.io-client 2.5 (Engine.IO v3, Socket.IO protocol v4: what
// older Flask-SocketIO frontends ship) against the sio-echo conformance
// program, in each transport mode: polling only, WebSocket only, and polling
// then upgrade. Next to it, socket.io-client 4.8 on the same server: both
// generations share namespaces and broadcasts.
//
// sio-echo (namespaces "/" and "/custom"): on connection it emits "auth" with
// the socket's auth object (for a 2.x client, the namespace's query string:
// io2(url + '/custom?token=abc') -> {"token":"abc"}); "message" ->
// "message-back" with the same arguments; "message-with-ack" is acknowledged
// with the same arguments; "broadcast" -> "broadcast-back" to every socket of
// the namespace. sio-echo never asks the client for an ack, so only
// client -> server acks are covered.
//
// In Node the 2.x client always polls with b64=1 (its XHR shim has no XHR2):
// the binary framing of v3 polling payloads is covered by the raw test at the
// end here (a binary event, with engine.io-parser 2.2.1 and
// socket.io-parser 3.x, as a browser would send it) and in
// engineio_v3_client.test.mjs.
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import { io as io4 } from 'socket.io-client';
import { waitFor, withTimeout, collector, fmt, diag, bytes, tracker, norm, suiteServer } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');
const V2_VERSION = require('socket.io-client-v2/package.json').version;
// The parsers the 2.x client itself uses.
const requireFromV2 = createRequire(require.resolve('socket.io-client-v2'));
const sioParser2 = requireFromV2('socket.io-parser');
const requireFromEngine = createRequire(requireFromV2.resolve('engine.io-client'));
const eioParser3 = requireFromEngine('engine.io-parser');

const PATH = '/socket.io/';
const T = { timeout: 20_000 }; // per test

const MODES = [
  {
    name: 'polling only',
    opts: { transports: ['polling'], upgrade: false },
    first: 'polling',
    final: 'polling',
  },
  {
    name: 'websocket only',
    opts: { transports: ['websocket'] },
    first: 'websocket',
    final: 'websocket',
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

// Everything a test opens, closed after it whatever happened.
const closers = tracker((close) => close());
const closeAll = closers.closeAll;
function track(x, close) {
  closers.track(close);
  return x;
}

function clientOpts(mode, extra = {}) {
  return { path: PATH, forceNew: true, reconnection: false, timeout: 5000, ...mode.opts, ...extra };
}

/** Every `event` with all its arguments (as an array), buffered from now on. */
function argsCollector(socket, event) {
  const ee = new EventEmitter();
  socket.on(event, (...args) => ee.emit('args', args));
  return collector(ee, 'args');
}

/** Wait for 'connect' (rejects on an error or disconnect first). */
async function connected(socket, ms = 5000) {
  if (socket.connected) return socket;
  await waitFor(socket, 'connect', ms, { rejectOn: ['connect_error', 'connect_timeout', 'error', 'disconnect'] });
  return socket;
}

function closeV2(s) {
  return () => {
    s.close();
    if (s.io) s.io.close();
  };
}

/** A 2.x socket: io2(url + nsp) with its own Manager; resolves once connected.
 * Records its "auth" events from the start. */
async function connect2(server, mode, nsp = '/', extra = {}) {
  const s = io2(server.url + nsp, clientOpts(mode, extra));
  closers.track(closeV2(s));
  s.authEvents = argsCollector(s, 'auth');
  s.errors = argsCollector(s, 'error');
  await connected(s);
  return s;
}

/** A 4.x socket on the same server and transport mode. */
async function connect4(server, mode, nsp = '/', extra = {}) {
  const s = io4(server.url + nsp, clientOpts(mode, extra));
  track(s, () => s.disconnect());
  s.authEvents = argsCollector(s, 'auth');
  await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'disconnect'] });
  return s;
}

/** Resolves when `engine` runs on WebSocket (waits for the upgrade if needed). */
async function upgraded(engine, ms = 5000) {
  if (engine.transport.name === 'websocket') return;
  await waitFor(engine, 'upgrade', ms, { rejectOn: ['close', 'upgradeError'] });
  assert.equal(engine.transport.name, 'websocket');
}

/** 2.x acks: emit with a callback; resolves with the ack's arguments. */
function emitAck(s, event, ...args) {
  return withTimeout(new Promise((resolve) => s.emit(event, ...args, (...back) => resolve(back))),
    5000, `ack of "${event}"`);
}

function assertSameArgs(got, want, what) {
  assert.deepEqual(norm(got), norm(want), `${what}: got ${fmt(norm(got))}, want ${fmt(norm(want))}`);
}

function isBinary(b) {
  return Buffer.isBuffer(b) || ArrayBuffer.isView(b) || b instanceof ArrayBuffer;
}

// Astral characters make UTF-16 units, code points and bytes all differ: a
// v3 polling length counted in anything but UTF-16 units breaks the payload.
const MIXED_ARGS = [
  0, -1, 1.5, 1e21, Number.MAX_SAFE_INTEGER, -0.000123,
  '', 'plain', 'héllo wörld', '日本語テキスト',
  '𝕊', 'emoji 😀🎉 and \u2028\u2029', '𝕊'.repeat(100), 'a€𝕊😀é日',
  'quotes " \\ / \n\t\r\b\f \u0001', '3:4𝕊2:4€', 'b4AQID',
  { nested: { deep: { deeper: [1, 'two', { three: '𝕊' }] } }, empty: {}, list: [], '𝕊key': '😀' },
  null, true, false,
  [null, true, false, [], [[]], { a: null }],
];

// ---------------------------------------------------------------------------

describe(`socket.io-client ${V2_VERSION} <-> sio-echo`, () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  for (const mode of MODES) {
    describe(mode.name, () => {
      it('connects: socket.id is the engine id on "/", "/custom#<engine id>" elsewhere', T, () => diag(server, async () => {
        const s = await connect2(server, mode);
        const engine = s.io.engine;
        assert.equal(typeof engine.id, 'string');
        assert.ok(engine.id.length > 0, 'empty engine id');
        assert.equal(s.id, engine.id);
        assert.equal(engine.transport.query.EIO, 3, 'not an Engine.IO v3 connection');
        assert.equal(engine.transport.name, mode.first);
        if (mode.final === 'websocket') await upgraded(engine);
        assert.deepEqual((await s.authEvents.take(1, 3000))[0], [{}]);

        const c = await connect2(server, mode, '/custom');
        assert.equal(c.id, `/custom#${c.io.engine.id}`);
        assert.notEqual(c.io.engine.id, engine.id);
        assert.deepEqual((await c.authEvents.take(1, 3000))[0], [{}]);
        // Both answer.
        assert.deepEqual(await emitAck(s, 'message-with-ack', 'root'), ['root']);
        assert.deepEqual(await emitAck(c, 'message-with-ack', 'custom'), ['custom']);
        assert.equal(s.errors.items.length + c.errors.items.length, 0, 'error events');
      }));

      it('the connection query is the auth of "/"', T, () => diag(server, async () => {
        // socket.io 2.x sends io(url, {query}) on the Engine.IO handshake; the
        // server connects "/" by itself with it (Engine.IO's own keys left out).
        const s = await connect2(server, mode, '/', { query: { token: 'root t', n: '2' } });
        assert.deepEqual((await s.authEvents.take(1, 3000))[0], [{ token: 'root t', n: '2' }]);
      }));

      it('namespace query becomes the auth', T, () => diag(server, async () => {
        const c = await connect2(server, mode, '/custom?token=abc');
        assert.deepEqual((await c.authEvents.take(1, 3000))[0], [{ token: 'abc' }]);
        assert.equal(c.id, `/custom#${c.io.engine.id}`);

        // Several parameters, percent-encoded UTF-8 (astral included), '+'.
        const q = 'token=abc&name=J%C3%BCrgen%20%F0%9D%95%8A&empty=&plus=a+b';
        const d = await connect2(server, mode, `/custom?${q}`);
        assert.deepEqual((await d.authEvents.take(1, 3000))[0],
          [{ token: 'abc', name: 'Jürgen 𝕊', empty: '', plus: 'a b' }]);

        // The query option (an object, encoded by the client).
        const e = await connect2(server, mode, '/custom', { query: { token: 'x y', n: '1' } });
        assert.deepEqual((await e.authEvents.take(1, 3000))[0], [{ token: 'x y', n: '1' }]);
        assert.deepEqual(await emitAck(e, 'message-with-ack', 'with query'), ['with query']);
      }));

      it('several namespaces share one Manager and one engine', T, () => diag(server, async () => {
        const m = new io2.Manager(server.url, clientOpts(mode));
        track(m, () => m.close());
        const root = m.socket('/');
        const custom = m.socket('/custom', { query: 'which=custom' });
        const rootAuth = argsCollector(root, 'auth');
        const customAuth = argsCollector(custom, 'auth');
        await Promise.all([connected(root), connected(custom)]);
        assert.equal(root.io, custom.io, 'not the same Manager');
        assert.equal(root.id, m.engine.id);
        assert.equal(custom.id, `/custom#${m.engine.id}`);
        assert.deepEqual((await rootAuth.take(1, 3000))[0], [{}]);
        assert.deepEqual((await customAuth.take(1, 3000))[0], [{ which: 'custom' }]);

        // Each namespace answers on its own socket only.
        const rootBack = argsCollector(root, 'message-back');
        const customBack = argsCollector(custom, 'message-back');
        custom.emit('message', 'to custom 𝕊');
        root.emit('message', 'to root 😀');
        assert.deepEqual((await customBack.take(1, 3000))[0], ['to custom 𝕊']);
        assert.deepEqual((await rootBack.take(1, 3000))[0], ['to root 😀']);
        assert.deepEqual(await emitAck(custom, 'message-with-ack', 'c'), ['c']);
        assert.deepEqual(await emitAck(root, 'message-with-ack', 'r'), ['r']);
        assert.equal(rootBack.items.length + customBack.items.length, 0, 'a reply went to the wrong namespace');
      }));

      it('unknown namespace: "error" with "Invalid namespace", the connection stays', T, () => diag(server, async () => {
        // Alone on its own Manager.
        const lone = io2(server.url + '/nope', clientOpts(mode));
        closers.track(closeV2(lone));
        const err = await waitFor(lone, 'error', 5000, { rejectOn: ['connect'] });
        assert.equal(err, 'Invalid namespace');
        assert.equal(lone.connected, false);

        // With a query, next to a connected namespace on one Manager: "/" keeps working.
        const m = new io2.Manager(server.url, clientOpts(mode));
        track(m, () => m.close());
        const root = m.socket('/');
        await connected(root);
        const engine = m.engine;
        const bad = m.socket('/does-not-exist', { query: 'token=abc' });
        const err2 = await waitFor(bad, 'error', 5000, { rejectOn: ['connect'] });
        assert.equal(err2, 'Invalid namespace');
        assert.equal(root.connected, true);
        assert.deepEqual(await emitAck(root, 'message-with-ack', 'still here'), ['still here']);
        assert.equal(m.engine, engine, 'the engine was replaced');
      }));

      it('message -> message-back with mixed arguments and astral unicode', T, () => diag(server, async () => {
        const s = await connect2(server, mode);
        const back = argsCollector(s, 'message-back');
        s.emit('message', ...MIXED_ARGS);
        s.emit('message'); // no arguments at all
        s.emit('message', { only: '𝕊' });
        for (const a of MIXED_ARGS) s.emit('message', a); // many small packets in one payload
        const got = await back.take(3 + MIXED_ARGS.length, 5000);
        assert.deepEqual(got[0], MIXED_ARGS);
        assert.deepEqual(got[1], []);
        assert.deepEqual(got[2], [{ only: '𝕊' }]);
        for (let i = 0; i < MIXED_ARGS.length; i++) assert.deepEqual(got[3 + i], [MIXED_ARGS[i]], `single argument ${i}`);
      }));

      it('acks client -> server', T, () => diag(server, async () => {
        const s = await connect2(server, mode);
        assert.deepEqual(await emitAck(s, 'message-with-ack', 'one'), ['one']);
        assert.deepEqual(await emitAck(s, 'message-with-ack', { a: [1, 2, { b: null }] }), [{ a: [1, 2, { b: null }] }]);
        assert.deepEqual(await emitAck(s, 'message-with-ack', ...MIXED_ARGS), MIXED_ARGS);
        assert.deepEqual(await emitAck(s, 'message-with-ack'), []);
        // Many acks in flight at once, each answered with its own value.
        const many = await Promise.all(
          Array.from({ length: 50 }, (_, i) => emitAck(s, 'message-with-ack', i, '𝕊'.repeat(i % 4))));
        assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => [i, '𝕊'.repeat(i % 4)]));
      }));

      it('binary both ways: nested, several attachments, in acks', T, () => diag(server, async () => {
        const s = await connect2(server, mode);
        const back = argsCollector(s, 'message-back');

        const single = [bytes(16)];
        const nested = [
          'text first 𝕊',
          { file: bytes(10, 1), meta: { name: 'x.bin', parts: [bytes(3, 2), 'mid', bytes(5, 3)] } },
          [bytes(1, 4), [bytes(2, 5), { deep: bytes(7, 6) }]],
          42,
          null,
        ];
        const big = [{ blob: bytes(64 * 1024, 7) }, bytes(300, 8)];
        const same = bytes(4, 9); // one Buffer used twice: two attachments
        const twice = [same, { again: same }];
        const empty = [Buffer.alloc(0), 'after empty'];
        s.emit('message', ...single);
        s.emit('message', ...nested);
        s.emit('message', ...big);
        s.emit('message', ...twice);
        s.emit('message', ...empty);
        const got = await back.take(5, 5000);
        assertSameArgs(got[0], single, 'one Buffer');
        assertSameArgs(got[1], nested, 'Buffers nested in objects and arrays');
        assertSameArgs(got[2], big, 'a 64 KiB Buffer');
        assertSameArgs(got[3], twice, 'one Buffer twice');
        assertSameArgs(got[4], empty, 'an empty Buffer');
        for (const b of [got[0][0], got[1][1].file, got[1][2][1][1].deep, got[2][0].blob, got[4][0]]) {
          assert.ok(isBinary(b), `binary came back as ${fmt(b)}`);
        }

        // Binary in an ack, alone and nested among others.
        assertSameArgs(await emitAck(s, 'message-with-ack', bytes(33, 10)), [bytes(33, 10)], 'binary ack');
        assertSameArgs(await emitAck(s, 'message-with-ack', ...nested), nested, 'binary ack with several attachments');
        if (mode.final === 'websocket') await upgraded(s.io.engine);
      }));

      it('a 2.x and a 4.x client in one namespace both get each broadcast once', T, () => diag(server, async () => {
        const v2 = await connect2(server, mode);
        const v4 = await connect4(server, mode);
        const v2custom = await connect2(server, mode, '/custom?token=abc');
        const q2 = argsCollector(v2, 'broadcast-back');
        const q4 = argsCollector(v4, 'broadcast-back');
        const qc = argsCollector(v2custom, 'broadcast-back');

        const fromV2 = ['from 2.x 𝕊', { bin: bytes(8, 11), nested: [bytes(3, 12)] }, [true, null], 7];
        v2.emit('broadcast', ...fromV2);
        assertSameArgs((await q2.take(1, 5000))[0], fromV2, '2.x client, broadcast from 2.x');
        assertSameArgs((await q4.take(1, 5000))[0], fromV2, '4.x client, broadcast from 2.x');

        const fromV4 = ['from 4.x 😀', bytes(5, 13), { deep: { b: bytes(2, 14) } }];
        v4.emit('broadcast', ...fromV4);
        assertSameArgs((await q2.take(1, 5000))[0], fromV4, '2.x client, broadcast from 4.x');
        assertSameArgs((await q4.take(1, 5000))[0], fromV4, '4.x client, broadcast from 4.x');

        // Nothing twice: a sentinel is the next thing both see.
        v2.emit('broadcast', 'sentinel');
        assert.deepEqual((await q2.take(1, 5000))[0], ['sentinel']);
        assert.deepEqual((await q4.take(1, 5000))[0], ['sentinel']);
        // The /custom socket saw none of it: its first broadcast is its own.
        v2custom.emit('broadcast', 'custom only');
        assert.deepEqual((await qc.take(1, 5000))[0], ['custom only']);
        assert.equal(q2.items.length + q4.items.length, 0,
          `"/" got a /custom broadcast: ${fmt([...q2.items, ...q4.items])}`);
        if (mode.final === 'websocket') {
          await upgraded(v2.io.engine);
          await upgraded(v4.io.engine);
        }
      }));

      it('200 events arrive in order', T, () => diag(server, async () => {
        const s = await connect2(server, mode);
        const back = argsCollector(s, 'message-back');
        const N = 200;
        const want = [];
        // Emitted right after connect: in the upgrade mode they straddle the upgrade.
        for (let i = 0; i < N; i++) {
          const args = i % 20 === 0
            ? [i, bytes(i % 7 + 1, i), '𝕊']
            : [i, `${'𝕊'.repeat(i % 13)}${'é'.repeat(i % 5)}${'x'.repeat(i % 11)}`];
          want.push(args);
          s.emit('message', ...args);
        }
        const got = await back.take(N, 15_000);
        for (let i = 0; i < N; i++) assertSameArgs(got[i], want[i], `event ${i}`);
        s.emit('message', 'sentinel');
        assert.deepEqual((await back.take(1, 5000))[0], ['sentinel'], 'an event came twice');
        if (mode.final === 'websocket') await upgraded(s.io.engine);
        assert.equal(s.io.engine.transport.name, mode.final);
      }));

      it('emits before connect are buffered and arrive in order', T, () => diag(server, async () => {
        const s = io2(server.url + '/custom?token=early', clientOpts(mode));
        closers.track(closeV2(s));
        const back = argsCollector(s, 'message-back');
        const auth = argsCollector(s, 'auth');
        assert.equal(s.connected, false);
        const acks = [];
        for (let i = 0; i < 20; i++) {
          s.emit('message', i, `early ${i} 𝕊`);
          if (i % 5 === 0) {
            const ack = emitAck(s, 'message-with-ack', `ack ${i}`);
            ack.catch(() => {}); // awaited below, unless connecting fails first
            acks.push(ack);
          }
        }
        s.emit('message', 'bin', bytes(12, 12));
        await connected(s);
        const got = await back.take(21, 5000);
        for (let i = 0; i < 20; i++) assert.deepEqual(got[i], [i, `early ${i} 𝕊`], `early event ${i}`);
        assertSameArgs(got[20], ['bin', bytes(12, 12)], 'early binary event');
        assert.deepEqual(await Promise.all(acks), [['ack 0'], ['ack 5'], ['ack 10'], ['ack 15']]);
        assert.deepEqual((await auth.take(1, 3000))[0], [{ token: 'early' }]);
      }));

      // The first connection's "auth" is awaited before disconnecting. The
      // server sends it right after the CONNECT reply, but a 2.x socket that
      // disconnects drops every packet it has not processed yet
      // (Socket#destroy unsubscribes it from its Manager): when the CONNECT
      // and the "auth" reached the client in two reads (a loaded machine),
      // the test disconnected in between, lost the first "auth", and its
      // take(2) then waited in vain after the reconnection.
      it('client-side disconnect, then connect again', T, () => diag(server, async () => {
        const s = await connect2(server, mode);
        const firstId = s.id;
        const firstEngine = s.io.engine;
        assert.deepEqual((await s.authEvents.take(1, 3000))[0], [{}]);
        // 2.x closes the whole Manager with its last socket; wait for that
        // before connecting again (its late 'close' would hit the new attempt).
        const engineClosed = waitFor(firstEngine, 'close', 3000);
        const reason = waitFor(s, 'disconnect', 3000);
        s.disconnect();
        assert.equal(await reason, 'io client disconnect');
        assert.equal(s.connected, false);
        await engineClosed;

        s.connect();
        await connected(s);
        assert.notEqual(s.io.engine, firstEngine);
        assert.equal(s.id, s.io.engine.id);
        assert.notEqual(s.id, firstId, 'a new connection gets a new id');
        assert.deepEqual((await s.authEvents.take(1, 3000))[0], [{}]);
        assert.deepEqual(await emitAck(s, 'message-with-ack', 'after reconnect 𝕊'), ['after reconnect 𝕊']);
      }));
    });
  }

  describe('binary framing of v3 polling (as browsers with XHR2 poll)', () => {
    // The 2.x client's own parsers, driven by hand over HTTP without b64.
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

    function decodePolling(res) {
      assert.equal(res.status, 200, `HTTP ${res.status}: ${res.body.toString()}`);
      const binary = String(res.headers['content-type']).startsWith('application/octet-stream');
      const packets = [];
      eioParser3.decodePayload(binary ? res.body : res.body.toString('utf8'), (p) => { packets.push(p); });
      assert.ok(packets.every((p) => p.type !== 'error'),
        `engine.io-parser cannot decode ${binary ? res.body.toString('hex') : JSON.stringify(res.body.toString())}`);
      return { binary, packets };
    }

    it('a binary event and its echo in binary-framed payloads', T, () => diag(server, async () => {
      const base = `${server.url}${PATH}?EIO=3&transport=polling`;
      const hs = decodePolling(await request('GET', base));
      assert.equal(hs.packets[0].type, 'open');
      const { sid } = JSON.parse(hs.packets[0].data);
      const url = `${base}&sid=${encodeURIComponent(sid)}`;

      // The server connects "/" by itself ("40") and sio-echo emits "auth".
      const pending = hs.packets.slice(1).map((p) => p.data);
      const decoder = new sioParser2.Decoder();
      const events = [];
      decoder.on('decoded', (p) => events.push(p));
      const sawBinary = []; // responses in binary framing
      const readUntil = async (pred) => withTimeout((async () => {
        for (;;) {
          while (pending.length) decoder.add(pending.shift());
          if (pred()) return;
          const r = decodePolling(await request('GET', url));
          for (const p of r.packets) {
            if (p.type === 'message') pending.push(p.data);
            else assert.equal(p.type, 'noop', `unexpected ${fmt(p)}`);
          }
          if (r.binary) sawBinary.push(r);
        }
      })(), 5000, 'polling');
      await readUntil(() => events.some((e) => e.type === 2 && e.data[0] === 'auth'));
      assert.deepEqual(events[0], { type: 0, nsp: '/' });

      // A binary event, encoded by socket.io-parser 3.x into a text packet and
      // attachments, sent in one binary-framed POST.
      const args = ['message', 'bin 𝕊', { a: bytes(5, 1), b: [bytes(0), bytes(260, 2)] }];
      const encoded = await new Promise((resolve) => new sioParser2.Encoder().encode(
        { type: 5 /* BINARY_EVENT */, nsp: '/', data: args }, resolve));
      assert.equal(encoded.length, 4, 'expected a packet and 3 attachments');
      const body = await new Promise((resolve) => eioParser3.encodePayloadAsBinary(
        encoded.map((data) => ({ type: 'message', data })), resolve));
      assert.equal(body[0], 0, 'the first record is text');
      const post = await request('POST', url, { body, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(post.status, 200, post.body.toString());

      const before = events.length;
      await readUntil(() => events.length > before);
      const echo = events[before];
      assert.equal(echo.type, 5, `not a binary event: ${fmt(echo)}`);
      assertSameArgs(echo.data, ['message-back', ...args.slice(1)], 'echo');
      assert.ok(sawBinary.length > 0,
        'the echo with attachments came in text framing ("b4" + base64) to a client that polls without b64');
      await request('POST', url, { body: '1:1', headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
    }));
  });
});

describe('socket.io-client 2.x heartbeat (--ping-interval 300 --ping-timeout 200)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--ping-interval', '300', '--ping-timeout', '200'], closeAll);

  for (const mode of MODES) {
    it(`${mode.name}: the client's pings are answered for more than 2 s`, T, () => diag(server, async () => {
      const t0 = performance.now(); // before the handshake: 7 pongs take >= 2100 ms from here
      const s = await connect2(server, mode);
      const disconnects = argsCollector(s, 'disconnect');
      const engine = s.io.engine;
      const pongs = collector(s.io, 'pong');
      await pongs.take(7, 6000);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 2000, `7 pongs ${elapsed} ms after the handshake with a 300 ms interval`);
      assert.equal(disconnects.items.length, 0, `disconnected: ${fmt(disconnects.items)}`);
      assert.equal(s.connected, true);
      assert.equal(s.io.engine, engine);
      if (mode.final === 'websocket') await upgraded(engine);
      assert.deepEqual(await emitAck(s, 'message-with-ack', 'alive 𝕊'), ['alive 𝕊']);
    }));
  }
});
