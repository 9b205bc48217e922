// The metrics (/metrics, Prometheus text format 0.0.4) against a scripted
// scenario with the real socket.io-client 4.x and 2.x, over polling and
// WebSocket, plus raw HTTP and WebSocket requests for what a client library
// never sends. The text is parsed here (a small parser of the format), and
// each step checks the change of every series exactly: the series it names
// changed by that much, and no other socketio_* series changed at all,
// except the byte counters of steps that do not check them. Every wait is
// for an event, with a deadline; the server's own answers order the steps
// (an ack, a CONNECT_ERROR, a "leaving" broadcast), so that a scrape never
// races what it checks.
//
// sio-echo serves /metrics through the public C API (sio_metrics_text);
// sio-server's /metrics, /health and flags are checked after it. Last, the
// byte counters, exactly, against raw clients that count what they send and
// get: v4 and v3, polling and WebSocket, with and without the upgrade,
// binary frames, JSONP, HTTP compression and permessage-deflate.

import { describe, it, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { io as io4 } from 'socket.io-client';
import WebSocket from 'ws';
import { startServer, stopChecked, waitFor, withTimeout, diag, tracker, suiteServer } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const T = { timeout: 30_000 };
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

// --- the text format --------------------------------------------------------------

/** A label set's text ({a="x",b="y\"z"}) read into [[name, value], ...]. */
function parseLabels(s, line) {
  const out = [];
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    assert.ok(eq > i, `label without a name in: ${line}`);
    const name = s.slice(i, eq);
    assert.match(name, /^[a-zA-Z_][a-zA-Z0-9_]*$/, `label name in: ${line}`);
    assert.equal(s[eq + 1], '"', `label value not quoted in: ${line}`);
    let v = '';
    let j = eq + 2;
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const e = s[++j];
        assert.ok(e === '\\' || e === '"' || e === 'n', `bad escape \\${e} in: ${line}`);
        v += e === 'n' ? '\n' : e;
      } else {
        v += s[j];
      }
    }
    assert.equal(s[j], '"', `unterminated label value in: ${line}`);
    out.push([name, v]);
    i = j + 1;
    if (s[i] === ',') i++;
  }
  return out;
}

/**
 * Parses the exposition text: returns { types: Map(family -> type),
 * help: Map(family -> text), samples: Map(series key -> value) }, the key
 * being name{l1="v1",...} as written (labels in the order sent). Fails on
 * anything the format does not allow: a sample before its TYPE line, a
 * family declared twice, a value that is not a number.
 */
function parseExposition(text) {
  assert.ok(text.endsWith('\n'), 'the text ends with a line feed');
  const types = new Map();
  const help = new Map();
  const samples = new Map();
  let current = null;
  for (const line of text.slice(0, -1).split('\n')) {
    let m;
    if ((m = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line))) {
      assert.ok(!help.has(m[1]), `HELP of ${m[1]} twice`);
      help.set(m[1], m[2]);
      current = m[1];
    } else if ((m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line))) {
      assert.ok(!types.has(m[1]), `TYPE of ${m[1]} twice`);
      assert.equal(m[1], current, `TYPE of ${m[1]} right after its HELP`);
      types.set(m[1], m[2]);
    } else if ((m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line))) {
      const [, name, labels = '', value] = m;
      assert.equal(name, current, `sample of ${name} within its family's block`);
      assert.ok(types.has(name), `sample of ${name} after its TYPE line`);
      const v = Number(value);
      assert.ok(Number.isFinite(v), `value of ${line}`);
      const key = labels === '' ? name
        : `${name}{${parseLabels(labels, line).map(([k, x]) => `${k}=${JSON.stringify(x)}`).join(',')}}`;
      assert.ok(!samples.has(key), `series ${key} twice`);
      samples.set(key, v);
    } else {
      assert.fail(`a line the format does not allow: ${JSON.stringify(line)}`);
    }
  }
  for (const [name, type] of types) {
    assert.equal(name.endsWith('_total'), type === 'counter', `${name} is a ${type}`);
  }
  return { types, help, samples };
}

/** GET a path (or another method, with a request body); resolves
 * { status, headers, body, raw }: the body as text, and as the bytes that
 * came (still compressed, if they were). */
function get(server, path, { method = 'GET', headers = {}, body = null } = {}) {
  return withTimeout(new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path, method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({ status: res.statusCode, headers: res.headers, body: raw.toString(), raw });
      });
    });
    req.on('error', reject);
    req.end(body ?? undefined);
  }), 5000, `${method} ${path}`);
}

async function scrape(server, path = '/metrics') {
  const r = await get(server, path);
  assert.equal(r.status, 200, `GET ${path}: ${r.body}`);
  assert.equal(r.headers['content-type'], CONTENT_TYPE);
  return parseExposition(r.body);
}

/**
 * Scrapes until series `k` has value `v` (each scrape a round trip, no
 * pause between them), or fails after `ms`: for a change the server makes
 * on a close no client event reports. Returns the last scrape.
 */
