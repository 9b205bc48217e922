// A mixed cluster through a real redis-server: two C nodes (sio-echo
// --redis) and one Node node (socket.io 4.8 with @socket.io/redis-adapter
// 8.3), socket.io-client 4.x clients on each, and @socket.io/redis-emitter
// 5.1. Every server-wide operation is started on one kind of node and
// checked on the other's clients. The C nodes expose the operations through
// sio-echo's /cluster namespace (an event each, the result in its ack).
//
// Nothing sleeps to synchronise: a node publishes in order and Redis
// delivers in order, so a broadcast sent after a request arrives after the
// request was acted on; other waits are for events, with deadlines.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { Emitter } from '@socket.io/redis-emitter';
import { redisClient, startCNode, startNodeNode, startRedis, waitNumSub, waitOutput } from './cluster_support.mjs';
import { collector, norm, stopChecked, tracker, waitFor, withTimeout } from './support.mjs';

const T = { timeout: 30_000 };
const NSPS = ['/', '/cluster'];

describe('mixed cluster: two C nodes and a Node node through Redis', () => {
  let redis;
  let c1;
  let c2;
  let node;
  const clients = tracker((c) => c.close());

  async function waitServers(n) {
    for (const nsp of NSPS) await waitNumSub(redis.url, `socket.io-request#${nsp}#`, n, 10_000);
  }

  before(async () => {
    redis = await startRedis();
    [c1, c2, node] = await Promise.all([startCNode(redis.url), startCNode(redis.url), startNodeNode(redis.url)]);
    await node.cmd('serverCount', { nsp: '/cluster' }); // makes the namespace there
    await waitServers(3);
  });
  after(async () => {
    clients.closeAll();
    await node?.stop();
    // C nodes must exit 0 on SIGTERM, sanitizers quiet, Redis up or not.
    const results = await Promise.allSettled([stopChecked(c1), stopChecked(c2)]);
    await redis?.stop();
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  });
  afterEach(() => clients.closeAll());

  async function connect(server, nsp = '/cluster', auth = {}, transport = 'websocket') {
    const opts = transport === 'polling' ? { transports: ['polling'], upgrade: false } : { transports: ['websocket'] };
    const c = clients.track(io(server.url + nsp, { auth, forceNew: true, reconnection: false, ...opts }));
    await waitFor(c, 'connect', 5000, { rejectOn: ['connect_error'] });
    return c;
  }

  function ask(s, event, ...args) {
    return withTimeout(new Promise((resolve) => s.emit(event, ...args, (...reply) => resolve(reply))),
      8000, `the ack of '${event}'`);
  }

  // A C client in rooms of its own node (a local join: no message to others).
  async function cClient(server, rooms = [], transport = 'websocket') {
    const c = await connect(server, '/cluster', {}, transport);
    if (rooms.length) assert.deepEqual(await ask(c, 'join', { rooms: [c.id], join: rooms, local: true }), [1]);
    return c;
  }

  const nodeClient = (rooms = [], data) => connect(node, '/cluster', { rooms, data });

  it('Node counts three servers; a C node counts them too', T, async () => {
    assert.equal(await node.cmd('serverCount', { nsp: '/cluster' }), 3);
    assert.equal(await node.cmd('serverCount', { nsp: '/' }), 3);
  });

  it('a broadcast from Node reaches the rooms of both C nodes, except rooms applied, binary intact', T, async () => {
    const a = await cClient(c1, ['r1']);
    const b = await cClient(c2, ['r1', 'muted'], 'polling');
    const out = await cClient(c2, ['r2']);
    const [ga, gb, gout] = [a, b, out].map((c) => {
      const all = [];
      c.on('msg', (...args) => all.push(norm(args)));
      return all;
    });
    const ends = [a, b, out].map((c) => new Promise((resolve) => {
      c.on('msg', (x) => { if (x === 'end') resolve(); });
    }));
    await node.cmd('emit', { nsp: '/cluster', rooms: ['r1'], event: 'msg', args: ['to r1', { n: 1.5 }, { $bin: '00ff10' }] });
    await node.cmd('emit', { nsp: '/cluster', except: ['muted'], event: 'msg', args: ['not muted'] });
    await node.cmd('emit', { nsp: '/cluster', event: 'msg', args: ['end'] });
    await withTimeout(Promise.all(ends), 5000, 'the last broadcast');
    assert.deepEqual(ga, [['to r1', { n: 1.5 }, { bin: '00ff10' }], ['not muted'], ['end']]);
    assert.deepEqual(gb, [['to r1', { n: 1.5 }, { bin: '00ff10' }], ['end']]);
    assert.deepEqual(gout, [['not muted'], ['end']]);
  });

  it('a broadcast from a C node reaches the other C node and Node, binary intact', T, async () => {
    const sender = await connect(c1, '/');
    const other = await connect(c2, '/', {}, 'polling');
    const nodeSide = await connect(node, '/');
    const got = [other, nodeSide].map((c) => waitFor(c, 'broadcast-back'));
    const all = [];
    other.on('broadcast-back', (...args) => all.push(norm(args)));
    nodeSide.on('broadcast-back', (...args) => all.push(norm(args)));
    sender.emit('broadcast', 'hi', Buffer.from([1, 2, 3, 250]), { deep: [Buffer.from('ab')] });
    await Promise.all(got);
    assert.deepEqual(all, [
      ['hi', { bin: '010203fa' }, { deep: [{ bin: '6162' }] }],
      ['hi', { bin: '010203fa' }, { deep: [{ bin: '6162' }] }],
    ]);
  });

  it('rooms and except rooms of a C broadcast are applied by the other nodes', T, async () => {
    const sender = await cClient(c1);
    const inNode = await nodeClient(['news']);
    const mutedNode = await nodeClient(['news', 'quiet']);
    const inC2 = await cClient(c2, ['news']);
    const seen = [inNode, mutedNode, inC2].map((c) => collector(c, 'n'));
    assert.deepEqual(await ask(sender, 'broadcast', { rooms: ['news'], except: ['quiet'], event: 'n', args: [1] }), [0]);
    assert.deepEqual(await ask(sender, 'broadcast', { rooms: ['news'], event: 'n', args: [2] }), [0]);
    assert.deepEqual(await seen[0].take(2), [1, 2]);
    assert.deepEqual(await seen[1].take(1), [2]);
    assert.deepEqual(await seen[2].take(2), [1, 2]);
  });

  it('fetchSockets from Node lists the C sockets with their rooms and data', T, async () => {
    const a = await cClient(c1, ['team']);
    const b = await cClient(c2, ['team']);
    assert.deepEqual(await ask(a, 'set-data', { name: 'ann' }), [0]);
    const sockets = await node.cmd('fetchSockets', { nsp: '/cluster', rooms: ['team'] });
    const byId = Object.fromEntries(sockets.map((s) => [s.id, s]));
    assert.deepEqual(Object.keys(byId).sort(), [a.id, b.id].sort());
    assert.deepEqual(byId[a.id].rooms.sort(), [a.id, 'team'].sort());
    assert.deepEqual(byId[a.id].data, { name: 'ann' });
    assert.deepEqual(byId[b.id].data, {});
  });

  it('fetch sockets from a C node lists those of Node and of the other C node', T, async () => {
    const asker = await cClient(c1);
    const n = await nodeClient(['crew'], { name: 'bob' });
    const b = await cClient(c2, ['crew']);
    const [r] = await ask(asker, 'fetch', { rooms: ['crew'] });
    assert.equal(r.err, 0);
    const byId = Object.fromEntries(r.sockets.map((s) => [s.id, s]));
    assert.deepEqual(Object.keys(byId).sort(), [n.id, b.id].sort());
    assert.deepEqual(byId[n.id].rooms.sort(), [n.id, 'crew'].sort());
    assert.deepEqual(byId[n.id].data, { name: 'bob' });
    assert.deepEqual(byId[n.id].handshake.auth, { rooms: ['crew'], data: { name: 'bob' } });
    assert.equal(byId[n.id].local, false);
    assert.equal(byId[b.id].handshake.address, '127.0.0.1');
  });

  it('socketsJoin and socketsLeave from Node move C sockets', T, async () => {
    const a = await cClient(c1, ['j1']);
    const b = await cClient(c2, ['j1']);
    const seen = [a, b].map((c) => collector(c, 'j'));
    await node.cmd('socketsJoin', { nsp: '/cluster', rooms: ['j1'], join: ['j2'] });
    await node.cmd('emit', { nsp: '/cluster', rooms: ['j2'], event: 'j', args: ['in j2'] });
    assert.deepEqual(await seen[0].take(1), ['in j2']);
    assert.deepEqual(await seen[1].take(1), ['in j2']);
    await node.cmd('socketsLeave', { nsp: '/cluster', rooms: ['j1'], leave: ['j2'] });
    await node.cmd('emit', { nsp: '/cluster', rooms: ['j2'], event: 'j', args: ['left'] });
    await node.cmd('emit', { nsp: '/cluster', rooms: ['j1'], event: 'j', args: ['still j1'] });
    assert.deepEqual(await seen[0].take(1), ['still j1']);
    assert.deepEqual(await seen[1].take(1), ['still j1']);
  });

  it('socketsJoin and socketsLeave from a C node move Node\'s and the other C node\'s sockets', T, async () => {
    const asker = await cClient(c1);
    const n = await nodeClient(['k1']);
    const b = await cClient(c2, ['k1']);
    const seen = [n, b].map((c) => collector(c, 'k'));
    assert.deepEqual(await ask(asker, 'join', { rooms: ['k1'], join: ['k2'] }), [0]);
    assert.deepEqual(await ask(asker, 'broadcast', { rooms: ['k2'], event: 'k', args: ['in k2'] }), [0]);
    assert.deepEqual(await seen[0].take(1), ['in k2']);
    assert.deepEqual(await seen[1].take(1), ['in k2']);
    assert.deepEqual(await ask(asker, 'leave', { rooms: ['k1'], join: ['k2'] }), [0]);
    assert.deepEqual(await ask(asker, 'broadcast', { rooms: ['k2'], event: 'k', args: ['left'] }), [0]);
    assert.deepEqual(await ask(asker, 'broadcast', { rooms: ['k1'], event: 'k', args: ['still k1'] }), [0]);
    assert.deepEqual(await seen[0].take(1), ['still k1']);
    assert.deepEqual(await seen[1].take(1), ['still k1']);
  });

  it('disconnectSockets acts across nodes both ways', T, async () => {
    const a = await cClient(c1, ['d1']);
    const b = await cClient(c2, ['d1']);
    const gone = [a, b].map((c) => waitFor(c, 'disconnect', 5000));
    await node.cmd('disconnectSockets', { nsp: '/cluster', rooms: ['d1'] });
    assert.deepEqual(await Promise.all(gone), ['io server disconnect', 'io server disconnect']);

    const asker = await cClient(c1);
    const n = await nodeClient(['d2']);
    const b2 = await cClient(c2, ['d2']);
    const gone2 = [n, b2].map((c) => waitFor(c, 'disconnect', 5000));
    assert.deepEqual(await ask(asker, 'disconnect-all', { rooms: ['d2'] }), [0]);
    assert.deepEqual(await Promise.all(gone2), ['io server disconnect', 'io server disconnect']);
    assert.equal(asker.connected, true);
  });

  it('serverSideEmit with acks: Node asks and both C nodes answer; a C node asks and the others answer', T, async () => {
    const replies = await node.cmd('serverSideEmit', { nsp: '/cluster', event: 'ping', args: ['from node', 7], ack: true });
    assert.deepEqual(replies, [['pong', ['from node', 7]], ['pong', ['from node', 7]]]);

    const asker = await cClient(c1);
    const [r] = await ask(asker, 'server-emit', 'ping', 'from c1', { x: 1 });
    assert.equal(r.err, 0);
    assert.deepEqual(r.replies, [['pong', ['from c1', { x: 1 }]], ['pong', ['from c1', { x: 1 }]]]);
  });

  it('a serverSideEmit without ack from Node reaches the C nodes\' handlers', T, async () => {
    const a = await cClient(c1);
    const b = await cClient(c2);
    const got = [a, b].map((c) => waitFor(c, 'server-event'));
    await node.cmd('serverSideEmit', { nsp: '/cluster', event: 'ping', args: ['no ack'] });
    assert.deepEqual(await Promise.all(got), ['ping', 'ping']);
  });

  it('a broadcast with acks collects the replies of every node\'s clients, from C and from Node', T, async () => {
    const members = [await cClient(c1, ['q']), await cClient(c2, ['q'], 'polling'), await nodeClient(['q'])];
    members.forEach((c, i) => c.on('question', (n, ack) => ack(n * 2 + i)));
    const asker = await cClient(c2);
    const [r] = await ask(asker, 'broadcast-ack', { rooms: ['q'], event: 'question', args: [21], timeout: 4000 });
    assert.equal(r.err, 0);
    assert.deepEqual(r.replies.sort(), [42, 43, 44]);
    const fromNode = await node.cmd('emitWithAck', { nsp: '/cluster', rooms: ['q'], event: 'question', args: [10], timeout: 4000 });
    assert.deepEqual(fromNode.sort(), [20, 21, 22]);
  });

  it('@socket.io/redis-emitter reaches the C nodes\' clients: rooms, except, namespaces, join, leave, disconnect, serverSideEmit', T, async () => {
    const pub = await redisClient(redis.url);
    try {
      const emitter = new Emitter(pub);
      const a = await cClient(c1, ['e1']);
      const b = await cClient(c2, ['e1', 'ex']);
      const root = await connect(c2, '/');
      const seen = [a, b].map((c) => collector(c, 'e'));
      const rootSeen = collector(root, 'e');
      emitter.of('/cluster').to('e1').except('ex').emit('e', 'to e1', Buffer.from([9, 8]));
      emitter.of('/cluster').in('e1').socketsJoin('e2');
      emitter.of('/cluster').to('e2').emit('e', 'in e2');
      emitter.of('/cluster').in('e1').socketsLeave('e2');
      emitter.of('/cluster').to('e2').emit('e', 'nobody');
      emitter.emit('e', 'root namespace');
      emitter.of('/cluster').emit('e', 'everyone');
      const [first, second, third] = await seen[0].take(3);
      assert.equal(first, 'to e1');
      assert.deepEqual([second, third], ['in e2', 'everyone']);
      assert.deepEqual(await seen[1].take(2), ['in e2', 'everyone']);
      assert.deepEqual(await rootSeen.take(1), ['root namespace']);

      const binary = [];
      a.once('e', (...args) => binary.push(norm(args)));
      emitter.of('/cluster').to(a.id).emit('e', 'bin', Buffer.from([9, 8]));
      await waitFor(a, 'e');
      assert.deepEqual(binary, [['bin', { bin: '0908' }]]);

      const events = [a, b].map((c) => waitFor(c, 'server-event'));
      emitter.of('/cluster').serverSideEmit('ping', 'from emitter');
      assert.deepEqual(await Promise.all(events), ['ping', 'ping']);

      const gone = waitFor(b, 'disconnect');
      emitter.of('/cluster').in('ex').disconnectSockets();
      assert.equal(await gone, 'io server disconnect');
      assert.equal(a.connected, true);
    } finally {
      await pub.quit();
    }
  });

  it('Redis stopped and restarted: local traffic goes on, requests time out, cross-node traffic resumes', T, async () => {
    const a = await cClient(c1, ['o1']);
    const a2 = await cClient(c1, ['o1']);
    const b = await cClient(c2, ['o1']);
    const port = redis.port;
    await redis.stop();
    // This node's own clients are served as before.
    const local = collector(a2, 'o');
    assert.deepEqual(await ask(a, 'broadcast', { rooms: ['o1'], event: 'o', args: ['during'] }), [2]);
    assert.deepEqual(await local.take(1), ['during']);
    const echo = await connect(c1, '/');
    const back = waitFor(echo, 'message-back');
    echo.emit('message', 'still here');
    assert.equal(await back, 'still here');
    // A request that needs the other servers ends at its timeout, with an error.
    const [r] = await ask(a, 'fetch', { rooms: ['o1'], timeout: 500 });
    assert.notEqual(r.err, 0);
    assert.deepEqual(r.sockets.map((s) => s.id).sort(), [a.id, a2.id].sort());

    redis = await startRedis(port);
    await waitServers(3);
    const seen = collector(b, 'o');
    assert.deepEqual(await ask(a, 'broadcast', { rooms: ['o1'], event: 'o', args: ['after'] }), [2]);
    assert.deepEqual(await seen.take(1), ['after']);
    const [all] = await ask(a, 'fetch', { rooms: ['o1'] });
    assert.equal(all.err, 0);
    assert.deepEqual(all.sockets.map((s) => s.id).sort(), [a.id, a2.id, b.id].sort());
    // One line per change of state.
    for (const c of [c1, c2]) {
      await waitOutput(c, /Redis is up[\s\S]*Redis is up/);
      assert.equal(c.output().match(/Redis is down/g)?.length, 1, c.output());
      assert.equal(c.output().match(/Redis is up/g)?.length, 2, c.output());
    }
  });
});
