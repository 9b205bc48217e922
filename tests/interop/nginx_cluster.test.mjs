// nginx (docs/deploy/nginx.conf) in front of two sio-server processes joined
// through a real redis-server (--redis), with socket.io-client 4.x clients
// of every kind connected through nginx:
//   - long-polling clients, from 16 loopback addresses (127.0.0.1-16): the
//     address picks the backend, every request of a session reaches the
//     backend that holds it, and both backends get some;
//   - WebSocket-only clients, which need no stickiness: spread over both
//     backends by their number of connections;
//   - upgrading clients (polling, then WebSocket), from the same addresses:
//     the upgrade reaches the backend of the polling session;
// every client joins a room of its own and gets its own messages back
// (that is, on its own backend); then a chat message, and a POST /api/emit
// through nginx, reach the clients of a shared room on both backends.
//
// Which backend a client is on is read from the backends' logs. Nothing
// sleeps: every wait is on an event, with a deadline.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { io } from 'socket.io-client';
import { waitFor, withTimeout, collector } from './support.mjs';
import { startRedis, waitNumSub } from './cluster_support.mjs';
import { startNginxCluster } from './nginx_support.mjs';

const TOKEN = 'nginx-cluster-token';
const ADDRESSES = 16; // source addresses of the sticky clients
const WS_ONLY = 4;
const T = { timeout: 30_000 };
const SHARED = 'everyone';

let redis;
let cluster;
const agents = [];
const opened = []; // every client made, connected or not, closed at the end
const clients = { polling: [], websocket: [], upgrade: [] };
const all = () => [...clients.polling, ...clients.websocket, ...clients.upgrade];

/** The ack of `event`, with a deadline. */
function ask(s, event, arg) {
  return withTimeout(new Promise((resolve) => s.emit(event, arg, resolve)), 5000, `${s.name}: the ack of '${event}'`);
}

/** A connected client named `name`, from 127.0.0.`from` when given; its backend found. */
async function connect(name, opts, from) {
  let agent;
  if (from) {
    agent = new http.Agent({ keepAlive: true, localAddress: `127.0.0.${from}` });
    agents.push(agent);
  }
  const s = io(cluster.url, {
    forceNew: true, reconnection: false, timeout: 5000, auth: { name },
    ...(agent && { agent, localAddress: agent.options.localAddress }), ...opts,
  });
  opened.push(s);
  s.name = name;
  s.messages = collector(s, 'message');
  await waitFor(s, 'connect', 10_000, { rejectOn: ['connect_error'] });
  s.backend = await cluster.backendOfSocket(s.id);
  return s;
}

/** The client's transport once any upgrade is over. */
async function settled(s) {
  if (s.io.engine.transport.name === 'polling' && s.io.opts.transports.includes('websocket') &&
      s.io.opts.upgrade !== false) {
    await waitFor(s.io.engine, 'upgrade', 10_000, { rejectOn: ['close', 'upgradeError'] });
  }
  return s.io.engine.transport.name;
}

/** Message text and sender of what a client received. */
const seen = (m) => ({ room: m.room, from: m.from, text: m.text });

/** Every client joins a room of its own, sends three messages and gets them back, in order. */
async function roundTrips(list) {
  await Promise.all(list.map(async (s) => {
    const room = `own-${s.name}`;
    assert.deepEqual(await ask(s, 'join', room), { ok: true });
    const texts = [1, 2, 3].map((k) => `${s.name} #${k}`);
    for (const text of texts) assert.deepEqual(await ask(s, 'message', { room, text }), { ok: true });
    const got = await s.messages.take(3, 5000);
    assert.deepEqual(got.map(seen), texts.map((text) => ({ room, from: s.name, text })));
  }));
}

const backendsOf = (list) => [...new Set(list.map((s) => s.backend))].sort();

