// What sio-server's log says, read as an operator's log shipper reads it:
// sio-server runs with --log-format json (and --log-level debug, to see
// every line there is), a scripted scenario runs against it with the real
// socket.io-client 4.x and 2.x over polling, WebSocket and polling then
// upgrade, and every line of its stderr must parse as one JSON object with
// time, level and msg; the records of the scenario are checked field by
// field:
//   - one "connect" and one "disconnect" per socket, with the address, the
//     transport (at the disconnection: the one it had then), the Engine.IO
//     protocol (4 for 4.x, 3 for 2.x), the namespace, the socket id, the
//     Engine.IO sid, the duration and the reason: disconnected by the
//     client, by its transport closing, by the server shutting down;
//   - a refused namespace, refused handshakes and a connection over
//     --max-connections, with their reasons and levels;
//   - a page load (GET / and GET /favicon.ico) says nothing at info or
//     above; the 404 of the favicon is one debug line;
//   - an unknown event is one line, with or without an ack;
//   - libwebsockets' own lines come in the same format, marked with
//     "source":"libwebsockets", with no timestamp of their own.
// Nothing sleeps: every wait is for a line (or an event) with a deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { io as io4 } from 'socket.io-client';
import { startServer, stopChecked, waitFor, withTimeout, tracker, diag, makeCert } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const T = { timeout: 30_000 };
const LEVELS = ['error', 'warn', 'info', 'debug'];
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const MODES = [
  { name: 'polling', opts: { transports: ['polling'], upgrade: false }, first: 'polling', last: 'polling' },
  { name: 'websocket', opts: { transports: ['websocket'] }, first: 'websocket', last: 'websocket' },
  { name: 'upgrade', opts: { transports: ['polling', 'websocket'], upgrade: true }, first: 'polling', last: 'websocket' },
];
const CLIENTS = [
  { name: 'socket.io-client 4.x', io: io4, protocol: 4 },
  { name: 'socket.io-client 2.x', io: io2, protocol: 3 },
];

/** Every line of the output as a record; fails on a line that is not a JSON object with time, level, msg. */
function records(server) {
  const out = server.output();
  assert.ok(out.endsWith('\n') || out === '', `a line cut short at the end of the output:\n${out}`);
  return out.split('\n').filter((l) => l.length).map((line) => {
    let r;
    try {
      r = JSON.parse(line);
    } catch (err) {
      assert.fail(`not a JSON line: ${JSON.stringify(line)} (${err.message})`);
    }
    assert.equal(typeof r, 'object', line);
    assert.match(r.time, TIME, line);
    assert.ok(LEVELS.includes(r.level), `level of ${line}`);
    assert.equal(typeof r.msg, 'string', line);
    return r;
  });
}

/**
 * Resolves with the first record `pred` accepts (from record number `from`
 * on), waiting for new lines until `ms` has passed.
 */
async function untilRecord(server, pred, what, ms = 5000, from = 0) {
  const deadline = performance.now() + ms;
  for (;;) {
    const found = records(server).slice(from).find(pred);
    if (found) return found;
    const left = deadline - performance.now();
    if (left <= 0) assert.fail(`no record of ${what} within ${ms} ms:\n${server.output()}`);
    await server.untilOutput(/\n/, left, server.output().length).catch(() => {});
  }
}

function clientOpts(mode) {
  return { forceNew: true, reconnection: false, timeout: 5000, ...mode.opts };
}

/** A connected socket of `client` on `nsp`, with its Engine.IO sid; closed after the test. */
async function connect(server, client, mode, closers) {
  const s = client.io(server.url + '/', clientOpts(mode));
  closers.track(s);
  await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'error', 'disconnect'] });
  if (mode.last === 'websocket' && s.io.engine.transport.name !== 'websocket') {
    await waitFor(s.io.engine, 'upgrade', 5000, { rejectOn: ['close', 'upgradeError'] });
  }
  return { s, id: s.id, sid: s.io.engine.id };
}

function closeSocket(s) {
  s.close();
  if (s.io) s.io.close();
}

