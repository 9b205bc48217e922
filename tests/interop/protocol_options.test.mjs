// Protocol options a frontend or its load balancer relies on, against
// sio-echo, compared with Node's socket.io 4.8 (engine.io 6.6) where the
// bytes matter:
//
// - the cookie (--cookie io, engine.io's `cookie` option): the polling
//   handshake sets io=<sid> with the configured attributes, written exactly
//   as Node writes it; nothing without the option; clients are unaffected.
// - httpCompression (on by default, threshold 1024): a polling response of
//   1024 bytes or more is gzip- or deflate-encoded as the request's
//   Accept-Encoding asks, and decodes to the same payload; smaller ones,
//   requests that accept neither, and --no-http-compression are sent as
//   they are; --http-compression-threshold moves the threshold.
//
// - permessage-deflate (--per-message-deflate, off by default as in Node):
//   negotiated when offered; messages of 1024 bytes or more go compressed
//   (RSV1) and inflate to the packet, smaller ones as they are, the same
//   messages as Node compresses; socket.io-client 4.x negotiates it.
//
// Raw requests go through node:http, which does not decompress, and raw
// WebSocket frames are read off a TCP socket, so what is checked is the
// encoding on the wire. Nothing sleeps to synchronise.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { Server } from 'socket.io';
import { io } from 'socket.io-client';
import { waitFor, withTimeout, fmt, diag, tracker, suiteServer } from './support.mjs';

const T = { timeout: 20_000 };
const REQ_MS = 5000;
const PATH = '/socket.io/';
const BIG = 'x'.repeat(5000);

const { track, closeAll } = tracker((x) => (x.disconnect ? x.disconnect() : x.close()));

/** One GET or POST through node:http. Resolves { status, headers, body: Buffer }. */
function request(url, { method = 'GET', headers = {}, body } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  }), REQ_MS, `${method} ${url}`);
}

/** The body as the client reads it, decoded by its Content-Encoding. */
function decoded(r) {
  const enc = r.headers['content-encoding'];
  if (enc === 'gzip') return zlib.gunzipSync(r.body).toString();
  if (enc === 'deflate') return zlib.inflateSync(r.body).toString();
  assert.equal(enc, undefined, `unexpected Content-Encoding ${enc}`);
  return r.body.toString();
}

/** A polling session connected to "/": its sid and the URL of its requests. */
async function session(base) {
  const hs = await request(`${base}${PATH}?EIO=4&transport=polling`);
  assert.equal(hs.status, 200, fmt(hs.body.toString()));
  const sid = JSON.parse(decoded(hs).slice(1)).sid;
  const url = `${base}${PATH}?EIO=4&transport=polling&sid=${sid}`;
  assert.equal((await request(url, { method: 'POST', body: '40' })).status, 200);
  const connect = await request(url);
  assert.match(decoded(connect), /^40\{"sid":/);
  return { sid, url, handshake: hs };
}

/** Emits "message" with `text` and reads the poll that carries "message-back". */
async function echoPoll(s, text, acceptEncoding) {
  const post = await request(s.url, { method: 'POST', body: `42${JSON.stringify(['message', text])}` });
  assert.equal(post.status, 200);
  const headers = acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding };
  const r = await request(s.url, { headers });
  assert.equal(r.status, 200);
  assert.equal(decoded(r), `42${JSON.stringify(['message-back', text])}`);
  return r;
}

/** Node's socket.io 4.8 with engine.io options, on a free port; closed after the file. */
async function nodeServer(opts) {
  const httpServer = http.createServer();
  const ioServer = new Server(httpServer, opts);
  ioServer.on('connection', (s) => s.on('message', (...a) => s.emit('message-back', ...a)));
  await new Promise((r) => httpServer.listen(0, '127.0.0.1', r));
  nodeServers.push(ioServer);
  return `http://127.0.0.1:${httpServer.address().port}`;
}
const nodeServers = [];
after(() => { for (const s of nodeServers) s.close(); });

/** A Set-Cookie value with the session id replaced, to compare servers. */
function cookieShape(r, sid) {
  const set = r.headers['set-cookie'];
  assert.ok(Array.isArray(set) && set.length === 1, `Set-Cookie: ${fmt(set)}`);
  assert.ok(set[0].includes(sid), `the cookie does not carry the sid ${sid}: ${set[0]}`);
  return set[0].replace(sid, '<sid>');
}

// ---------------------------------------------------------------------------