describe('nginx in front of two sio-server processes joined through Redis', () => {
  before(async () => {
    redis = await startRedis();
    cluster = await startNginxCluster({ args: ['--redis', redis.url, '--api-token', TOKEN] });
    await waitNumSub(redis.url, 'socket.io-request#/#', 2);
    const sticky = Array.from({ length: ADDRESSES }, (_, i) => i + 1);
    clients.polling = await Promise.all(sticky.map((a) =>
      connect(`poll-${a}`, { transports: ['polling'], upgrade: false }, a)));
    // One after the other: each goes to the backend with fewer connections.
    for (let i = 0; i < WS_ONLY; i++) clients.websocket.push(await connect(`ws-${i}`, { transports: ['websocket'] }));
    clients.upgrade = await Promise.all(sticky.map((a) => connect(`up-${a}`, {}, a)));
  });

  after(async () => {
    for (const s of opened) s.disconnect();
    for (const a of agents) a.destroy();
    try {
      await cluster?.stop();
    } finally {
      await redis?.stop();
    }
  });

  /** Runs fn; on failure adds nginx's and the backends' output to the error. */
  async function diag(fn) {
    try {
      return await fn();
    } catch (err) {
      err.message += `\n${cluster ? cluster.outputs() : ''}`;
      throw err;
    }
  }

  it('long-polling clients keep to the backend of their address, and both backends get some', T, () => diag(async () => {
    assert.deepEqual(backendsOf(clients.polling), [0, 1]);
    await roundTrips(clients.polling);
    for (const s of clients.polling) {
      assert.equal(s.io.engine.transport.name, 'polling', s.name);
      assert.ok(s.connected, `${s.name} still connected`);
    }
    // Same address, same backend.
    for (let a = 0; a < ADDRESSES; a++) {
      assert.equal(clients.upgrade[a].backend, clients.polling[a].backend, `the backend of 127.0.0.${a + 1}`);
    }
  }));

  it('WebSocket-only clients need no stickiness: they are spread over both backends', T, () => diag(async () => {
    assert.deepEqual(clients.websocket.map((s) => s.backend).sort(), [0, 0, 1, 1]);
    await roundTrips(clients.websocket);
    for (const s of clients.websocket) assert.equal(s.io.engine.transport.name, 'websocket', s.name);
  }));

  it('upgrading clients move to WebSocket on the backend of their polling session', T, () => diag(async () => {
    for (const s of clients.upgrade) assert.equal(await settled(s), 'websocket', s.name);
    assert.deepEqual(backendsOf(clients.upgrade), [0, 1]);
    await roundTrips(clients.upgrade);
    for (const s of clients.upgrade) assert.ok(s.connected, `${s.name} still connected`);
  }));

  it('a chat message reaches the clients of its room on both backends', T, () => diag(async () => {
    const everyone = all();
    for (const s of everyone) assert.deepEqual(await ask(s, 'join', SHARED), { ok: true });
    // A polling client of each backend speaks; every client hears both.
    const speakers = [0, 1].map((b) => clients.polling.find((s) => s.backend === b));
    for (const s of speakers) {
      const text = `${s.name} on backend ${s.backend} to everyone`;
      assert.deepEqual(await ask(s, 'message', { room: SHARED, text }), { ok: true });
      await Promise.all(everyone.map(async (r) => {
        const [m] = await r.messages.take(1, 5000);
        assert.deepEqual(seen(m), { room: SHARED, from: s.name, text }, `${r.name} (backend ${r.backend})`);
      }));
    }
  }));

  it('POST /api/emit through nginx reaches the clients of every backend', T, () => diag(async () => {
    const text = 'from the emit API';
    const res = await fetch(`${cluster.url}/api/emit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rooms: [SHARED], event: 'message', data: [{ room: SHARED, from: 'backend', text }] }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    await Promise.all(all().map(async (r) => {
      const [m] = await r.messages.take(1, 5000);
      assert.deepEqual(seen(m), { room: SHARED, from: 'backend', text }, `${r.name} (backend ${r.backend})`);
    }));
  }));
});