const isConnect = (id) => (r) => r.msg === 'connect' && r.socket === id;
const isDisconnect = (id) => (r) => r.msg === 'disconnect' && r.socket === id;

/** The connect record's fields, exactly. */
function assertConnect(r, c, client, mode) {
  assert.deepEqual({ ...r, time: 'T' }, {
    time: 'T', level: 'info', msg: 'connect', address: '127.0.0.1', transport: mode.first,
    protocol: client.protocol, namespace: '/', socket: c.id, sid: c.sid,
  });
}

/** The disconnect record's fields, exactly (the duration: an integer >= 0). */
function assertDisconnect(r, c, client, transport, reason) {
  assert.ok(Number.isInteger(r.duration_ms) && r.duration_ms >= 0, `duration_ms in ${JSON.stringify(r)}`);
  assert.deepEqual({ ...r, time: 'T', duration_ms: 0 }, {
    time: 'T', level: 'info', msg: 'disconnect', address: '127.0.0.1', transport, protocol: client.protocol,
    namespace: '/', socket: c.id, duration_ms: 0, reason,
  });
}

describe('sio-server --log-format json', () => {
  let server;
  let staticDir;
  const closers = tracker(closeSocket);
  afterEach(closers.closeAll);

  before(async () => {
    staticDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-logs-'));
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>logs</title>\n');
    server = await startServer('sio-server', ['--log-format', 'json', '--log-level', 'debug',
      '--static', staticDir, '--cors-origin', 'http://allowed.example']);
  });
  after(async () => {
    closers.closeAll();
    await stopChecked(server);
    fs.rmSync(staticDir, { recursive: true, force: true });
  });

  it('the startup lines, the port among them, are JSON', T, () => diag(server, async () => {
    const listening = await untilRecord(server, (r) => /listening on port/.test(r.msg), 'the listening line');
    assert.equal(listening.port, server.port);
    assert.equal(listening.level, 'info');
  }));

  for (const client of CLIENTS) {
    for (const mode of MODES) {
      it(`${client.name} over ${mode.name}: connect, then disconnect by the client`, T, () => diag(server, async () => {
        const c = await connect(server, client, mode, closers);
        assertConnect(await untilRecord(server, isConnect(c.id), `the connection of ${c.id}`), c, client, mode);
        c.s.disconnect();
        const r = await untilRecord(server, isDisconnect(c.id), `the disconnection of ${c.id}`);
        assertDisconnect(r, c, client, mode.last, 'client namespace disconnect');
      }));

      it(`${client.name} over ${mode.name}: disconnect by the transport closing`, T, () => diag(server, async () => {
        const c = await connect(server, client, mode, closers);
        await untilRecord(server, isConnect(c.id), `the connection of ${c.id}`);
        c.s.io.engine.close();
        const r = await untilRecord(server, isDisconnect(c.id), `the disconnection of ${c.id}`);
        assertDisconnect(r, c, client, mode.last, 'transport close');
      }));
    }

    it(`${client.name}: a refused namespace is one info line with the reason`, T, () => diag(server, async () => {
      const s = client.io(server.url + '/no-such-namespace', clientOpts(MODES[1]));
      closers.track(s);
      let sid;
      s.io.on('open', () => { sid = s.io.engine.id; });
      const err = await withTimeout(new Promise((resolve) => {
        s.on('connect_error', resolve);
        s.on('error', resolve); // 2.x
      }), 5000, 'the refusal');
      assert.match(String(err.message ?? err), /Invalid namespace/);
      assert.match(sid, /^[\w-]{20}$/);
      const r = await untilRecord(server, (x) => x.msg === 'connect refused' && x.sid === sid,
        'the refused namespace');
      assert.deepEqual({ ...r, time: 'T' }, {
        time: 'T', level: 'info', msg: 'connect refused', address: '127.0.0.1', transport: 'websocket',
        protocol: client.protocol, namespace: '/no-such-namespace', sid, reason: 'Invalid namespace',
      });
    }));
  }

  it('bad handshakes: one line each, with the reason, at its level', T, () => diag(server, async () => {
    const cases = [
      { q: 'EIO=5&transport=polling', code: 5, reason: 'Unsupported protocol version', level: 'info' },
      { q: 'EIO=4&transport=carrier-pigeon', code: 0, reason: 'Transport unknown', level: 'info' },
      { q: 'EIO=4&transport=polling&sid=no-such-session', code: 1, reason: 'Session ID unknown', level: 'debug' },
      { q: 'EIO=4&transport=polling', code: 4, reason: 'Forbidden', level: 'warn', origin: 'http://evil.example' },
    ];
    for (const k of cases) {
      const from = records(server).length;
      const res = await fetch(`${server.url}/socket.io/?${k.q}`, { headers: k.origin ? { origin: k.origin } : {} });
      assert.equal((await res.json()).code, k.code);
      // (From `from` on: a poll of an earlier test's client may have been
      // refused too, for its session had gone.)
      const r = await untilRecord(server, (x) => x.msg === 'refused' && x.code === k.code, `code ${k.code}`,
        5000, from);
      assert.deepEqual({ ...r, time: 'T' }, {
        time: 'T', level: k.level, msg: 'refused', status: res.status, code: k.code, reason: k.reason,
        method: 'GET', path: '/socket.io/', address: '127.0.0.1',
      });
      assert.equal(records(server).slice(from).filter((x) => x.msg === 'refused').length, 1, server.output());
    }
  }));

  it('a hostile path is escaped: the record stays one JSON line', T, () => diag(server, async () => {
    // A quote, a tab, an escape sequence, a byte that is not UTF-8, JSON of
    // its own. (libwebsockets cuts a path at a CR or LF it decodes.)
    // The static files refuse it (403, a warning: no client of ours asks
    // for such a path).
    const res = await fetch(`${server.url}/a%22b%09c%1b%5b31m%ffd%22%7B%22level%22%3A%22error%22%7D%C3%A9`);
    assert.equal(res.status, 403);
    await res.arrayBuffer();
    const r = await untilRecord(server, (x) => x.msg === 'refused' && x.path?.startsWith('/a"b'), 'the hostile path');
    assert.equal(r.path, '/a"b\tc\x1b[31m\ufffdd"{"level":"error"}é');
    assert.equal(r.status, 403);
    assert.equal(r.level, 'warn');
    assert.equal(r.address, '127.0.0.1'); // the program's refusal too: sio_http_request.address
    assert.ok(!records(server).some((x) => x.level === 'error'), server.output());
  }));

  it('a page load, /favicon.ico included, says nothing at info or above', T, () => diag(server, async () => {
    const from = records(server).length;
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    await page.text();
    const icon = await fetch(`${server.url}/favicon.ico`);
    assert.equal(icon.status, 404);
    await icon.arrayBuffer();
    const r = await untilRecord(server, (x) => x.path === '/favicon.ico', 'the favicon');
    assert.deepEqual({ ...r, time: 'T' }, {
      time: 'T', level: 'debug', msg: 'refused', status: 404, reason: 'Not found', method: 'GET',
      path: '/favicon.ico', address: '127.0.0.1',
    });
    // (A socket of an earlier test may still be logging its going.)
    const since = records(server).slice(from).filter((x) => x.msg !== 'connect' && x.msg !== 'disconnect');
    assert.deepEqual(since.filter((x) => x.level !== 'debug'), [], server.output());
    assert.equal(since.filter((x) => x.path === '/favicon.ico').length, 1);
  }));

  it('an unknown event is one line, with or without an ack', T, () => diag(server, async () => {
    const c = await connect(server, CLIENTS[0], MODES[1], closers);
    const reply = await withTimeout(new Promise((resolve) => c.s.emit('no-such-event', 1, resolve)), 5000, 'the ack');
    assert.deepEqual(reply, { ok: false, error: 'unknown event' });
    c.s.emit('no-such-event-either', 2);
    // A known event after it: once its line is in, so is the unknown one's.
    c.s.emit('name', 'after', () => {});
    await untilRecord(server, (x) => x.msg === 'name' && x.name === 'after', 'the name event');
    for (const event of ['no-such-event', 'no-such-event-either']) {
      const lines = records(server).filter((x) => x.event === event);
      assert.equal(lines.length, 1, `${event}:\n${server.output()}`);
      assert.deepEqual({ ...lines[0], time: 'T' }, {
        time: 'T', level: 'debug', msg: 'unknown event', socket: c.id, namespace: '/', event,
      });
    }
  }));
});

