// HTTP edge cases of the server's request handling, seen from real Node
// clients: eio-echo, sio-echo and sio-server.
//
// - Keep-alive: after every complete exchange, error answers included, the
//   connection stays usable; when the server has to close it, its answer says
//   "Connection: close". Checked with Node's fetch (undici reuses idle
//   connections, so a connection the server dropped silently shows up as
//   "fetch failed" / "other side closed" on the next request) and with
//   http.request on a keep-alive Agent limited to one socket, where the
//   socket of every request is compared with the one before.
// - The Engine.IO error answers (codes 0, 1 and 5, and the 400 to an invalid
//   polling payload) on a connection that goes on being used.
// - Long query strings (a 2 KB and an 8 KB token) through socket.io-client
//   4.x on polling, on WebSocket and across the upgrade.
// - A second WebSocket for a session that is upgrading or has upgraded: the
//   server completes the WebSocket handshake and then closes that WebSocket;
//   a ws client without an 'error' listener must not get an error (it would
//   throw), the server must not crash and the session keeps working.
// - Request bodies sent with Transfer-Encoding: chunked.
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { Socket as EioSocket } from 'engine.io-client';
import { startServer, waitFor, withTimeout, collector, fmt, stopChecked, diag, tracker, suiteServer } from './support.mjs';

const T = { timeout: 20_000 }; // per test
const REQ_MS = 5000; // per HTTP request
const EIO_PATH = '/engine.io/';
const SIO_PATH = '/socket.io/';
const TOKEN = 'edge-token-0123456789';
const MAX_HTTP_BODY = 1000;
const ALLOWED = 'http://allowed.example';
const EVIL = 'http://evil.example';

// ---------------------------------------------------------------------------
// helpers

/** fetch with a deadline; the body is read whole (so the connection is free
 * for the next request). Resolves { status, headers, text }. A failed fetch
 * rejects with the cause (e.g. "other side closed") in the message. */
async function fetchText(url, init = {}) {
  const what = `${init.method || 'GET'} ${url.replace(/^http:\/\/[^/]+/, '')}`;
  try {
    return await withTimeout((async () => {
      const res = await fetch(url, init);
      const text = await res.text();
      return { status: res.status, headers: res.headers, text };
    })(), REQ_MS, what);
  } catch (err) {
    const cause = err.cause ? ` (cause: ${err.cause.code || ''} ${err.cause.message || err.cause})` : '';
    throw new Error(`${what}: ${err.message}${cause}`);
  }
}

/**
 * One request with node:http on `agent` (false: a connection of its own).
 * Resolves { status, headers, text, socket, reused }: `socket` is the
 * connection the request went on, `reused` whether the agent had used it
 * before. Rejects if the connection fails or the deadline passes.
 */
function request(port, agent, method, reqPath, { headers = {}, body } = {}) {
  const what = `${method} ${reqPath}`;
  return withTimeout(new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: reqPath, headers, agent }, (res) => {
      const socket = res.socket;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode,
        headers: res.headers,
        text: Buffer.concat(chunks).toString('utf8'),
        socket,
        reused: req.reusedSocket,
      }));
      res.on('error', (err) => reject(new Error(`${what}: response: ${err.message}`)));
    });
    req.on('error', (err) => reject(new Error(`${what}: ${err.code || ''} ${err.message}`)));
    req.end(body);
  }), REQ_MS, what);
}

function closes(res) {
  return /\bclose\b/i.test(res.headers.connection || '');
}

/** A JSON error answer: status and, when given, the Engine.IO error code. */
function assertError(res, status, code, what) {
  assert.equal(res.status, status, `${what}: status ${res.status}, body ${fmt(res.text)}`);
  if (code === undefined) return;
  let json;
  try { json = JSON.parse(res.text); } catch { assert.fail(`${what}: body is not JSON: ${fmt(res.text)}`); }
  assert.equal(json.code, code, `${what}: body ${fmt(res.text)}`);
  assert.equal(typeof json.message, 'string', `${what}: body ${fmt(res.text)}`);
}

