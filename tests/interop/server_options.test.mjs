// The server options that decide who may connect, seen from the real
// clients (socket.io-client 4.8 and 2.5, ws) and from raw HTTP requests,
// against sio-echo:
//
// - --transports websocket: a client with transports ["websocket"] connects;
//   a polling client is refused (400 {"code":0,"message":"Transport unknown"},
//   "xhr poll error" for the client).
// - --transports polling: a default client connects and stays on polling (no
//   upgrade is offered); a WebSocket is refused with the same JSON answer.
// - --cors-origin with a pattern (https://*.example.com): a matching Origin
//   is allowed and answered with that origin; others (another depth, the
//   bare domain, a look-alike suffix, another scheme or port) get 403.
// - --no-eio3: socket.io-client 2.x gets 400 {"code":5,...} and a
//   connect_error; 4.x is unaffected.
// - --no-upgrades: the handshake offers no upgrade, a 4.x client stays on
//   polling, and a WebSocket for the session is closed without a probe
//   answer while the session goes on.
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startServer, waitFor, withTimeout, fmt, stopChecked, diag, tracker, suiteServer } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const T = { timeout: 20_000 }; // per test
const REQ_MS = 5000; // per HTTP request
const PATH = '/socket.io/';
const TRANSPORT_UNKNOWN = { code: 0, message: 'Transport unknown' };
const UNSUPPORTED = { code: 5, message: 'Unsupported protocol version' };

// ---------------------------------------------------------------------------
// helpers

const { track, closeAll } = tracker((x) => (x.disconnect ? x.disconnect() : x.terminate()));

function client(server, opts = {}) {
  return track(io(server.url, { path: PATH, forceNew: true, reconnection: false, timeout: 5000, ...opts }));
}

/** fetch with a deadline, the body read whole. Resolves { status, headers, text }. */
async function fetchText(url, init = {}) {
  return withTimeout((async () => {
    const res = await fetch(url, init);
    return { status: res.status, headers: res.headers, text: await res.text() };
  })(), REQ_MS, `${init.method || 'GET'} ${url}`);
}

function handshakeUrl(server, query = 'EIO=4&transport=polling') {
  return `${server.url}${PATH}?${query}`;
}

function assertJsonError(r, status, body, what) {
  assert.equal(r.status, status, `${what}: status ${r.status} ${fmt(r.text)}`);
  assert.deepEqual(JSON.parse(r.text), body, `${what}: body`);
}

/** The open packet of a polling handshake answer ("0{...}"), parsed. */
function openPacket(r) {
  assert.equal(r.status, 200, `handshake: ${r.status} ${fmt(r.text)}`);
  assert.match(r.text, /^0\{/);
  return JSON.parse(r.text.slice(1));
}

/**
 * A raw WebSocket to the Engine.IO path. Resolves { opened, status, body }:
 * opened when the handshake completed, else the refusal's status and body.
 */
function rawWebSocket(server, query, headers = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = track(new WebSocket(`ws://127.0.0.1:${server.port}${PATH}?${query}`, { headers }));
    ws.on('open', () => resolve({ opened: true, ws }));
    ws.on('unexpected-response', (req, res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        opened: false,
        status: res.statusCode,
        contentType: res.headers['content-type'],
        body: Buffer.concat(chunks).toString('utf8'),
      }));
      res.on('error', reject);
    });
    ws.on('error', () => { /* reported through 'unexpected-response' or 'close' */ });
  }), REQ_MS, `WebSocket ?${query}`);
}

/** Emits "message-with-ack" and resolves with the acknowledgement's arguments. */
function echoAck(socket, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit('message-with-ack', ...args, (...back) => resolve(back))),
    5000, 'message-with-ack');
}

async function connected(socket) {
  await waitFor(socket, 'connect', 5000, { rejectOn: ['connect_error', 'disconnect'] });
  return socket;
}

// ---------------------------------------------------------------------------