async function scrapeUntil(server, k, v, ms = 5000) {
  const deadline = performance.now() + ms;
  for (;;) {
    const s = await scrape(server);
    if (s.samples.get(k) === v) return s;
    if (performance.now() > deadline) assert.fail(`${k} is ${s.samples.get(k)}, not ${v}, after ${ms} ms`);
  }
}

/** A label-set key as parseExposition writes it. */
function key(name, labels = {}) {
  const l = Object.entries(labels);
  return l.length ? `${name}{${l.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}` : name;
}

const BYTES = ['socketio_received_bytes_total', 'socketio_sent_bytes_total'];

/**
 * Checks that from `before` to `after` the series of `want` (key -> change)
 * changed by exactly that, and every other socketio_* series not at all,
 * but for the families in `ignore` (by name).
 */
function assertDelta(before, after, want, ignore = BYTES) {
  const problems = [];
  const keys = new Set([...before.samples.keys(), ...after.samples.keys()]);
  for (const k of Object.keys(want)) {
    assert.ok(keys.has(k), `no series ${k}; there are: ${[...keys].join(' ')}`);
  }
  for (const k of keys) {
    if (!k.startsWith('socketio_')) continue;
    const family = k.replace(/\{.*$/, '');
    if (ignore.includes(family) && !(k in want)) continue;
    const d = (after.samples.get(k) ?? 0) - (before.samples.get(k) ?? 0);
    const w = want[k] ?? 0;
    if (d !== w) problems.push(`${k}: changed by ${d}, expected ${w}`);
  }
  assert.deepEqual(problems, [], problems.join('\n'));
}

// --- clients ------------------------------------------------------------------------

const { track, closeAll } = tracker((s) => s.close());

async function connect4(server, nsp, opts = {}) {
  const s = track(io4(server.url + nsp, { forceNew: true, reconnection: false, ...opts }));
  await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'disconnect'] });
  return s;
}

async function connect2(server, nsp, opts = {}) {
  const s = track(io2(server.url + nsp, { forceNew: true, reconnection: false, ...opts }));
  await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'error', 'disconnect'] });
  return s;
}

function emitAck(s, event, ...args) {
  return withTimeout(new Promise((resolve) => s.emit(event, ...args, (...back) => resolve(back))),
    5000, `ack of "${event}"`);
}

/** Waits for the client's upgrade, then for a round trip on the WebSocket:
 * the server has read the client's "5" (upgrade) when the ack comes. */
async function upgradedRoundTrip(s) {
  const engine = s.io.engine;
  if (engine.transport.name !== 'websocket') {
    await waitFor(engine, 'upgrade', 5000, { rejectOn: ['close', 'upgradeError'] });
  }
  assert.equal(engine.transport.name, 'websocket');
  await emitAck(s, 'message-with-ack', 'after upgrade');
}