describe('sio-server --log-format json, stopping', () => {
  it('a server shutting down logs each socket going, with that reason', T, async () => {
    const server = await startServer('sio-server', ['--log-format', 'json', '--no-static']);
    const closers = tracker(closeSocket);
    try {
      await diag(server, async () => {
        const a = await connect(server, CLIENTS[0], MODES[1], closers);
        const b = await connect(server, CLIENTS[1], MODES[0], closers);
        await untilRecord(server, isConnect(a.id), 'a');
        await untilRecord(server, isConnect(b.id), 'b');
        await stopChecked(server);
        const all = records(server);
        assertDisconnect(all.find(isDisconnect(a.id)), a, CLIENTS[0], 'websocket', 'server shutting down');
        assertDisconnect(all.find(isDisconnect(b.id)), b, CLIENTS[1], 'polling', 'server shutting down');
        assert.equal(all.at(-1).msg, 'stopped');
      });
    } finally {
      closers.closeAll();
      await server.stop();
    }
  });
});

describe('sio-server --log-format json --max-connections 2', () => {
  it('a connection over the cap is one warning with its address', T, async () => {
    const server = await startServer('sio-server', ['--log-format', 'json', '--no-static', '--max-connections', '2']);
    const conns = [];
    try {
      await diag(server, async () => {
        const open = () => new Promise((resolve, reject) => {
          const c = net.connect(server.port, '127.0.0.1', () => resolve(c));
          c.on('error', reject);
          conns.push(c);
        });
        await open();
        await open();
        const third = await open();
        // Closed by the server as soon as it is accepted.
        await waitFor(third, 'close', 5000);
        const r = await untilRecord(server, (x) => x.status === 503, 'the connection over the cap');
        assert.deepEqual({ ...r, time: 'T' }, {
          time: 'T', level: 'warn', msg: 'refused', status: 503, reason: 'Too many connections: closed',
          method: '', path: '', address: '127.0.0.1',
        });
      });
    } finally {
      for (const c of conns) c.destroy();
      await stopChecked(server);
    }
  });
});