describe('transports: websocket only', () => {
  const server = suiteServer('sio-echo', ['--transports', 'websocket'], closeAll);

  it('a client with transports ["websocket"] connects, and events and acks flow', T, () => diag(server, async () => {
    const s = await connected(client(server, { transports: ['websocket'] }));
    assert.equal(s.io.engine.transport.name, 'websocket');
    assert.deepEqual(await echoAck(s, 'hello', { n: 1 }), ['hello', { n: 1 }]);
  }));

  it('a polling client is refused: 400 "Transport unknown", connect_error "xhr poll error"', T, () => diag(server, async () => {
    assertJsonError(await fetchText(handshakeUrl(server)), 400, TRANSPORT_UNKNOWN, 'polling handshake');
    assertJsonError(await fetchText(handshakeUrl(server, 'EIO=3&transport=polling')), 400, TRANSPORT_UNKNOWN,
      'v3 polling handshake');
    const s = client(server, { transports: ['polling'] });
    const err = await waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] });
    assert.equal(err.message, 'xhr poll error');
    assert.equal(err.description, 400);
    // The default client (polling first) is refused the same way.
    const d = client(server);
    const err2 = await waitFor(d, 'connect_error', 5000, { rejectOn: ['connect'] });
    assert.equal(err2.message, 'xhr poll error');
  }));
});

describe('transports: polling only', () => {
  const server = suiteServer('sio-echo', ['--transports', 'polling'], closeAll);

  it('the handshake offers no upgrade; a default client connects and stays on polling', T, () => diag(server, async () => {
    assert.deepEqual(openPacket(await fetchText(handshakeUrl(server))).upgrades, []);
    const s = client(server);
    let upgraded = false;
    s.io.on('open', () => s.io.engine.on('upgrade', () => { upgraded = true; }));
    await connected(s);
    for (let i = 0; i < 3; i++) assert.deepEqual(await echoAck(s, i), [i]);
    assert.equal(s.io.engine.transport.name, 'polling');
    assert.equal(upgraded, false);
  }));

  it('a WebSocket is refused with the JSON "Transport unknown"', T, () => diag(server, async () => {
    const r = await rawWebSocket(server, 'EIO=4&transport=websocket');
    assert.equal(r.opened, false);
    assert.equal(r.status, 400);
    assert.match(r.contentType, /application\/json/);
    assert.deepEqual(JSON.parse(r.body), TRANSPORT_UNKNOWN);
    const s = client(server, { transports: ['websocket'] });
    const err = await waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] });
    assert.equal(err.message, 'websocket error');
  }));
});

describe('origin patterns', () => {
  let server;
  before(async () => {
    server = await startServer('sio-echo', ['--cors-origin', 'https://*.example.com',
      '--cors-origin', 'http://app.example']);
  });
  after(async () => { await stopChecked(server); });
  afterEach(closeAll);

  const allowed = ['https://a.example.com', 'https://chat-2.example.com', 'http://app.example'];
  const refused = ['https://a.b.example.com', 'https://example.com', 'https://example.com.evil.net',
    'https://a.example.com.evil.net', 'https://evilexample.com', 'http://a.example.com',
    'https://a.example.com:8443', 'null'];

  it('a matching Origin is allowed and answered with that origin', T, () => diag(server, async () => {
    for (const origin of allowed) {
      const r = await fetchText(handshakeUrl(server), { headers: { origin } });
      const open = openPacket(r);
      assert.equal(r.headers.get('access-control-allow-origin'), origin, origin);
      // The session's next requests carry the same origin.
      const post = await fetchText(handshakeUrl(server, `EIO=4&transport=polling&sid=${open.sid}`),
        { method: 'POST', body: '40', headers: { origin, 'content-type': 'text/plain;charset=UTF-8' } });
      assert.equal(post.status, 200, `${origin} POST: ${post.status} ${fmt(post.text)}`);
      assert.equal(post.headers.get('access-control-allow-origin'), origin);
      const ws = await rawWebSocket(server, 'EIO=4&transport=websocket', { origin });
      assert.equal(ws.opened, true, `${origin} WebSocket: ${ws.status} ${fmt(ws.body)}`);
      ws.ws.terminate();
    }
  }));

  it('another Origin is refused: 403 Forbidden, and its WebSocket 400', T, () => diag(server, async () => {
    for (const origin of refused) {
      const r = await fetchText(handshakeUrl(server), { headers: { origin } });
      assertJsonError(r, 403, { code: 4, message: 'Forbidden' }, origin);
      assert.equal(r.headers.get('access-control-allow-origin'), null, origin);
      const ws = await rawWebSocket(server, 'EIO=4&transport=websocket', { origin });
      assert.equal(ws.opened, false, `${origin} WebSocket opened`);
      assert.equal(ws.status, 400, origin);
    }
    // A preflight from a matching origin passes, from another it does not.
    const ok = await fetchText(handshakeUrl(server), { method: 'OPTIONS',
      headers: { origin: 'https://a.example.com', 'access-control-request-method': 'POST' } });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get('access-control-allow-origin'), 'https://a.example.com');
    const no = await fetchText(handshakeUrl(server), { method: 'OPTIONS',
      headers: { origin: 'https://example.com.evil.net', 'access-control-request-method': 'POST' } });
    assert.equal(no.status, 403);
  }));

  it('a socket.io client sending a matching Origin connects; another is refused', T, () => diag(server, async () => {
    const good = await connected(client(server, { extraHeaders: { origin: 'https://a.example.com' } }));
    assert.deepEqual(await echoAck(good, 'ok'), ['ok']);
    const bad = client(server, { extraHeaders: { origin: 'https://example.com.evil.net' } });
    const err = await waitFor(bad, 'connect_error', 5000, { rejectOn: ['connect'] });
    assert.equal(err.message, 'xhr poll error');
    assert.equal(err.description, 403);
  }));
});