/** The sid of an Engine.IO v4 polling handshake answer ("0{...}"). */
function sidOf(res, what = 'handshake') {
  assert.equal(res.status, 200, `${what}: status ${res.status}, body ${fmt(res.text)}`);
  assert.ok(res.text.startsWith('0{"sid":'), `${what}: body ${fmt(res.text)}`);
  const open = JSON.parse(res.text.slice(1));
  assert.equal(typeof open.sid, 'string');
  return open.sid;
}

/**
 * Runs `steps` in order on one keep-alive Agent with a single socket. Each
 * step is { name, method, path, headers, body, check(res) }. Between two
 * steps: when the first answer did not say Connection: close, the second
 * request must go on the same socket; when it did, on a new one (and it must
 * still succeed). Returns the results and the number of sockets used.
 */
async function runOnOneSocket(port, steps) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set();
  const results = [];
  let prev = null;
  try {
    for (const step of steps) {
      const what = step.name;
      let res;
      try {
        res = await request(port, agent, step.method || 'GET', step.path(results),
          { headers: step.headers, body: step.body });
      } catch (err) {
        const after = prev ? ` (after "${prev.step.name}", answered ${prev.res.status}` +
          `${closes(prev.res) ? ' with Connection: close' : ' without Connection: close'})` : '';
        throw new Error(`${what}: request failed${after}: ${err.message}`);
      }
      sockets.add(res.socket);
      if (prev) {
        if (closes(prev.res)) {
          assert.notEqual(res.socket, prev.res.socket, `${what}: reused a socket answered with Connection: close`);
          assert.equal(res.reused, false, `${what}: reusedSocket after Connection: close`);
        } else {
          assert.equal(res.socket, prev.res.socket,
            `${what}: not on the socket of "${prev.step.name}" (answered ${prev.res.status} without Connection: close)`);
          assert.equal(res.reused, true, `${what}: reusedSocket`);
        }
      }
      step.check(res, results);
      results.push(res);
      prev = { step, res };
    }
  } finally {
    agent.destroy();
  }
  return { results, sockets: sockets.size };
}

/** Opens a ws WebSocket and waits for 'open' (rejects on error/close first). */
async function wsOpen(url) {
  const ws = new WebSocket(url);
  ws.on('error', () => { /* reported through waitFor's rejectOn */ });
  const q = collector(ws, 'message');
  await waitFor(ws, 'open', 5000, { rejectOn: ['error', 'close'] });
  return { ws, q };
}

/** Next `n` text messages of a collector on a ws WebSocket, as strings. */
async function texts(q, n) {
  return (await q.take(n)).map((m) => m.toString('utf8'));
}

/**
 * Opens `new WebSocket(url)` with NO 'error' listener (an 'error' event would
 * throw) and resolves with the events it saw once it is closed:
 * { events: ['open', 'close', ...], code, reason, messages }.
 */
function extraWebSocket(url, ms = 5000) {
  const ws = new WebSocket(url);
  const events = [];
  const messages = [];
  ws.on('open', () => events.push('open'));
  ws.on('message', (m) => messages.push(m.toString('utf8')));
  ws.on('unexpected-response', (req, res) => {
    // With a listener here ws does not emit 'error' for a non-101 answer.
    events.push(`unexpected-response ${res.statusCode}`);
    req.destroy();
  });
  return withTimeout(new Promise((resolve) => {
    ws.on('close', (code, reason) => {
      events.push('close');
      resolve({ events, code, reason: reason.toString('utf8'), messages });
    });
  }), ms, 'the extra WebSocket to close').catch((err) => {
    ws.terminate();
    err.message += `; events so far: ${fmt(events)}`;
    throw err;
  });
}

