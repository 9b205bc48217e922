// The admin UI's socket list (all_sockets) in a cluster: two sio-server
// processes joined through a real redis-server, each with socket.io-client
// 4.x clients, and a UI (driven as admin_ui.test.mjs drives it) connected to
// the first. Its list holds the sockets of both nodes, with the fields Node's
// @socket.io/admin-ui sends for them; it hears the other node's stats and
// sockets as they come and go, as with Node, though no UI is connected
// there; with a node that does not answer (its
// process stopped by SIGSTOP, still subscribed in Redis) the list comes after
// the requests timeout with the live node's sockets; with a node gone from
// Redis it comes at once. Then a mixed cluster: a Node socket.io node
// (@socket.io/redis-adapter, no admin UI) whose socket the C UI lists without
// clientId and transport, as Node's UI does, and whose fetchSockets() reads
// the C sockets' clientId and transport where Node's admin UI reads them
// (data._admin); and a server stopped while a UI's list still waits.
//
// Every wait has a deadline; nothing sleeps.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { io } from 'socket.io-client';
import { adminClient } from './admin_support.mjs';
import { captureCluster, startCNode, startNodeNode, startRedis, waitNumSub } from './cluster_support.mjs';
import { buildDir, diag, fmt, stopChecked, tracker, waitFor } from './support.mjs';

const T = { timeout: 30_000 };
const USER = 'admin';
const PASSWORD = 'cluster admin password';
const REQUESTS_TIMEOUT = 1500;
const HASH = execFileSync(path.join(buildDir(), 'sio-server'), ['--hash-password'], { input: PASSWORD + '\n' })
  .toString().trim();

function adminNode(redisUrl, id) {
  return startCNode(redisUrl, 'sio-server', [
    '--no-static', '--no-admin-ui', '--admin-user', USER, '--admin-password-hash', HASH,
    '--admin-server-id', id, '--requests-timeout', String(REQUESTS_TIMEOUT),
  ]);
}

const clients = tracker((c) => c.disconnect());
afterEach(() => clients.closeAll());

async function connected(socket) {
  clients.track(socket);
  await waitFor(socket, 'connect', 5000, { rejectOn: ['connect_error'] });
  return socket;
}

/** A chat client on "/" that joined `room` (sio-server's chat acks {ok: true}). */
async function chatClient(server, transports, room) {
  const c = await connected(io(server.url, { forceNew: true, reconnection: false, transports, upgrade: false }));
  if (room) assert.deepEqual(await c.timeout(5000).emitWithAck('join', room), { ok: true });
  return c;
}

/** A UI logged in to `server`: resolves with it and the all_sockets it got, and how long that took. */
async function uiList(server, ms = 5000) {
  const started = performance.now();
  const ui = await connected(adminClient(server.url, { username: USER, password: PASSWORD }));
  const [sockets] = await ui.next('all_sockets', () => true, ms);
  return { ui, sockets, byId: new Map(sockets.map((s) => [s.id, s])), elapsed: performance.now() - started };
}

/** A chat socket as the UI must show it, wherever it is. */
function checkChatSocket(entry, client, transport, rooms) {
  assert.ok(entry, `socket ${client.id} missing`);
  assert.equal(entry.nsp, '/');
  assert.equal(entry.clientId, client.io.engine.id.slice(0, 12));
  assert.equal(entry.transport, transport);
  assert.deepEqual(entry.rooms, [client.id, ...rooms]);
  assert.deepEqual(entry.data, {}, 'data without the _admin it travelled with');
  assert.equal(entry.handshake.address, '127.0.0.1');
  assert.equal(typeof entry.handshake.headers, 'object');
  assert.match(entry.handshake.url, /^\/socket\.io\/\?/);
  assert.equal(typeof entry.handshake.issued, 'number');
  assert.equal(entry.handshake.auth, undefined);
}