describe('allowEIO3 off', () => {
  const server = suiteServer('sio-echo', ['--no-eio3'], closeAll);

  it('socket.io-client 2.x is refused: 400 {"code":5,...} and a connect_error', T, () => diag(server, async () => {
    assertJsonError(await fetchText(handshakeUrl(server, 'EIO=3&transport=polling')), 400, UNSUPPORTED,
      'v3 handshake');
    assertJsonError(await fetchText(handshakeUrl(server, 'EIO=3&transport=polling&b64=1')), 400, UNSUPPORTED,
      'v3 handshake, b64');
    const s = track(io2(server.url, { path: PATH, forceNew: true, reconnection: false, timeout: 5000 }));
    const err = await waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] });
    assert.equal(err.message, 'xhr poll error');
    assert.equal(err.description, 400);
    // Over WebSocket too.
    const w = track(io2(server.url, { path: PATH, forceNew: true, reconnection: false, timeout: 5000,
      transports: ['websocket'] }));
    await waitFor(w, 'connect_error', 5000, { rejectOn: ['connect'] });
    const r = await rawWebSocket(server, 'EIO=3&transport=websocket');
    assert.equal(r.opened, false);
    assert.equal(r.status, 400);
    assert.equal(r.body, 'Unsupported protocol version');
  }));

  it('socket.io-client 4.x connects as before', T, () => diag(server, async () => {
    const s = await connected(client(server));
    assert.deepEqual(await echoAck(s, 4), [4]);
  }));
});

describe('allowUpgrades off', () => {
  const server = suiteServer('sio-echo', ['--no-upgrades'], closeAll);

  it('the handshake offers no upgrade and a 4.x client stays on polling', T, () => diag(server, async () => {
    assert.deepEqual(openPacket(await fetchText(handshakeUrl(server))).upgrades, []);
    const s = client(server);
    let upgrading = false;
    s.io.on('open', () => {
      s.io.engine.on('upgrading', () => { upgrading = true; });
      s.io.engine.on('upgrade', () => { upgrading = true; });
    });
    await connected(s);
    for (let i = 0; i < 3; i++) assert.deepEqual(await echoAck(s, `m${i}`), [`m${i}`]);
    assert.equal(s.io.engine.transport.name, 'polling');
    assert.equal(upgrading, false);
    // A client that asks for WebSocket alone still gets it.
    const w = await connected(client(server, { transports: ['websocket'] }));
    assert.equal(w.io.engine.transport.name, 'websocket');
  }));

  it('a WebSocket for a polling session is closed without a probe answer; the session goes on', T, () => diag(server, async () => {
    const open = openPacket(await fetchText(handshakeUrl(server)));
    const poll = handshakeUrl(server, `EIO=4&transport=polling&sid=${open.sid}`);
    const r = await rawWebSocket(server, `EIO=4&transport=websocket&sid=${open.sid}`);
    assert.equal(r.opened, true, `WebSocket: ${r.status} ${fmt(r.body)}`);
    const frames = [];
    r.ws.on('message', (m) => frames.push(m.toString()));
    const closed = waitFor(r.ws, 'close', 5000);
    r.ws.send('2probe');
    await closed;
    assert.deepEqual(frames, [], 'nothing on the refused WebSocket');
    // The session still polls: a CONNECT, then its answer.
    const post = await fetchText(poll, { method: 'POST', body: '40' });
    assert.equal(post.status, 200, `POST: ${post.status} ${fmt(post.text)}`);
    const got = await fetchText(poll);
    assert.equal(got.status, 200);
    assert.match(got.text, /^40\{"sid":/);
  }));
});