describe('libwebsockets\' lines', () => {
  it('come as JSON records marked with their source, with no timestamp of their own', T, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-logs-tls-'));
    try {
      const cert = makeCert(dir);
      // Key and certificate swapped: libwebsockets says why it cannot use them.
      const err = await startServer('sio-server', ['--log-format', 'json', '--tls-cert', cert.key,
        '--tls-key', cert.cert]).then(() => null, (e) => e);
      assert.ok(err, 'the server started with unusable TLS files');
      // Under LeakSanitizer the output ends with a report of what
      // libwebsockets 4.1 keeps of a context it failed to create (as for
      // sio-echo in tls.test.mjs): not the log's lines.
      const out = err.message.split('\n').slice(1).join('\n').split(/^=+$/m)[0];
      const lines = out.split('\n').filter((l) => l.length);
      const recs = lines.map((l) => JSON.parse(l));
      const lws = recs.filter((r) => r.source === 'libwebsockets');
      assert.ok(lws.length >= 1, err.message);
      for (const r of lws) {
        assert.match(r.time, TIME);
        assert.equal(r.level, 'error');
        assert.doesNotMatch(r.msg, /^\[?\d{4}[-/]\d\d[-/]\d\d/, 'a second timestamp in the message');
        assert.doesNotMatch(r.msg, /^\s|\n/);
      }
      assert.ok(recs.some((r) => r.level === 'error' && /cannot use the TLS certificate/.test(r.msg)), err.message);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