/** A raw WebSocket with its text frames queued, to read in order. */
function rawWs(server, query) {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/socket.io/?${query}`);
  const frames = [];
  let wake = null;
  ws.on('message', (data, binary) => {
    frames.push(binary ? data : data.toString());
    if (wake) wake();
  });
  ws.closed = new Promise((resolve) => ws.once('close', resolve));
  ws.next = (ms = 5000) => withTimeout(new Promise((resolve) => {
    const take = () => { if (frames.length) { wake = null; resolve(frames.shift()); } else wake = take; };
    take();
  }), ms, 'a frame on the raw WebSocket');
  track({ close: () => ws.terminate() });
  return ws;
}

// --- the scenario ---------------------------------------------------------------------

describe('metrics of sio-echo through a scripted scenario', () => {
  // A long ping interval: no heartbeat goes out during the scenario, so the
  // byte counts of its steps are exact.
  // x-refuse: the header with which sio-echo's allow_request refuses.
  const server = suiteServer('sio-echo', ['--ping-interval', '60000', '--ping-timeout', '20000',
    '--keep-header', 'x-refuse'], closeAll);

  it('counts every step exactly', T, () => diag(server, async () => {
    // The start: every fixed series is there, at zero; the namespaces with
    // no socket; process metrics from /proc.
    let s0 = await scrape(server);
    for (const name of ['socketio_connections', 'socketio_sockets', 'socketio_rooms', 'socketio_queued_bytes']) {
      assert.equal(s0.types.get(name), 'gauge', name);
    }
    for (const t of ['polling', 'websocket']) {
      for (const v of ['3', '4']) {
        assert.equal(s0.samples.get(key('socketio_connections', { transport: t, protocol_version: v })), 0);
        assert.equal(s0.samples.get(key('socketio_connections_opened_total', { transport: t, protocol_version: v })), 0);
      }
    }
    for (const nsp of ['/', '/custom', '/rooms', '/cluster', '/async']) {
      assert.equal(s0.samples.get(key('socketio_sockets', { namespace: nsp })), 0, nsp);
    }
    for (const [code, message] of [[0, 'Transport unknown'], [1, 'Session ID unknown'], [2, 'Bad handshake method'],
      [3, 'Bad request'], [4, 'Forbidden'], [5, 'Unsupported protocol version']]) {
      assert.equal(s0.samples.get(key('socketio_handshake_errors_total', { code: String(code), message })), 0);
    }
    for (const reason of ['client namespace disconnect', 'server namespace disconnect', 'transport close',
      'transport error', 'ping timeout', 'parse error', 'forced close', 'server shutting down', 'send queue full']) {
      assert.equal(s0.samples.get(key('socketio_disconnects_total', { reason })), 0, reason);
    }
    assert.equal(s0.samples.get('socketio_queued_bytes'), 0);
    // Process metrics: only that they are there and plausible (what the
    // process holds is not the test's to know exactly).
    assert.ok(s0.samples.get('process_resident_memory_bytes') > 1 << 20);
    assert.ok(s0.samples.get('process_open_fds') >= 4);
    assert.ok(s0.samples.get('process_max_fds') >= s0.samples.get('process_open_fds'));
    assert.ok(s0.samples.get('process_cpu_seconds_total') >= 0);
    const start = s0.samples.get('process_start_time_seconds');
    assert.ok(start > Date.now() / 1000 - 600 && start <= Date.now() / 1000 + 1, `start time ${start}`);

    const conn = (transport, v) => key('socketio_connections', { transport, protocol_version: v });
    const opened = (transport, v) => key('socketio_connections_opened_total', { transport, protocol_version: v });
    const nspKey = (family, namespace) => key(family, { namespace });
    const upgradesDone = key('socketio_upgrades_total', { result: 'completed' });

    // 1. socket.io-client 4.x on polling only, then on WebSocket only: one
    // connection each, a socket on "/", and the "auth" event sio-echo sends
    // on connection.
    const polling = await connect4(server, '/', { transports: ['polling'] });
    const wsOnly = await connect4(server, '/', { transports: ['websocket'] });
    let s1 = await scrape(server);
    assertDelta(s0, s1, {
      [conn('polling', '4')]: 1, [opened('polling', '4')]: 1,
      [conn('websocket', '4')]: 1, [opened('websocket', '4')]: 1,
      [nspKey('socketio_sockets', '/')]: 2, [nspKey('socketio_events_sent_total', '/')]: 2,
    });

    // 2. 4.x and 2.x with the default transports: opened on polling (v4 and
    // v3), upgraded to WebSocket; the round trip that proves the server saw
    // the upgrade is one event in each.
    const upgrading4 = await connect4(server, '/');
    await upgradedRoundTrip(upgrading4);
    const upgrading2 = await connect2(server, '/');
    await upgradedRoundTrip(upgrading2);
    let s2 = await scrape(server);
    assertDelta(s1, s2, {
      [opened('polling', '4')]: 1, [opened('polling', '3')]: 1,
      [conn('websocket', '4')]: 1, [conn('websocket', '3')]: 1,
      [upgradesDone]: 2,
      [nspKey('socketio_sockets', '/')]: 2, [nspKey('socketio_events_sent_total', '/')]: 2,
      [nspKey('socketio_events_received_total', '/')]: 2,
    });

    // 3. Events both ways, with their bytes: the Engine.IO packets as
    // encoded, multi-byte UTF-8 counted in bytes. Over WebSocket: one
    // message each way; over polling: the POST's body, and the body of the
    // poll that carries the answer.
    const text = 'é'.repeat(300) + 'x'.repeat(100);
    for (const s of [wsOnly, polling]) {
      const back = waitFor(s, 'message-back');
      s.emit('message', text);
      assert.equal(await back, text);
      const s3 = await scrape(server);
      assertDelta(s2, s3, {
        [nspKey('socketio_events_received_total', '/')]: 1, [nspKey('socketio_events_sent_total', '/')]: 1,
        socketio_received_bytes_total: Buffer.byteLength(`42${JSON.stringify(['message', text])}`),
        socketio_sent_bytes_total: Buffer.byteLength(`42${JSON.stringify(['message-back', text])}`),
      }, []);
      s2 = s3;
    }

    // 4. A broadcast to a room of 3 sockets on "/cluster".
    const members = [];
    for (let i = 0; i < 3; i++) members.push(await connect4(server, '/cluster', { transports: ['websocket'] }));
    let s4 = await scrape(server);
    assertDelta(s2, s4, {
      [conn('websocket', '4')]: 3, [opened('websocket', '4')]: 3, [nspKey('socketio_sockets', '/cluster')]: 3,
    });
    assert.deepEqual(await emitAck(members[0], 'join', { join: ['news-room'] }), [3]);
    const news = members.map((m) => waitFor(m, 'news'));
    assert.deepEqual(await emitAck(members[0], 'broadcast', { rooms: ['news-room'], event: 'news', args: [1] }), [3]);
    await Promise.all(news);
    let s5 = await scrape(server);
    assertDelta(s4, s5, {
      [nspKey('socketio_rooms', '/cluster')]: 1,
      [nspKey('socketio_events_received_total', '/cluster')]: 2,
      [nspKey('socketio_broadcasts_total', '/cluster')]: 1,
      [nspKey('socketio_broadcast_recipients_total', '/cluster')]: 3,
      [nspKey('socketio_events_sent_total', '/cluster')]: 3,
    });

    // 5. An ack timeout: a broadcast with acks to the room, whose members
    // have no handler for the event, so none answers.
    const [reply] = await emitAck(members[0], 'broadcast-ack',
      { rooms: ['news-room'], event: 'unanswered', args: [], timeout: 200 });
    assert.equal(reply.err, 1, `the broadcast ends by its timeout: ${JSON.stringify(reply)}`); // SIO_ACK_TIMEOUT
    let s6 = await scrape(server);
    assertDelta(s5, s6, {
      socketio_ack_timeouts_total: 1,
      [nspKey('socketio_events_received_total', '/cluster')]: 1,
      [nspKey('socketio_broadcasts_total', '/cluster')]: 1,
      [nspKey('socketio_broadcast_recipients_total', '/cluster')]: 3,
      [nspKey('socketio_events_sent_total', '/cluster')]: 3,
    });

    // 6. CONNECTs refused: a namespace that does not exist, and a
    // middleware's refusal ("/async" denies when asked to; it emits "early"
    // while it waits, queued for a socket that is then refused).
    const nowhere = track(io4(server.url + '/nowhere', { forceNew: true, reconnection: false, transports: ['websocket'] }));
    assert.equal((await waitFor(nowhere, 'connect_error')).message, 'Invalid namespace');
    const denied = track(io4(server.url + '/async', {
      forceNew: true, reconnection: false, transports: ['websocket'], auth: { deny: true, delay: 0 },
    }));
    assert.equal((await waitFor(denied, 'connect_error')).message, 'denied');
    // The client closes the connection of a refused socket as soon as it is
    // refused, a close no event reports: wait for the gauge to come back.
    let s7 = await scrapeUntil(server, conn('websocket', '4'), s6.samples.get(conn('websocket', '4')));
    assertDelta(s6, s7, {
      [opened('websocket', '4')]: 2,
      [key('socketio_connect_errors_total', { reason: 'invalid_namespace' })]: 1,
      [key('socketio_connect_errors_total', { reason: 'middleware' })]: 1,
      [nspKey('socketio_events_sent_total', '/async')]: 1,
    });

    // 7. Requests refused with each Engine.IO error code, by plain HTTP.
    // The label is the code's own message, whatever the answer said (an
    // allow_request refusal carries the application's).
    const refusals = [
      ['/socket.io/?EIO=4&transport=carrier-pigeon', {}, 400, 0, 'Transport unknown'],
      ['/socket.io/?EIO=4&transport=polling&sid=nosuchsession0000000', {}, 400, 1, 'Session ID unknown'],
      ['/socket.io/?EIO=4&transport=polling', { method: 'PUT' }, 400, 2, 'Bad handshake method'],
      ['/socket.io/?EIO=4&transport=websocket', {}, 400, 3, 'Bad request'],
      ['/socket.io/?EIO=4&transport=polling', { headers: { 'x-refuse': 'go away' } }, 403, 4, 'Forbidden'],
      ['/socket.io/?EIO=5&transport=polling', {}, 400, 5, 'Unsupported protocol version'],
    ];
    const want7 = {};
    for (const [path, opts, status, code, message] of refusals) {
      const r = await get(server, path, opts);
      assert.equal(r.status, status, `${path}: ${r.body}`);
      assert.equal(JSON.parse(r.body).code, code, `${path}: ${r.body}`);
      want7[key('socketio_handshake_errors_total', { code: String(code), message })] = 1;
    }
    let s8 = await scrape(server);
    assertDelta(s7, s8, want7);

    // 8. A failed upgrade: a polling session (plain HTTP) whose WebSocket
    // probe sends something else than "2probe"; the server drops the probe,
    // and the session stays on polling.
    const open = await get(server, '/socket.io/?EIO=4&transport=polling');
    const sid = JSON.parse(open.body.slice(1)).sid;
    const probe = rawWs(server, `EIO=4&transport=websocket&sid=${sid}`);
    await waitFor(probe, 'open');
    probe.send('4not a probe');
    await probe.closed;
    let s9 = await scrape(server);
    assertDelta(s8, s9, {
      [conn('polling', '4')]: 1, [opened('polling', '4')]: 1,
      [key('socketio_upgrades_total', { result: 'failed' })]: 1,
    });

    // 9. Disconnects by reason, each seen by an observer in the same room of
    // "/rooms" ("leaving" carries the reason the server gave).
    const observer = await connect4(server, '/rooms', { transports: ['websocket'] });
    await emitAck(observer, 'join', 'watched');
    const leaving = async (fn) => {
      const ev = waitFor(observer, 'leaving');
      await fn();
      return (await ev).reason;
    };
    const joined = async (s) => { await emitAck(s, 'join', 'watched'); return s; };
    let before = await scrape(server);
    // a's and b's connections also carry a socket on "/", so that they stay
    // open when a and b leave "/rooms" (the client closes a connection whose
    // last socket is gone, a close no event would report).
    const withRoot = async (s) => {
      await waitFor(s.io.socket('/'), 'connect', 5000, { rejectOn: ['connect_error'] });
      return s;
    };
    const a = await withRoot(await joined(await connect4(server, '/rooms', { transports: ['websocket'] })));
    assert.equal(await leaving(() => a.disconnect()), 'client namespace disconnect');
    const b = await withRoot(await joined(await connect4(server, '/rooms', { transports: ['polling'] })));
    assert.equal(await leaving(() => b.emit('server-disconnect', false)), 'server namespace disconnect');
    const c = await joined(await connect4(server, '/rooms', { transports: ['websocket'] }));
    assert.equal(await leaving(() => c.io.engine.close()), 'transport close');
    // A raw client whose next packet is not one: "parse error".
    const raw = rawWs(server, 'EIO=4&transport=websocket');
    assert.match(await raw.next(), /^0\{/);
    raw.send('40/rooms,');
    assert.match(await raw.next(), /^40\/rooms,\{"sid":/);
    assert.equal(await raw.next(), '42/rooms,["auth",{}]');
    raw.send('42/rooms,7["join","watched"]');
    assert.match(await raw.next(), /^43\/rooms,7\[/);
    assert.equal(await leaving(() => raw.send('9')), 'parse error');
    let after = await scrape(server);
    assertDelta(before, after, {
      // a, c and the raw client on WebSocket, b on polling; c's and the raw
      // client's connections closed, a's and b's left by their namespace
      // disconnects.
      [opened('websocket', '4')]: 3, [opened('polling', '4')]: 1,
      [conn('websocket', '4')]: 1, [conn('polling', '4')]: 1,
      [nspKey('socketio_sockets', '/')]: 2, [nspKey('socketio_events_sent_total', '/')]: 2, // a's and b's, "auth"
      [nspKey('socketio_events_received_total', '/rooms')]: 5, // the joins, "server-disconnect"
      // "auth" to each; "leaving", a broadcast to the room, to the observer
      [nspKey('socketio_events_sent_total', '/rooms')]: 8,
      [nspKey('socketio_broadcasts_total', '/rooms')]: 4,
      [nspKey('socketio_broadcast_recipients_total', '/rooms')]: 4,
      [key('socketio_disconnects_total', { reason: 'client namespace disconnect' })]: 1,
      [key('socketio_disconnects_total', { reason: 'server namespace disconnect' })]: 1,
      [key('socketio_disconnects_total', { reason: 'transport close' })]: 1,
      [key('socketio_disconnects_total', { reason: 'parse error' })]: 1,
    });
  }));
});

describe('metrics of what takes a server of its own', () => {
  const servers = [];
  after(async () => { for (const s of servers) await stopChecked(s); });
  afterEach(closeAll);
  const start = async (args) => {
    const s = await startServer('sio-echo', args);
    servers.push(s);
    return s;
  };

  it('counts a ping timeout', T, async () => {
    const server = await start(['--ping-interval', '200', '--ping-timeout', '200']);
    await diag(server, async () => {
      const s0 = await scrape(server);
      // A raw client that connects "/" and then never answers a ping.
      const silent = rawWs(server, 'EIO=4&transport=websocket');
      assert.match(await silent.next(), /^0\{/);
      silent.send('40');
      assert.match(await silent.next(), /^40\{"sid":/);
      await silent.closed; // after pingInterval + pingTimeout
      const s1 = await scrape(server);
      assertDelta(s0, s1, {
        [key('socketio_connections_opened_total', { transport: 'websocket', protocol_version: '4' })]: 1,
        [key('socketio_disconnects_total', { reason: 'ping timeout' })]: 1,
        [key('socketio_events_sent_total', { namespace: '/' })]: 1, // "auth"
      });
    });
  });

  it('counts a client closed for a full queue', T, async () => {
    const server = await start(['--max-queue-bytes', '4000']);
    await diag(server, async () => {
      const s0 = await scrape(server);
      // A polling client that never polls, sent an echo bigger than its
      // queue may hold: closed as its POST is read, before its answer.
      const open = await get(server, '/socket.io/?EIO=4&transport=polling');
      const sid = JSON.parse(open.body.slice(1)).sid;
      const post = (body) => withTimeout(fetch(`${server.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`,
        { method: 'POST', body, headers: { 'content-type': 'text/plain;charset=UTF-8' } }), 5000, 'POST');
      assert.equal((await post('40')).status, 200);
      const s1 = await scrape(server);
      assert.ok(s1.samples.get('socketio_queued_bytes') > 0, 'the open packet, the CONNECT reply and "auth" wait');
      assert.equal((await post(`42${JSON.stringify(['message', 'z'.repeat(5000)])}`)).status, 200);
      const gone = await get(server, `/socket.io/?EIO=4&transport=polling&sid=${sid}`);
      assert.equal(gone.status, 400, 'the session is gone');
      const s2 = await scrape(server);
      assertDelta(s0, s2, {
        [key('socketio_connections_opened_total', { transport: 'polling', protocol_version: '4' })]: 1,
        [key('socketio_disconnects_total', { reason: 'send queue full' })]: 1,
        socketio_queue_full_closes_total: 1,
        [key('socketio_handshake_errors_total', { code: '1', message: 'Session ID unknown' })]: 1,
        [key('socketio_events_received_total', { namespace: '/' })]: 1,
        // "auth" on connection; the echo that did not fit was not queued.
        [key('socketio_events_sent_total', { namespace: '/' })]: 1,
      });
      assert.equal(s2.samples.get('socketio_queued_bytes'), 0, 'the closed session\'s queue is freed');
    });
  });
});

describe('sio-server: /metrics, /health and their flags', () => {
  const servers = [];
  after(async () => { for (const s of servers) await stopChecked(s); });
  afterEach(closeAll);
  const start = async (args) => {
    const s = await startServer('sio-server', ['--no-static', ...args]);
    servers.push(s);
    return s;
  };

  it('serves the metrics at /metrics, and counts a chat broadcast', T, async () => {
    const server = await start([]);
    await diag(server, async () => {
      const s0 = await scrape(server);
      const members = [];
      for (let i = 0; i < 3; i++) {
        const m = await connect4(server, '/', { transports: ['websocket'] });
        assert.deepEqual(await emitAck(m, 'join', 'lobby'), [{ ok: true }]);
        members.push(m);
      }
      const got = members.map((m) => waitFor(m, 'message'));
      assert.deepEqual(await emitAck(members[0], 'message', { room: 'lobby', text: 'hello' }), [{ ok: true }]);
      await Promise.all(got);
      const s1 = await scrape(server);
      const nsp = (family) => key(family, { namespace: '/' });
      // The chat's own emits (its greeting, the room's notices) are counted
      // as they come; the broadcast of the message is checked exactly.
      assert.equal(s1.samples.get(nsp('socketio_sockets')), 3);
      assert.equal(s1.samples.get(nsp('socketio_rooms')), 1);
      assert.equal(s1.samples.get(nsp('socketio_events_received_total')), 4);
      assert.ok(s1.samples.get(nsp('socketio_broadcasts_total')) >= 1);
      assert.equal(s1.samples.get(key('socketio_connections', { transport: 'websocket', protocol_version: '4' })), 3);
      assert.ok(s1.samples.get('socketio_sent_bytes_total') > s0.samples.get('socketio_sent_bytes_total'));

      const head = await get(server, '/metrics', { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-type'], CONTENT_TYPE);
      assert.equal(head.body, '');
      const post = await get(server, '/metrics', { method: 'POST' });
      assert.equal(post.status, 405);
      assert.equal(post.headers['content-type'], 'application/json');

      const health = await get(server, '/health');
      assert.equal(health.status, 200);
      assert.equal(health.headers['content-type'], 'application/json');
      assert.deepEqual(JSON.parse(health.body), { status: 'ok', connections: 3 });
    });
  });

  it('moves the metrics with --metrics-path, and has none with --no-metrics', T, async () => {
    const moved = await start(['--metrics-path', '/internal/prom']);
    await diag(moved, async () => {
      await scrape(moved, '/internal/prom');
      assert.equal((await get(moved, '/metrics')).status, 404);
    });
    const off = await start(['--no-metrics']);
    await diag(off, async () => {
      assert.equal((await get(off, '/metrics')).status, 404);
      assert.equal((await get(off, '/health')).status, 200);
    });
  });

  it('says 503 at /health once it is stopping', T, async () => {
    const server = await start([]);
    await diag(server, async () => {
      // A polling session that never polls keeps the server in its stopping
      // phase (closing its clients, 2 s at most) after SIGTERM; a WebSocket
      // client's disconnect says when that phase has begun.
      assert.equal((await get(server, '/socket.io/?EIO=4&transport=polling')).status, 200);
      const client = await connect4(server, '/', { transports: ['websocket'] });
      const down = waitFor(client, 'disconnect');
      server.proc.kill('SIGTERM');
      await down;
      const health = await get(server, '/health');
      assert.equal(health.status, 503, health.body);
      assert.deepEqual(JSON.parse(health.body), { status: 'stopping' });
      assert.equal((await server.exited).code, 0);
    });
  });
});

// --- exact byte counts --------------------------------------------------------------

/**
 * A raw Engine.IO client that counts the bytes the byte counters count:
 * the body of each poll's answer and of each POST (not the POST's "ok"),
 * uncompressed, JSONP's script and form as they travel; the payload of each
 * WebSocket message (the probe's, a v3 binary message's type byte), before
 * and after permessage-deflate. `sent` is what it sent, `got` what came.
 */
class Wire {
  constructor(server, eio, extra = '') {
    Object.assign(this, { server, eio, extra, sent: 0, got: 0, sid: null });
  }

  path(transport) {
    return `/socket.io/?EIO=${this.eio}&transport=${transport}${this.sid ? `&sid=${this.sid}` : ''}${this.extra}`;
  }

  /** One poll: resolves { text, raw (uncompressed), enc, ctype }. */
  async poll(headers = {}) {
    const r = await get(this.server, this.path('polling'), { headers });
    assert.equal(r.status, 200, r.body);
    const enc = r.headers['content-encoding'];
    const raw = enc === 'gzip' ? zlib.gunzipSync(r.raw) : enc === 'deflate' ? zlib.inflateSync(r.raw) : r.raw;
    this.got += raw.length;
    const text = raw.toString('latin1');
    if (!this.sid) this.sid = /sid\\?":\\?"([\w-]+)/.exec(text)[1];
    return { text, raw, enc, ctype: r.headers['content-type'] };
  }

  /** Polls until the answers so far (as latin1 text, after `seen`) hold
   * `needle`: at once if `seen` does. */
  async pollUntil(needle, seen = '') {
    let all = seen;
    for (let i = 0; i < 10 && !all.includes(needle); i++) all += (await this.poll()).text;
    if (all.includes(needle)) return all;
    return assert.fail(`no ${needle} in 10 polls: ${all}`);
  }

  async post(payload, headers = {}) {
    const body = Buffer.from(payload);
    const r = await get(this.server, this.path('polling'), { method: 'POST', headers, body });
    assert.equal(r.status, 200, r.body);
    assert.equal(r.body, 'ok');
    this.sent += body.length;
  }

  /** A WebSocket (the upgrade's probe once the session has a sid), open. */
  async ws(opts = {}) {
    const ws = new WebSocket(`ws://127.0.0.1:${this.server.port}${this.path('websocket')}`, opts);
    track({ close: () => ws.terminate() });
    const frames = [];
    let wake = null;
    ws.on('message', (data, binary) => {
      this.got += data.length;
      frames.push(binary ? data : data.toString());
      if (wake) wake();
    });
    ws.put = (data) => {
      this.sent += Buffer.byteLength(data);
      ws.send(data, { binary: Buffer.isBuffer(data) });
    };
    ws.next = () => withTimeout(new Promise((resolve) => {
      const take = () => { if (frames.length) { wake = null; resolve(frames.shift()); } else wake = take; };
      take();
    }), 5000, 'a frame on the raw WebSocket');
    /** Reads frames until a text one holds `needle`; returns them all. */
    ws.until = async (needle) => {
      const seen = [];
      while (!seen.length || typeof seen.at(-1) !== 'string' || !seen.at(-1).includes(needle)) seen.push(await ws.next());
      return seen;
    };
    ws.end = async () => {
      const closed = waitFor(ws, 'close');
      ws.close();
      await closed;
    };
    await waitFor(ws, 'open', 5000, { rejectOn: ['error', 'close'] });
    return ws;
  }
  /** Upgrades the polling session: a poll held, "2probe" and "3probe" on a
   * new WebSocket, the held poll's last noop (`noop`, as the version frames
   * it), "5". Returns the WebSocket. */
  async upgrade(noop) {
    const held = this.poll();
    const ws = await this.ws();
    ws.put('2probe');
    assert.equal(await ws.next(), '3probe');
    assert.equal((await held).text, noop);
    ws.put('5');
    return ws;
  }
}