describe('the cookie: sio-echo --cookie io', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--cookie', 'io'], closeAll);

  it('the polling handshake sets io=<sid>; Path=/; HttpOnly; SameSite=Lax, as Node with cookie: true', T,
    () => diag(server, async () => {
      const ours = await session(server.url);
      assert.equal(cookieShape(ours.handshake, ours.sid), 'io=<sid>; Path=/; HttpOnly; SameSite=Lax');
      const node = await session(await nodeServer({ cookie: true }));
      assert.equal(cookieShape(ours.handshake, ours.sid), cookieShape(node.handshake, node.sid));
      // Only the handshake sets it.
      const poll = await echoPoll(ours, 'hi');
      assert.equal(poll.headers['set-cookie'], undefined);
    }));

  for (const transports of [['polling', 'websocket'], ['websocket']]) {
    it(`socket.io-client 4.x (${transports.join(', ')}) connects and echoes with the cookie on`, T,
      () => diag(server, async () => {
        const s = track(io(server.url, { path: PATH, forceNew: true, reconnection: false, transports }));
        await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error'] });
        s.emit('message', 'hello');
        assert.equal(await waitFor(s, 'message-back', 5000), 'hello');
      }));
  }
});

describe('the cookie with attributes: --cookie-path /app --cookie-same-site strict --cookie-max-age 3600 ' +
  '--cookie-secure', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--cookie', 'io', '--cookie-path', '/app',
    '--cookie-same-site', 'strict', '--cookie-max-age', '3600', '--cookie-secure'], closeAll);

  it('written as Node writes the same options', T, () => diag(server, async () => {
    const ours = await session(server.url);
    const want = 'io=<sid>; Max-Age=3600; Path=/app; HttpOnly; Secure; SameSite=Strict';
    assert.equal(cookieShape(ours.handshake, ours.sid), want);
    const node = await session(await nodeServer({
      cookie: { name: 'io', path: '/app', sameSite: 'strict', maxAge: 3600, secure: true },
    }));
    assert.equal(cookieShape(node.handshake, node.sid), want);
  }));
});

describe('no cookie by default', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  it('the handshake sets none, as Node by default', T, () => diag(server, async () => {
    const ours = await session(server.url);
    assert.equal(ours.handshake.headers['set-cookie'], undefined);
    const node = await session(await nodeServer({}));
    assert.equal(node.handshake.headers['set-cookie'], undefined);
  }));

  it('--cookie "a b" is refused at startup', T, async () => {
    const { startServer } = await import('./support.mjs');
    await assert.rejects(startServer('sio-echo', ['--cookie', 'a b']), /cookie name must be a token/);
  });
});

describe('httpCompression (on by default, threshold 1024)', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  for (const [accept, want] of [['gzip, deflate, br', 'gzip'], ['deflate', 'deflate'], ['br', undefined],
    ['identity', undefined], [undefined, undefined]]) {
    it(`a 5 KB poll with Accept-Encoding ${accept === undefined ? '(none)' : `"${accept}"`}: ` +
      `${want || 'not compressed'}, and it decodes to the packet`, T, () => diag(server, async () => {
      const s = await session(server.url);
      const r = await echoPoll(s, BIG, accept);
      assert.equal(r.headers['content-encoding'], want);
      if (want) assert.ok(r.body.length < 200, `${r.body.length} bytes compressed`);
    }));
  }

  it('a poll under 1024 bytes is sent as it is, as by Node', T, () => diag(server, async () => {
    const s = await session(server.url);
    const small = 'y'.repeat(900);
    const r = await echoPoll(s, small, 'gzip');
    assert.equal(r.headers['content-encoding'], undefined);
    const node = await session(await nodeServer({}));
    const n = await echoPoll(node, small, 'gzip');
    assert.equal(n.headers['content-encoding'], undefined);
    const nBig = await echoPoll(node, BIG, 'gzip');
    assert.equal(nBig.headers['content-encoding'], 'gzip');
  }));
});

describe('compress(false): the per-emit flag (sio_target.uncompressed), sio-echo "message-uncompressed"', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--per-message-deflate'], closeAll);

  it('a 5 KB poll whose only packet asked not to be compressed is sent as it is (as Node decides: compressed when one packet may be)', T,
    () => diag(server, async () => {
      const s = await session(server.url);
      const post = await request(s.url, { method: 'POST', body: `42${JSON.stringify(['message-uncompressed', BIG])}` });
      assert.equal(post.status, 200);
      const r = await request(s.url, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(decoded(r), `42${JSON.stringify(['message-back', BIG])}`);
      assert.equal(r.headers['content-encoding'], undefined);
      // The same payload without the flag is compressed.
      assert.equal((await echoPoll(s, BIG, 'gzip')).headers['content-encoding'], 'gzip');
    }));

  it('over permessage-deflate, the flagged 5 KB message goes without RSV1, the next one with it', T,
    () => diag(server, async () => {
      const ws = await rawDeflateSocket(server);
      track(ws);
      await ws.message();
      ws.send('40');
      await ws.message();
      const next = async () => {
        for (;;) {
          const m = await ws.message();
          if (!m.text.startsWith('42["auth"')) return m;
        }
      };
      ws.send(`42${JSON.stringify(['message-uncompressed', BIG])}`);
      const plain = await next();
      assert.equal(plain.text, `42${JSON.stringify(['message-back', BIG])}`);
      assert.equal(plain.compressed, false);
      ws.send(`42${JSON.stringify(['message', BIG])}`);
      assert.equal((await next()).compressed, true);
    }));
});

