// Two sio-server processes as one cluster through a real redis-server
// (--redis): started while Redis is down (they serve their own clients and
// say so once), then joined when it comes; the demo chat and the HTTP emit
// API then reach the clients of both.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startCNode, startRedis, waitNumSub, waitOutput } from './cluster_support.mjs';
import { collector, diag, stopChecked, tracker, waitFor, withTimeout } from './support.mjs';

const T = { timeout: 30_000 };
const TOKEN = 'cluster-token';

describe('two sio-server processes through Redis', () => {
  let redis;
  let port;
  let a;
  let b;
  const clients = tracker((c) => c.close());

  before(async () => {
    // A port Redis is not on yet: the servers start without it.
    const probe = await startRedis();
    port = probe.port;
    await probe.stop();
    const url = `redis://127.0.0.1:${port}`;
    [a, b] = await Promise.all([
      startCNode(url, 'sio-server', ['--api-token', TOKEN, '--no-static']),
      startCNode(url, 'sio-server', ['--api-token', TOKEN, '--no-static']),
    ]);
  });
  after(async () => {
    clients.closeAll();
    const results = await Promise.allSettled([stopChecked(a), stopChecked(b)]);
    await redis?.stop();
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });
  afterEach(() => clients.closeAll());

  async function member(server, room) {
    const c = clients.track(io(server.url, { forceNew: true, reconnection: false, transports: ['websocket'] }));
    await waitFor(c, 'connect', 5000, { rejectOn: ['connect_error'] });
    const ok = await withTimeout(new Promise((resolve) => c.emit('join', room, resolve)), 5000, 'join');
    assert.deepEqual(ok, { ok: true });
    return c;
  }

  const api = (server, body) => fetch(`${server.url}/api/emit`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (res) => ({ status: res.status, json: await res.json() }));

  it('without Redis each serves its own clients, and says once that Redis is down', T, () => diag(a, async () => {
    const x = await member(a, 'solo');
    const y = await member(a, 'solo');
    const got = collector(y, 'message');
    x.emit('message', { room: 'solo', text: 'hello' });
    const [m] = await got.take(1);
    assert.equal(m.text, 'hello');
    const res = await api(a, { rooms: ['solo'], event: 'news', data: [1] });
    assert.deepEqual(res, { status: 200, json: { recipients: 2 } });
    for (const s of [a, b]) {
      assert.match(s.output(), new RegExp(`cluster: joining through Redis at 127\\.0\\.0\\.1:${port}/0`));
      await waitOutput(s, /Redis is down/);
      assert.equal(s.output().match(/Redis is down/g)?.length, 1, s.output());
    }
  }));

  it('once Redis is up, chat messages and the emit API reach the clients of both', T, () => diag(b, async () => {
    redis = await startRedis(port);
    await waitNumSub(redis.url, 'socket.io-request#/#', 2, 10_000);
    const x = await member(a, 'lobby');
    const y = await member(b, 'lobby');
    const got = collector(y, 'message');
    x.emit('message', { room: 'lobby', text: 'across' });
    const [m] = await got.take(1);
    assert.equal(m.text, 'across');
    const news = [x, y].map((c) => waitFor(c, 'news'));
    const res = await api(a, { rooms: ['lobby'], event: 'news', data: ['for everyone'] });
    // The count is this server's own recipients; the other's get it through Redis.
    assert.deepEqual(res, { status: 200, json: { recipients: 1 } });
    assert.deepEqual(await Promise.all(news), ['for everyone', 'for everyone']);
    for (const s of [a, b]) await waitOutput(s, /Redis is up/);
  }));
});