/** A v3 payload in binary framing: a string is a text packet, a Buffer a
 * binary one (its type byte first). */
function v3Binary(packets) {
  return Buffer.concat(packets.flatMap((p) => {
    const data = Buffer.from(p);
    const digits = [...String(data.length)].map(Number);
    return [Buffer.from([typeof p === 'string' ? 0 : 1, ...digits, 255]), data];
  }));
}

describe('the byte counters, exact for every transport', () => {
  // No heartbeat during a test; both kinds of compression on, so that the
  // counters are seen to count uncompressed sizes.
  const server = suiteServer('sio-echo', ['--ping-interval', '60000', '--ping-timeout', '20000',
    '--per-message-deflate', '--per-message-deflate-threshold', '1024', '--http-compression-threshold', '1024'],
  closeAll);

  const BIN_EVENT = (name) => `451-["${name}",{"_placeholder":true,"num":0}]`;
  const big = 'é'.repeat(800); // 1600 bytes: over both compression thresholds

  /** Runs `fn` with wires, then checks each counter moved by exactly what
   * they sent and got. */
  async function exactly(fn) {
    const wires = [];
    const s0 = await scrape(server);
    await fn((eio, extra) => { const w = new Wire(server, eio, extra); wires.push(w); return w; });
    const s1 = await scrape(server);
    const d = (k) => s1.samples.get(k) - s0.samples.get(k);
    const sum = (k) => wires.reduce((n, w) => n + w[k], 0);
    assert.ok(sum('sent') > 0 && sum('got') > 0);
    assert.deepEqual({ received: d('socketio_received_bytes_total'), sent: d('socketio_sent_bytes_total') },
      { received: sum('sent'), sent: sum('got') });
  }

  it('v4 polling: bodies, a gzip one counted uncompressed', T, () => diag(server, () => exactly(async (wire) => {
    const w = wire(4);
    assert.match((await w.poll()).text, /^0\{"sid"/);
    await w.post('40');
    await w.pollUntil('"auth"');
    await w.post('42["message","hi"]');
    assert.equal((await w.poll()).text, '42["message-back","hi"]');
    await w.post(Buffer.from(`42${JSON.stringify(['message', big])}`));
    const back = await w.poll({ 'accept-encoding': 'gzip' });
    assert.equal(back.enc, 'gzip');
    assert.equal(back.raw.toString(), `42${JSON.stringify(['message-back', big])}`);
    await w.post('1');
  })));

  it('v4 WebSocket: messages, binary ones, deflated ones counted inflated', T, () => diag(server, () => exactly(async (wire) => {
    for (const perMessageDeflate of [false, true]) {
      const ws = await wire(4).ws({ perMessageDeflate });
      assert.equal(ws.extensions.includes('permessage-deflate'), perMessageDeflate);
      assert.match(await ws.next(), /^0\{"sid"/);
      ws.put('40');
      await ws.until('"auth"');
      ws.put(BIN_EVENT('message'));
      ws.put(Buffer.from([1, 2, 3]));
      assert.equal(await ws.next(), BIN_EVENT('message-back'));
      assert.deepEqual(await ws.next(), Buffer.from([1, 2, 3]));
      ws.put(`42${JSON.stringify(['message', big])}`);
      assert.equal(await ws.next(), `42${JSON.stringify(['message-back', big])}`);
      await ws.end();
    }
  })));

  it('v4 polling upgraded: 2probe, 3probe, the held poll\'s noop, 5', T, () => diag(server, () => exactly(async (wire) => {
    const w = wire(4);
    await w.poll();
    await w.post('40');
    await w.pollUntil('"auth"');
    const ws = await w.upgrade('6');
    ws.put('42["message","upgraded"]');
    assert.equal(await ws.next(), '42["message-back","upgraded"]');
    await ws.end();
  })));

  it('v3 polling: text and binary framing', T, () => diag(server, () => exactly(async (wire) => {
    const w = wire(3);
    const open = (await w.poll()).text;
    assert.match(open, /^\d+:0\{"sid"/);
    await w.pollUntil('"auth"', open);
    await w.post('1:2');
    assert.equal((await w.poll()).text, '1:3');
    await w.post(v3Binary([BIN_EVENT('message'), Buffer.from([4, 1, 2, 3])]),
      { 'content-type': 'application/octet-stream' });
    const back = await w.poll();
    assert.equal(back.ctype, 'application/octet-stream');
    assert.deepEqual(back.raw, v3Binary([BIN_EVENT('message-back'), Buffer.from([4, 1, 2, 3])]));
    await w.post('1:1');
  })));

  it('v3 JSONP: the script and the form as they travel', T, () => diag(server, () => exactly(async (wire) => {
    const w = wire(3, '&j=0');
    const open = (await w.poll()).text;
    assert.match(open, /^___eio\[0\]\("\d+:0\{/);
    await w.pollUntil('auth', open);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    await w.post(`d=${encodeURIComponent('1:2')}`, form);
    assert.equal((await w.poll()).text, '___eio[0]("1:3");');
    await w.post(`d=${encodeURIComponent('1:1')}`, form);
  })));

  it('v3 WebSocket, alone and upgraded: binary messages with their type byte', T, () => diag(server, () => exactly(async (wire) => {
    const alone = await wire(3).ws();
    assert.match(await alone.next(), /^0\{"sid"/);
    await alone.until('"auth"');
    const w = wire(3);
    await w.pollUntil('"auth"', (await w.poll()).text);
    const upgraded = await w.upgrade('1:6');
    for (const ws of [alone, upgraded]) {
      ws.put(BIN_EVENT('message'));
      ws.put(Buffer.from([4, 1, 2, 3]));
      assert.equal(await ws.next(), BIN_EVENT('message-back'));
      assert.deepEqual(await ws.next(), Buffer.from([4, 1, 2, 3]));
      ws.put(`42${JSON.stringify(['message', big])}`);
      assert.equal(await ws.next(), `42${JSON.stringify(['message-back', big])}`);
      await ws.end();
    }
  })));
});
