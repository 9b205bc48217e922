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
// Raw requests go through node:http, which does not decompress, so the
// encoding on the wire is what is checked. Nothing sleeps to synchronise.

import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
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