/** Closes the clients, waits for the nodes' stops, then stops Redis; throws the first failure. */
async function stopAll(redis, ...stops) {
  clients.closeAll();
  const results = await Promise.allSettled(stops);
  await redis?.stop();
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

describe('admin UI: all_sockets across two C nodes through Redis', () => {
  let redis;
  let a;
  let b;

  before(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([adminNode(redis.url, 'node-a'), adminNode(redis.url, 'node-b')]);
    for (const nsp of ['/', '/admin']) await waitNumSub(redis.url, `socket.io-request#${nsp}#`, 2);
  });
  after(async () => {
    if (b && b.proc.signalCode === null && b.proc.exitCode === null) b.proc.kill('SIGCONT');
    await stopAll(redis, stopChecked(a), stopChecked(b));
  });

  it('lists the sockets of both nodes, with the fields of Node\'s admin UI', T, () => diag(a, async () => {
    const onA = await chatClient(a, ['polling'], 'lobby');
    const onB1 = await chatClient(b, ['websocket'], 'lobby');
    const onB2 = await chatClient(b, ['polling']);
    // A UI on B: a socket of the namespace /admin there, whose handshake
    // carried the password through Redis.
    const otherUi = await connected(adminClient(b.url, { username: USER, password: PASSWORD }));
    const { sockets, byId, elapsed } = await uiList(a);
    assert.ok(elapsed < REQUESTS_TIMEOUT, `every node answered: no wait for the timeout (${elapsed} ms)`);
    checkChatSocket(byId.get(onA.id), onA, 'polling', ['lobby']);
    checkChatSocket(byId.get(onB1.id), onB1, 'websocket', ['lobby']);
    checkChatSocket(byId.get(onB2.id), onB2, 'polling', []);
    const o = byId.get(otherUi.id);
    assert.ok(o, `the other UI's socket: ${fmt(sockets)}`);
    assert.equal(o.nsp, '/admin');
    assert.equal(o.clientId, otherUi.io.engine.id.slice(0, 12));
    assert.equal(o.handshake.auth, undefined);
    assert.ok(!JSON.stringify(sockets).includes(PASSWORD), 'the password appears nowhere');
    assert.equal(new Set(sockets.map((s) => s.id)).size, sockets.length, 'each socket once');
    assert.equal(sockets.filter((s) => s.nsp === '/').length, 3, fmt(sockets));
  }));

  it('tells a UI on one node of the other\'s stats and sockets, though no UI is connected there', T, () =>
    diag(b, async () => {
      const { ui } = await uiList(a);
      const [stats] = await ui.next('server_stats', (st) => st.serverId === 'node-b', 6000);
      assert.equal(stats.pid, b.proc.pid);
      const onB = await chatClient(b, ['websocket']);
      const [sock] = await ui.next('socket_connected', (x) => x.id === onB.id);
      checkChatSocket(sock, onB, 'websocket', []);
      const id = onB.id;
      onB.disconnect();
      const [nsp, , reason] = await ui.next('socket_disconnected', (_, sid) => sid === id);
      assert.equal(nsp, '/');
      assert.equal(reason, 'client namespace disconnect');
    }));

  it('sends the live node\'s sockets after the requests timeout when a node does not answer', T, () =>
    diag(a, async () => {
      const onA = await chatClient(a, ['websocket']);
      const onB = await chatClient(b, ['websocket']);
      b.proc.kill('SIGSTOP'); // still subscribed: counted, but silent
      try {
        const { byId, elapsed } = await uiList(a, REQUESTS_TIMEOUT + 5000);
        assert.ok(elapsed >= REQUESTS_TIMEOUT, `the list waited for the timeout (${elapsed} ms)`);
        checkChatSocket(byId.get(onA.id), onA, 'websocket', []);
        assert.equal(byId.get(onB.id), undefined, 'the silent node\'s socket is not listed');
      } finally {
        b.proc.kill('SIGCONT');
      }
      // The node answers again once it runs.
      const { byId } = await uiList(a);
      checkChatSocket(byId.get(onB.id), onB, 'websocket', []);
    }));

  it('sends the list at once when a node has left the cluster', T, () => diag(a, async () => {
    const onA = await chatClient(a, ['polling']);
    await stopChecked(b);
    await waitNumSub(redis.url, 'socket.io-request#/#', 1);
    const { byId, sockets, elapsed } = await uiList(a);
    assert.ok(elapsed < REQUESTS_TIMEOUT, `no wait for the timeout (${elapsed} ms)`);
    checkChatSocket(byId.get(onA.id), onA, 'polling', []);
    assert.equal(sockets.filter((s) => s.nsp === '/').length, 1, fmt(sockets));
  }));
});