describe('httpCompression off: --no-http-compression', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--no-http-compression'], closeAll);

  it('a 5 KB poll accepting gzip is sent as it is', T, () => diag(server, async () => {
    const s = await session(server.url);
    const r = await echoPoll(s, BIG, 'gzip');
    assert.equal(r.headers['content-encoding'], undefined);
    assert.ok(r.body.length > 5000);
  }));
});

describe('httpCompression threshold: --http-compression-threshold 100', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--http-compression-threshold', '100'], closeAll);

  it('a 200-byte poll is compressed, a 50-byte one is not', T, () => diag(server, async () => {
    const s = await session(server.url);
    assert.equal((await echoPoll(s, 'z'.repeat(200), 'gzip')).headers['content-encoding'], 'gzip');
    assert.equal((await echoPoll(s, 'z'.repeat(50), 'gzip')).headers['content-encoding'], undefined);
  }));
});

// ---------------------------------------------------------------------------
// permessage-deflate (--per-message-deflate, Node's perMessageDeflate), seen
// on the wire by a client of raw frames: RSV1 marks a compressed message.

/** A WebSocket on a raw socket that offers permessage-deflate and reads frames. */
async function rawDeflateSocket(server, offer = 'permessage-deflate; client_max_window_bits') {
  const sock = net.connect(server.port, '127.0.0.1');
  await new Promise((resolve, reject) => { sock.once('connect', resolve); sock.once('error', reject); });
  sock.write(`GET ${PATH}?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
    'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    `${offer ? `Sec-WebSocket-Extensions: ${offer}\r\n` : ''}\r\n`);
  let buf = Buffer.alloc(0);
  const waiters = [];
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); for (const w of [...waiters]) w(); });
  /** Resolves with the next piece `take(buf)` can parse (it returns [value, used] or null). */
  const next = (take, what) => withTimeout(new Promise((resolve) => {
    const check = () => {
      const r = take(buf);
      if (!r) return;
      waiters.splice(waiters.indexOf(check), 1);
      buf = buf.subarray(r[1]);
      resolve(r[0]);
    };
    waiters.push(check);
    check();
  }), REQ_MS, what);
  const head = await next((b) => {
    const end = b.indexOf('\r\n\r\n');
    return end < 0 ? null : [b.subarray(0, end).toString('latin1'), end + 4];
  }, 'the 101 answer');
  const frame = () => next((b) => {
    if (b.length < 2) return null;
    let len = b[1] & 0x7f;
    let at = 2;
    if (len === 126) { if (b.length < 4) return null; len = b.readUInt16BE(2); at = 4; }
    if (len === 127) { if (b.length < 10) return null; len = Number(b.readBigUInt64BE(2)); at = 10; }
    if (b.length < at + len) return null;
    return [{ fin: !!(b[0] & 0x80), rsv1: !!(b[0] & 0x40), opcode: b[0] & 0x0f, payload: b.subarray(at, at + len) }, at + len];
  }, 'a frame');
  // What the server compressed so far: its window, when it keeps it from one
  // message to the next (Node does), is given back as the dictionary.
  let history = Buffer.alloc(0);
  /** The next whole message (fragments joined), inflated when RSV1 says so. */
  const message = async () => {
    const first = await frame();
    const parts = [first.payload];
    for (let f = first; !f.fin;) { f = await frame(); parts.push(f.payload); }
    const raw = Buffer.concat(parts);
    let text = raw;
    if (first.rsv1) {
      text = zlib.inflateRawSync(Buffer.concat([raw, Buffer.from([0, 0, 0xff, 0xff])]), {
        finishFlush: zlib.constants.Z_SYNC_FLUSH, ...(history.length ? { dictionary: history } : {}),
      });
      history = Buffer.concat([history, text]).subarray(-32768);
    }
    return { compressed: first.rsv1, text: text.toString() };
  };
  /** One masked text frame; `rsv1` marks its payload (bytes) as compressed. */
  const send = (payload, rsv1 = false) => {
    const p = Buffer.from(payload);
    const mask = Buffer.from([1, 2, 3, 4]);
    const b0 = 0x81 | (rsv1 ? 0x40 : 0);
    const h = p.length < 126 ? Buffer.from([b0, 0x80 | p.length])
      : Buffer.from([b0, 0x80 | 126, p.length >> 8, p.length & 0xff]);
    sock.write(Buffer.concat([h, mask, Buffer.from(p.map((c, i) => c ^ mask[i % 4]))]));
  };
  /** The status code of the server's close frame, skipping other frames. */
  const closeCode = async () => {
    for (;;) {
      const f = await frame();
      if (f.opcode === 8) return f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005;
    }
  };
  return { head, message, send, closeCode, close: () => sock.destroy() };
}

describe('permessage-deflate on: sio-echo --per-message-deflate', () => {
  const server = suiteServer('sio-echo', ['--path', PATH, '--per-message-deflate'], closeAll);

  it('negotiated when offered; 1024 bytes or more go compressed and inflate to the packet, smaller ones ' +
    'go as they are; with server_no_context_takeover offered, exactly the messages Node compresses', T,
  () => diag(server, async () => {
    const check = async (base, offer) => {
      const ws = await rawDeflateSocket({ port: Number(new URL(base).port) }, offer);
      track(ws);
      assert.match(ws.head, /^HTTP\/1\.1 101/);
      assert.match(ws.head, /sec-websocket-extensions: permessage-deflate/i);
      const open = await ws.message();
      ws.send('40');
      assert.match((await ws.message()).text, /^40\{"sid":/);
      const got = [];
      const echo = async () => { // sio-echo greets with "auth" first; Node's test server does not
        for (;;) {
          const m = await ws.message();
          if (!m.text.startsWith('42["auth"')) return m;
        }
      };
      for (const text of ['small', BIG, 'z'.repeat(1100), 'y'.repeat(900)]) {
        ws.send(`42${JSON.stringify(['message', text])}`);
        const m = await echo();
        assert.equal(m.text, `42${JSON.stringify(['message-back', text])}`);
        got.push(m.compressed);
      }
      return [open.compressed, ...got];
    };
    // open, 'small', 5000, 1100, 900 bytes
    assert.deepEqual(await check(server.url), [false, false, true, true, false]);
    // Node's ws applies the threshold only when the server gives up its
    // window (server_no_context_takeover); with it, the same messages.
    const offer = 'permessage-deflate; server_no_context_takeover; client_max_window_bits';
    const node = await nodeServer({ perMessageDeflate: { threshold: 1024 } });
    assert.deepEqual(await check(server.url, offer), await check(node, offer));
  }));

  it('socket.io-client 4.x over WebSocket negotiates it; binary and text echo intact', T,
    () => diag(server, async () => {
      const s = track(io(server.url, { path: PATH, forceNew: true, reconnection: false, transports: ['websocket'] }));
      await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error'] });
      assert.match(s.io.engine.transport.ws.extensions || '', /permessage-deflate/);
      const bin = Buffer.alloc(20000, 7);
      const reply = await withTimeout(new Promise((r) => s.emit('message-with-ack', BIG, bin, (...a) => r(a))), 5000, 'ack');
      assert.equal(reply[0], BIG);
      assert.deepEqual(Buffer.from(reply[1]), bin);
    }));

  for (const [what, payload, rsv1, code] of [
    ['data that is not deflate', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), true, 1007],
    ['a message that inflates past --max-payload (1 MB of zeros)',
      zlib.deflateRawSync(Buffer.alloc(1 << 21), { level: 9 }), true, 1009],
    ['an uncompressed text message that is not UTF-8', Buffer.from([0x34, 0xc3, 0x28]), false, 1007],
  ]) {
    it(`${what}: closed with ${code}, and the server goes on`, T, () => diag(server, async () => {
      const ws = await rawDeflateSocket(server);
      track(ws);
      await ws.message();
      ws.send(payload, rsv1);
      assert.equal(await ws.closeCode(), code);
      const s = track(io(server.url, { path: PATH, forceNew: true, reconnection: false, transports: ['websocket'] }));
      await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error'] });
    }));
  }

  it('a client that does not offer it gets plain frames', T, () => diag(server, async () => {
    const ws = await rawDeflateSocket(server, null);
    track(ws);
    assert.doesNotMatch(ws.head, /sec-websocket-extensions/i);
    await ws.message();
    ws.send('40');
    await ws.message();
    ws.send(`42${JSON.stringify(['message', BIG])}`);
    assert.equal((await ws.message()).compressed, false);
  }));
});

describe('permessage-deflate off by default', () => {
  const server = suiteServer('sio-echo', ['--path', PATH], closeAll);

  it('an offer is declined, as by Node by default', T, () => diag(server, async () => {
    const ws = await rawDeflateSocket(server);
    track(ws);
    assert.doesNotMatch(ws.head, /sec-websocket-extensions/i);
    const node = await rawDeflateSocket({ port: Number(new URL(await nodeServer({})).port) });
    track(node);
    assert.doesNotMatch(node.head, /sec-websocket-extensions/i);
  }));
});
