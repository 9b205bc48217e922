// The handshake's request as the application sees it (sio_request), with
// socket.io-client 4.x sending headers and cookies (extraHeaders), over
// polling and WebSocket. sio-echo's namespace /request refuses a socket
// whose x-api-key header is "bad" (header auth), and emits "request" with
// what it read: address, url, x-api-key, the cookie sid, user-agent,
// secure, time. Its allow_request refuses any handshake that carries an
// x-refuse header, with that header's value as the message. A header
// libwebsockets does not know by name is kept only when named
// (--keep-header): checked too.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { io } from 'socket.io-client';
import { startServer, stopChecked, diag, tracker, waitFor } from './support.mjs';

const T = { timeout: 20_000 };
const PATH = '/socket.io/';
const MODES = [
  { name: 'polling', opts: { transports: ['polling'] } },
  { name: 'websocket', opts: { transports: ['websocket'] } },
];

function connectTo(server, nsp, opts, track) {
  const s = io(server.url + nsp, { path: PATH, forceNew: true, reconnection: false, timeout: 5000, ...opts });
  track(s);
  return s;
}

/** The first "request" event's object, after the connection. */
async function requestSeen(s) {
  const seen = waitFor(s, 'request', 5000, { rejectOn: ['connect_error', 'disconnect'] });
  return seen;
}

/** A raw handshake GET; resolves with status and body. */
function handshake(server, headers) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.url}${PATH}?EIO=4&transport=polling`, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body, type: res.headers['content-type'] }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('no answer within 5 s')));
  });
}

describe('the handshake request (sio-echo /request)', () => {
  let plain, proxied;
  const { track, closeAll } = tracker((s) => s.disconnect());
  before(async () => {
    // x-api-key and x-refuse are not among the headers libwebsockets knows
    // by name: they are kept because they are named.
    plain = await startServer('sio-echo', ['--path', PATH, '--keep-header', 'x-api-key', '--keep-header', 'x-refuse']);
    proxied = await startServer('sio-echo', ['--path', PATH, '--keep-header', 'x-api-key',
      '--trust-proxy', '127.0.0.1', '--trust-proxy', '10.0.0.0/8']);
  });
  afterEach(closeAll);
  after(async () => {
    closeAll();
    await stopChecked(plain);
    await stopChecked(proxied);
  });

  for (const mode of MODES) {
    describe(mode.name, () => {
      it('headers and cookies reach the middleware and the socket', T, () => diag(plain, async () => {
        const before = Date.now();
        const s = connectTo(plain, '/request', {
          ...mode.opts,
          query: { room: 'a b' },
          extraHeaders: { 'x-api-key': 'key-1', cookie: 'theme=dark; sid="s-42"', 'user-agent': 'interop/1' },
        }, track);
        const r = await requestSeen(s);
        assert.equal(r.apiKey, 'key-1');
        assert.equal(r.sid, 's-42');
        assert.equal(r.userAgent, 'interop/1');
        assert.equal(r.address, '127.0.0.1');
        assert.equal(r.secure, false);
        assert.ok(r.time >= before - 1000 && r.time <= Date.now() + 1000, `time ${r.time}`);
        assert.match(r.url, /^\/socket\.io\/\?/);
        assert.match(r.url, /EIO=4/);
        assert.match(r.url, new RegExp(`transport=${mode.opts.transports[0]}`));
        assert.match(r.url, /room=a(%20|\+)b/);
      }));

      it('header auth refuses a bad key', T, () => diag(plain, async () => {
        const s = connectTo(plain, '/request', { ...mode.opts, extraHeaders: { 'x-api-key': 'bad' } }, track);
        const err = await waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] });
        assert.equal(err.message, 'bad key');
      }));

      it('X-Forwarded-For is ignored from an untrusted peer', T, () => diag(plain, async () => {
        const s = connectTo(plain, '/request', { ...mode.opts, extraHeaders: { 'x-forwarded-for': '203.0.113.7' } },
          track);
        assert.equal((await requestSeen(s)).address, '127.0.0.1');
      }));

      it('X-Forwarded-For names the client behind a trusted proxy', T, () => diag(proxied, async () => {
        const s = connectTo(proxied, '/request', {
          ...mode.opts, extraHeaders: { 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.1.2.3' },
        }, track);
        // 10.1.2.3 is a trusted hop; 203.0.113.7 is the first that is not.
        assert.equal((await requestSeen(s)).address, '203.0.113.7');
      }));

      it('allow_request refuses a handshake as the client sees it', T, () => diag(plain, async () => {
        const s = connectTo(plain, '/', { ...mode.opts, extraHeaders: { 'x-refuse': 'go away' } }, track);
        const err = await waitFor(s, 'connect_error', 5000, { rejectOn: ['connect'] });
        assert.equal(err.message, mode.name === 'polling' ? 'xhr poll error' : 'websocket error');
        if (mode.name === 'polling') assert.equal(err.description, 403);
        assert.equal(s.connected, false);
      }));
    });
  }

  it('a header not named in --keep-header is not kept', T, () => diag(proxied, async () => {
    // The proxied server keeps x-api-key only: x-refuse is not seen.
    const ok = await handshake(proxied, { 'x-refuse': 'go away' });
    assert.equal(ok.status, 200);
  }));

  it('allow_request: 403 {"code":4,"message"} with the refusal, JSON-escaped', T, () => diag(plain, async () => {
    const res = await handshake(plain, { 'x-refuse': 'not "you"' });
    assert.equal(res.status, 403);
    assert.match(res.type, /^application\/json/);
    assert.deepEqual(JSON.parse(res.body), { code: 4, message: 'not "you"' });
    const ok = await handshake(plain, {});
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^0\{/);
  }));
});