describe('admin UI: all_sockets in a cluster with a Node node', () => {
  let redis;
  let c;
  let node;

  before(async () => {
    redis = await startRedis();
    [c, node] = await Promise.all([adminNode(redis.url, 'node-c'), startNodeNode(redis.url)]);
    await waitNumSub(redis.url, 'socket.io-request#/#', 2);
  });
  after(() => stopAll(redis, stopChecked(c), node?.stop()));

  it('lists the Node node\'s socket as Node\'s admin UI does, and shares clientId and transport with it', T, () =>
    diag(c, async () => {
      const onC = await chatClient(c, ['websocket'], 'mixed');
      const onNode = await connected(io(node.url, {
        forceNew: true, reconnection: false, transports: ['websocket'],
        auth: { rooms: ['mixed'], data: { name: 'from node' } },
      }));
      const { byId, sockets } = await uiList(c);
      checkChatSocket(byId.get(onC.id), onC, 'websocket', ['mixed']);
      const n = byId.get(onNode.id);
      assert.ok(n, `the Node node's socket: ${fmt(sockets)}`);
      assert.equal(n.nsp, '/');
      assert.deepEqual(n.rooms, [onNode.id, 'mixed']);
      assert.deepEqual(n.data, { name: 'from node' });
      assert.equal(n.handshake.address, '127.0.0.1');
      assert.match(n.handshake.url, /^\/socket\.io\/\?/);
      assert.equal(n.handshake.auth, undefined, 'the handshake without auth');
      // A node without the admin UI keeps no _admin: Node's UI leaves these out.
      assert.ok(!('clientId' in n) && !('transport' in n), fmt(n));
      // What Node's admin UI reads of a C socket (socket.data._admin).
      const fetched = await node.cmd('fetchSockets', {});
      const mine = fetched.find((s) => s.id === onC.id);
      assert.ok(mine, fmt(fetched));
      assert.deepEqual(mine.data, { _admin: { clientId: onC.io.engine.id.slice(0, 12), transport: 'websocket' } });
    }));

  it('stops cleanly while a UI\'s list still waits for a node', T, () => diag(c, async () => {
    const capture = await captureCluster(redis.url);
    node.proc.kill('SIGSTOP');
    try {
      const ui = await connected(adminClient(c.url, { username: USER, password: PASSWORD }));
      await capture.next((m) => {
        try { return m.channel === 'socket.io-request#/#' && JSON.parse(m.bytes.toString()).type === 5; }
        catch { return false; }
      });
      assert.equal(ui.events.filter((e) => e.event === 'all_sockets').length, 0, 'the list waits');
      await stopChecked(c); // exits 0, and under the sanitizers without a report
    } finally {
      node.proc.kill('SIGCONT');
      await capture.stop();
    }
  }));
});

describe('admin UI: all_sockets between a C node and a Node node that both run it', () => {
  let redis;
  let c;
  let node;

  before(async () => {
    redis = await startRedis();
    [c, node] = await Promise.all([adminNode(redis.url, 'node-c'), startNodeNode(redis.url, { adminUi: true })]);
    for (const nsp of ['/', '/admin']) await waitNumSub(redis.url, `socket.io-request#${nsp}#`, 2);
  });
  after(() => stopAll(redis, stopChecked(c), node?.stop()));

  it('each UI lists the other node\'s sockets with their clientId and transport', T, () => diag(c, async () => {
    const onC = await chatClient(c, ['polling'], 'both');
    const onNode = await connected(io(node.url, {
      forceNew: true, reconnection: false, transports: ['websocket'], auth: { rooms: ['both'] },
    }));
    // The C node's UI: the Node socket as Node's admin UI keeps it (data._admin).
    const fromC = await uiList(c);
    const n = fromC.byId.get(onNode.id);
    assert.ok(n, `the Node node's socket: ${fmt(fromC.sockets)}`);
    assert.equal(n.clientId, onNode.io.engine.id.slice(0, 12));
    assert.equal(n.transport, 'websocket');
    assert.deepEqual(n.data, {});
    assert.deepEqual(n.rooms, [onNode.id, 'both']);
    assert.equal(n.handshake.auth, undefined);
    checkChatSocket(fromC.byId.get(onC.id), onC, 'polling', ['both']);
    // Node's admin UI (no auth there): the C socket, clientId and transport included.
    const nodeUi = await connected(adminClient(node.url, undefined));
    const [fromNode] = await nodeUi.next('all_sockets');
    checkChatSocket(fromNode.find((s) => s.id === onC.id), onC, 'polling', ['both']);
    const cUi = fromNode.find((s) => s.id === fromC.ui.id);
    assert.ok(cUi, `the C node's UI socket, listed by Node's: ${fmt(fromNode)}`);
    assert.equal(cUi.nsp, '/admin');
    assert.equal(cUi.clientId, fromC.ui.io.engine.id.slice(0, 12));
    assert.ok(!JSON.stringify(fromNode).includes(PASSWORD), 'Node\'s list has no password either');
  }));
});