// Clients opened by a test: closed after it whatever happened.
const { track, closeAll } = tracker((x) => {
  if (x instanceof WebSocket) x.terminate();
  else if (x instanceof EioSocket) x.close();
  else x.disconnect();
});

// ---------------------------------------------------------------------------

describe('eio-echo', () => {
  let server;
  let base;
  before(async () => {
    server = await startServer('eio-echo', ['--path', EIO_PATH]);
    base = `${server.url}${EIO_PATH}`;
  });
  afterEach(closeAll);
  after(async () => {
    closeAll();
    await stopChecked(server);
  });

  describe('keep-alive with fetch', () => {
    it('every handshake error is followed by a working request', T, () => diag(server, async () => {
      assertError(await fetchText(`${base}?transport=polling`), 400, 5, 'no EIO');
      sidOf(await fetchText(`${base}?EIO=4&transport=polling`), 'handshake after no EIO');
      assertError(await fetchText(`${base}?EIO=abc&transport=polling`), 400, 5, 'EIO=abc');
      sidOf(await fetchText(`${base}?EIO=4&transport=polling`), 'handshake after EIO=abc');
      assertError(await fetchText(`${base}?EIO=4&transport=abc`), 400, 0, 'transport=abc');
      sidOf(await fetchText(`${base}?EIO=4&transport=polling`), 'handshake after transport=abc');
      assertError(await fetchText(`${base}?EIO=4&transport=polling&sid=no-such-sid`), 400, 1, 'unknown sid');
      sidOf(await fetchText(`${base}?EIO=4&transport=polling`), 'handshake after unknown sid');
    }));

    it('POST then GET, an invalid POST, then the closed sid', T, () => diag(server, async () => {
      const sid = sidOf(await fetchText(`${base}?EIO=4&transport=polling`));
      const url = `${base}?EIO=4&transport=polling&sid=${sid}`;
      const post = await fetchText(url, { method: 'POST', body: '4hello', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
      assert.equal(post.status, 200, `POST: ${post.status} ${fmt(post.text)}`);
      assert.equal(post.text, 'ok');
      const poll = await fetchText(url);
      assert.equal(poll.status, 200);
      assert.equal(poll.text, '4hello');

      // "abc" is no Engine.IO payload: the session is closed with a 400...
      const bad = await fetchText(url, { method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain;charset=UTF-8' } });
      assertError(bad, 400, undefined, 'invalid payload');
      // ...and its sid is unknown from then on.
      assertError(await fetchText(url), 400, 1, 'poll on the closed sid');
      const again = sidOf(await fetchText(`${base}?EIO=4&transport=polling`), 'handshake after the closed sid');
      assert.notEqual(again, sid);
      const post2 = await fetchText(`${base}?EIO=4&transport=polling&sid=${again}`, { method: 'POST', body: '4x' });
      assert.equal(post2.status, 200);
      assert.equal((await fetchText(`${base}?EIO=4&transport=polling&sid=${again}`)).text, '4x');
    }));
  });

  describe('keep-alive with http.Agent (one socket)', () => {
    it('error answers keep the connection; Connection: close ends it and the next request works',
      T, () => diag(server, async () => {
        const P = EIO_PATH;
        const handshake = (name) => ({
          name, path: () => `${P}?EIO=4&transport=polling`, check: (r) => sidOf(r, name),
        });
        const sidUrl = (results, i) => `${P}?EIO=4&transport=polling&sid=${JSON.parse(results[i].text.slice(1)).sid}`;
        const { results, sockets } = await runOnOneSocket(server.port, [
          { name: 'no EIO', path: () => `${P}?transport=polling`, check: (r) => assertError(r, 400, 5, 'no EIO') },
          handshake('handshake 1'), // results[1]
          { name: 'EIO=abc', path: () => `${P}?EIO=abc&transport=polling`, check: (r) => assertError(r, 400, 5, 'EIO=abc') },
          { name: 'transport=abc', path: () => `${P}?EIO=4&transport=abc`, check: (r) => assertError(r, 400, 0, 'transport=abc') },
          { name: 'unknown sid', path: () => `${P}?EIO=4&transport=polling&sid=nope`, check: (r) => assertError(r, 400, 1, 'unknown sid') },
          { name: 'POST 4hello', method: 'POST', body: '4hello', headers: { 'content-type': 'text/plain;charset=UTF-8' },
            path: (res) => sidUrl(res, 1), check: (r) => { assert.equal(r.status, 200); assert.equal(r.text, 'ok'); } },
          { name: 'poll', path: (res) => sidUrl(res, 1), check: (r) => { assert.equal(r.status, 200); assert.equal(r.text, '4hello'); } },
          { name: 'POST abc', method: 'POST', body: 'abc', headers: { 'content-type': 'text/plain;charset=UTF-8' },
            path: (res) => sidUrl(res, 1), check: (r) => assertError(r, 400, undefined, 'POST abc') },
          { name: 'poll on the closed sid', path: (res) => sidUrl(res, 1), check: (r) => assertError(r, 400, 1, 'closed sid') },
          // An error answer to a request that asks to close.
          { name: 'no EIO with Connection: close', headers: { connection: 'close' }, path: () => `${P}?transport=polling`,
            check: (r) => {
              assertError(r, 400, 5, 'no EIO, Connection: close');
              assert.ok(closes(r), `no Connection: close in the answer: ${fmt(r.headers)}`);
            } },
          handshake('handshake 2'),
          // A successful answer to a request that asks to close.
          { name: 'handshake with Connection: close', headers: { connection: 'close' }, path: () => `${P}?EIO=4&transport=polling`,
            check: (r) => {
              sidOf(r, 'handshake, Connection: close');
              assert.ok(closes(r), `no Connection: close in the answer: ${fmt(r.headers)}`);
            } },
          handshake('handshake 3'),
        ]);
        assert.equal(results.length, 13);
        assert.equal(sockets, 3, 'sockets used: one, then a new one after each Connection: close');
      }));

    it('the server closes the connection after answering Connection: close', T, () => diag(server, async () => {
      // Raw TCP: Node's client would close the socket itself, so only the
      // server's FIN proves that the server closed it.
      const sock = net.connect({ host: '127.0.0.1', port: server.port });
      sock.on('error', () => { /* reported by the waits below */ });
      try {
        await waitFor(sock, 'connect', 5000, { rejectOn: ['error'] });
        const chunks = [];
        sock.on('data', (c) => chunks.push(c));
        const ended = waitFor(sock, 'end', 5000, { rejectOn: ['error'] });
        sock.write(`GET ${EIO_PATH}?EIO=4&transport=polling HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
          'Connection: close\r\n\r\n');
        await ended.catch((err) => {
          throw new Error(`${err.message}; received: ${fmt(Buffer.concat(chunks).toString('latin1'))}`);
        });
        const text = Buffer.concat(chunks).toString('latin1');
        const head = text.slice(0, text.indexOf('\r\n\r\n'));
        assert.match(head, /^HTTP\/1\.1 200 /, text);
        assert.match(head, /\r\nconnection: *close\r?$/im, text);
        assert.ok(text.slice(head.length + 4).startsWith('0{"sid":'), text);
      } finally {
        sock.destroy();
      }
    }));
  });

  describe('a second WebSocket for the same session', () => {
    const wsUrl = (sid) => `ws://127.0.0.1:${server.port}${EIO_PATH}?EIO=4&transport=websocket&sid=${sid}`;

    it('while the session is upgrading: opened, then closed; the upgrade completes', T, () => diag(server, async () => {
      const sid = sidOf(await fetchText(`${base}?EIO=4&transport=polling`));
      const first = await wsOpen(wsUrl(sid));
      track(first.ws);
      first.ws.send('2probe');
      assert.deepEqual(await texts(first.q, 1), ['3probe']);

      const extra = await extraWebSocket(wsUrl(sid));
      // A close frame with no status (1005), as Node's websocket.close() sends.
      assert.equal(extra.code, 1005, `extra WebSocket close code: ${fmt(extra)}`);
      assert.deepEqual(extra.events, ['open', 'close'],
        `extra WebSocket: ${fmt(extra)} (the server must answer 101 and then close it)`);
      assert.deepEqual(extra.messages, [], `the extra WebSocket got Engine.IO packets: ${fmt(extra.messages)}`);
      assert.equal(server.proc.exitCode, null, 'server exited');

      first.ws.send('5');
      first.ws.send('4hello');
      assert.deepEqual(await texts(first.q, 1), ['4hello']);
      // The polling side is done: the sid does not poll any more.
      const poll = await fetchText(`${base}?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(poll.status, 400, `poll after the upgrade: ${poll.status} ${fmt(poll.text)}`);
      first.ws.send('4again');
      assert.deepEqual(await texts(first.q, 1), ['4again']);
    }));

    it('after the upgrade (engine.io-client): opened, then closed; the session still echoes',
      T, () => diag(server, async () => {
        const s = track(new EioSocket(server.url, {
          path: EIO_PATH, transports: ['polling', 'websocket'], upgrade: true,
        }));
        const q = collector(s, 'message');
        await waitFor(s, 'open', 5000, { rejectOn: ['error', 'close'] });
        if (s.transport.name !== 'websocket') {
          await waitFor(s, 'upgrade', 5000, { rejectOn: ['error', 'close', 'upgradeError'] });
        }
        assert.equal(s.transport.name, 'websocket');
        const closed = [];
        s.on('close', (reason) => closed.push(reason));

        for (let i = 0; i < 2; i++) {
          const extra = await extraWebSocket(wsUrl(s.id));
          // A close frame with no status (1005), as Node's websocket.close() sends.
          assert.equal(extra.code, 1005, `extra WebSocket close code: ${fmt(extra)}`);
          assert.deepEqual(extra.events, ['open', 'close'], `extra WebSocket ${i + 1}: ${fmt(extra)}`);
          assert.deepEqual(extra.messages, [], `extra WebSocket ${i + 1} got Engine.IO packets`);
        }
        assert.equal(server.proc.exitCode, null, 'server exited');

        s.send('hello');
        assert.deepEqual(await q.take(1), ['hello']);
        assert.deepEqual(closed, [], 'the upgraded session was closed');
      }));

    it('of a session opened on WebSocket: opened, then closed; the session still echoes', T, () => diag(server, async () => {
      const first = await wsOpen(`ws://127.0.0.1:${server.port}${EIO_PATH}?EIO=4&transport=websocket`);
      track(first.ws);
      const [open] = await texts(first.q, 1);
      assert.ok(open.startsWith('0{"sid":'), open);
      const sid = JSON.parse(open.slice(1)).sid;

      const extra = await extraWebSocket(wsUrl(sid));
      // A close frame with no status (1005), as Node's websocket.close() sends.
      assert.equal(extra.code, 1005, `extra WebSocket close code: ${fmt(extra)}`);
      assert.deepEqual(extra.events, ['open', 'close'], `extra WebSocket: ${fmt(extra)}`);
      assert.equal(server.proc.exitCode, null, 'server exited');

      first.ws.send('4hello');
      assert.deepEqual(await texts(first.q, 1), ['4hello']);
    }));
  });

  describe('chunked request bodies', () => {
    /** POST `pieces` with Transfer-Encoding: chunked, each write after the
     * previous one was handed to the socket. */
    function chunkedPost(reqPath, pieces, agent = false) {
      const what = `chunked POST ${reqPath}`;
      return withTimeout(new Promise((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1', port: server.port, method: 'POST', path: reqPath, agent,
          headers: { 'content-type': 'text/plain;charset=UTF-8', 'transfer-encoding': 'chunked' },
        }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({
            status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString('utf8'), socket: res.socket,
          }));
        });
        req.on('error', (err) => reject(new Error(`${what}: ${err.code || ''} ${err.message}`)));
        assert.equal(req.getHeader('content-length'), undefined);
        const next = (i) => {
          if (i === pieces.length) { req.end(); return; }
          req.write(pieces[i], () => next(i + 1));
        };
        next(0);
      }), REQ_MS, what);
    }

    it('a chunked POST is read whole: 200 ok with Connection: close, echoed on the next poll',
      T, () => diag(server, async () => {
        const sid = sidOf(await fetchText(`${base}?EIO=4&transport=polling`));
        const url = `${EIO_PATH}?EIO=4&transport=polling&sid=${sid}`;
        const res = await chunkedPost(url, ['4hel', 'lo\x1e4wö', 'rld']);
        assert.equal(res.status, 200, `chunked POST: ${res.status} ${fmt(res.text)}`);
        assert.equal(res.text, 'ok');
        assert.ok(closes(res), `no Connection: close in the answer: ${fmt(res.headers)}`);
        const poll = await request(server.port, false, 'GET', url);
        assert.equal(poll.status, 200);
        assert.equal(poll.text, '4hello\x1e4wörld');
      }));

    it('on a keep-alive agent: the request after the chunked POST goes on a new socket and works',
      T, () => diag(server, async () => {
        const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
        try {
          const hs = await request(server.port, agent, 'GET', `${EIO_PATH}?EIO=4&transport=polling`);
          const url = `${EIO_PATH}?EIO=4&transport=polling&sid=${sidOf(hs)}`;
          const res = await chunkedPost(url, ['4a', 'bc'], agent);
          assert.equal(res.status, 200);
          assert.equal(res.text, 'ok');
          assert.equal(res.socket, hs.socket, 'the chunked POST did not reuse the idle socket');
          assert.ok(closes(res), `no Connection: close in the answer: ${fmt(res.headers)}`);
          const poll = await request(server.port, agent, 'GET', url);
          assert.notEqual(poll.socket, res.socket);
          assert.equal(poll.status, 200);
          assert.equal(poll.text, '4abc');
          // An empty chunked body is no payload: refused, the session closed.
          const empty = await chunkedPost(url, [], agent);
          assert.equal(empty.status, 400, `empty chunked POST: ${empty.status} ${fmt(empty.text)}`);
          const after = await request(server.port, agent, 'GET', `${EIO_PATH}?EIO=4&transport=polling`);
          sidOf(after, 'handshake after the empty chunked POST');
        } finally {
          agent.destroy();
        }
      }));
  });
});

// ---------------------------------------------------------------------------

describe('sio-server', () => {
  let server;
  before(async () => {
    server = await startServer('sio-server', [
      '--api-token', TOKEN, '--max-http-body', String(MAX_HTTP_BODY), '--cors-origin', ALLOWED,
    ]);
  });
  after(async () => {
    await stopChecked(server);
  });

  const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const emitBody = JSON.stringify({ event: 'x', rooms: ['r'] });
  const bigBody = JSON.stringify({ event: 'x', rooms: ['r'], data: 'a'.repeat(2 * MAX_HTTP_BODY) });

  function assertRecipients(res, what) {
    assert.equal(res.status, 200, `${what}: ${res.status} ${fmt(res.text)}`);
    assert.deepEqual(JSON.parse(res.text), { recipients: 0 }, what);
  }

  it('fetch: every error answer is followed by a working request', T, () => diag(server, async () => {
    const u = server.url;
    const poll = `${u}${SIO_PATH}?EIO=4&transport=polling`;

    const missing = await fetchText(`${u}/no-such-file`);
    assert.equal(missing.status, 404, `static 404: ${missing.status}`);
    const index = await fetchText(`${u}/`);
    assert.equal(index.status, 200);
    assert.match(index.text, /<html|<!doctype/i);

    assertError(await fetchText(poll, { headers: { origin: EVIL } }), 403, 4, 'refused origin');
    const sid = sidOf(await fetchText(poll, { headers: { origin: ALLOWED } }), 'handshake after 403');
    assertError(await fetchText(`${u}${SIO_PATH}?EIO=4&transport=polling&sid=${sid}`,
      { method: 'POST', body: '40', headers: { origin: EVIL } }), 403, 4, 'refused origin on a POST with a body');

    // POST then GET: the namespace connection is answered on the next poll.
    const sidUrl = `${u}${SIO_PATH}?EIO=4&transport=polling&sid=${sid}`;
    const post = await fetchText(sidUrl, { method: 'POST', body: '40' });
    assert.equal(post.status, 200, `POST 40: ${post.status} ${fmt(post.text)}`);
    assert.equal(post.text, 'ok');
    const connect = await fetchText(sidUrl);
    assert.equal(connect.status, 200);
    assert.ok(connect.text.startsWith('40{"sid":'), fmt(connect.text));

    const noToken = await fetchText(`${u}/api/emit`, { method: 'POST', body: emitBody, headers: { 'content-type': 'application/json' } });
    assert.equal(noToken.status, 401, `no token: ${noToken.status} ${fmt(noToken.text)}`);
    assertRecipients(await fetchText(`${u}/api/emit`, { method: 'POST', body: emitBody, headers: auth }), 'emit after 401');

    const badJson = await fetchText(`${u}/api/emit`, { method: 'POST', body: '{"event":', headers: auth });
    assert.equal(badJson.status, 400, `bad JSON: ${badJson.status} ${fmt(badJson.text)}`);
    assertRecipients(await fetchText(`${u}/api/emit`, { method: 'POST', body: emitBody, headers: auth }), 'emit after 400');

    const tooBig = await fetchText(`${u}/api/emit`, { method: 'POST', body: bigBody, headers: auth });
    assert.equal(tooBig.status, 413, `body over --max-http-body: ${tooBig.status} ${fmt(tooBig.text)}`);
    assertRecipients(await fetchText(`${u}/api/emit`, { method: 'POST', body: emitBody, headers: auth }), 'emit after 413');

    const missing2 = await fetchText(`${u}/no-such-file`);
    assert.equal(missing2.status, 404);
    sidOf(await fetchText(poll), 'handshake after the last 404');
  }));

  it('http.Agent: error answers keep the socket, 413 and Connection: close end it', T, () => diag(server, async () => {
    const status = (n) => (r) => assert.equal(r.status, n, `status ${r.status}, body ${fmt(r.text)}`);
    const recipients = (r) => assertRecipients(r, 'emit');
    const handshakeStep = (name, headers) => ({
      name, headers, path: () => `${SIO_PATH}?EIO=4&transport=polling`, check: (r) => sidOf(r, name),
    });
    const sidPath = (results) => `${SIO_PATH}?EIO=4&transport=polling&sid=${JSON.parse(results[3].text.slice(1)).sid}`;
    const { sockets } = await runOnOneSocket(server.port, [
      { name: 'static 404', path: () => '/no-such-file', check: status(404) },
      { name: 'index', path: () => '/', check: status(200) },
      { name: 'origin 403', headers: { origin: EVIL }, path: () => `${SIO_PATH}?EIO=4&transport=polling`,
        check: (r) => assertError(r, 403, 4, 'origin 403') },
      handshakeStep('handshake', { origin: ALLOWED }), // results[3]
      { name: 'origin 403 on a POST with a body', method: 'POST', body: '40', headers: { origin: EVIL },
        path: sidPath, check: (r) => assertError(r, 403, 4, 'origin 403 POST') },
      { name: 'POST 40', method: 'POST', body: '40', headers: { 'content-type': 'text/plain;charset=UTF-8' },
        path: sidPath, check: (r) => { status(200)(r); assert.equal(r.text, 'ok'); } },
      { name: 'poll', path: sidPath, check: (r) => { status(200)(r); assert.ok(r.text.startsWith('40{"sid":'), fmt(r.text)); } },
      { name: 'emit without token', method: 'POST', body: emitBody, headers: { 'content-type': 'application/json' },
        path: () => '/api/emit', check: status(401) },
      { name: 'emit with a wrong token', method: 'POST', body: emitBody, headers: { ...auth, authorization: 'Bearer nope' },
        path: () => '/api/emit', check: status(401) },
      { name: 'emit', method: 'POST', body: emitBody, headers: auth, path: () => '/api/emit', check: recipients },
      { name: 'emit bad JSON', method: 'POST', body: 'not json', headers: auth, path: () => '/api/emit', check: status(400) },
      { name: 'emit after 400', method: 'POST', body: emitBody, headers: auth, path: () => '/api/emit', check: recipients },
      { name: 'emit too big', method: 'POST', body: bigBody, headers: auth, path: () => '/api/emit',
        check: (r) => {
          status(413)(r);
          assert.ok(closes(r), `413 without Connection: close: ${fmt(r.headers)}`);
        } },
      { name: 'emit after 413', method: 'POST', body: emitBody, headers: auth, path: () => '/api/emit', check: recipients },
      { name: 'static 404 with Connection: close', headers: { connection: 'close' }, path: () => '/no-such-file',
        check: (r) => {
          status(404)(r);
          assert.ok(closes(r), `no Connection: close in the answer: ${fmt(r.headers)}`);
        } },
      { name: 'index after Connection: close', path: () => '/', check: status(200) },
      { name: 'static 404 again', path: () => '/no-such-file', check: status(404) },
      handshakeStep('last handshake'),
    ]);
    assert.equal(sockets, 3, 'sockets used: one, then a new one after the 413 and after Connection: close');
  }));
});

// ---------------------------------------------------------------------------

describe('sio-echo: long query strings (socket.io-client 4.x)', () => {
  const server = suiteServer('sio-echo', ['--path', SIO_PATH], closeAll);

  const MODES = [
    { name: 'polling', opts: { transports: ['polling'], upgrade: false }, final: 'polling' },
    { name: 'websocket', opts: { transports: ['websocket'] }, final: 'websocket' },
    { name: 'polling then upgrade', opts: { transports: ['polling', 'websocket'], upgrade: true }, final: 'websocket' },
  ];

  for (const size of [2048, 8192]) {
    for (const mode of MODES) {
      it(`a ${size}-byte query token over ${mode.name}: connects and echoes`, T, () => diag(server, async () => {
        const token = 'a'.repeat(size);
        const s = track(io(server.url, {
          path: SIO_PATH, forceNew: true, reconnection: false, timeout: 5000, query: { token }, ...mode.opts,
        }));
        const auths = new EventEmitter();
        s.on('auth', (a) => auths.emit('auth', a));
        const gotAuth = waitFor(auths, 'auth', 5000);
        await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'disconnect'] });
        assert.deepEqual(await gotAuth, {});

        const engine = s.io.engine;
        if (mode.final === 'websocket' && engine.transport.name !== 'websocket') {
          await waitFor(engine, 'upgrade', 5000, { rejectOn: ['close', 'upgradeError'] });
        }
        assert.equal(engine.transport.name, mode.final);
        assert.equal(engine.transport.query.token, token, 'the token is not in the transport query');

        const back = new EventEmitter();
        s.on('message-back', (...args) => back.emit('args', args));
        const got = waitFor(back, 'args', 5000);
        s.emit('message', 'hello', { n: size });
        assert.deepEqual(await got, ['hello', { n: size }]);
        assert.ok(s.connected);
      }));
    }
  }
});
