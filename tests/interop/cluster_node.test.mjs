// The cluster test bench, Node to Node: a real redis-server and two Node
// socket.io 4.8 nodes joined by @socket.io/redis-adapter 8.3, with
// socket.io-client 4.x clients. What passes here is the reference a C node
// must match when it joins the same cluster.
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startRedis, startNodeNode, waitNumSub } from './cluster_support.mjs';
import { collector, norm, tracker, waitFor, withTimeout } from './support.mjs';

describe('Node cluster through Redis (reference bench)', () => {
  let redis;
  let a;
  let b;
  const clients = tracker((c) => c.close());

  before(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([startNodeNode(redis.url), startNodeNode(redis.url)]);
    // Each node subscribes to the request channel of its namespaces: that
    // is how the cluster counts its servers.
    await waitNumSub(redis.url, 'socket.io-request#/#', 2);
    await waitNumSub(redis.url, 'socket.io-request#/custom#', 2);
  });
  after(async () => {
    clients.closeAll();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });
  afterEach(() => clients.closeAll());

  async function connect(node, auth = {}, nsp = '/') {
    const c = clients.track(io(node.url + nsp, { auth, transports: ['websocket'], reconnection: false }));
    await waitFor(c, 'connect', 5000, { rejectOn: ['connect_error'] });
    return c;
  }

  it('counts two servers', async () => {
    assert.equal(await a.cmd('serverCount'), 2);
  });

  it('a broadcast from one node reaches the clients of the other, binary intact', async () => {
    const c = await connect(b);
    const got = collector(c, 'news');
    await a.cmd('emit', { event: 'news', args: ['hello', { n: 1.5 }, { $bin: '00ff10' }] });
    const [first] = await got.take(1);
    assert.equal(first, 'hello');
    // Listening before the emit: the event may arrive before the node's answer to the command.
    const again = new Promise((resolve) => c.once('news', (...args) => resolve(args)));
    await a.cmd('emit', { event: 'news', args: ['again', { n: 1.5 }, { $bin: '00ff10' }] });
    assert.deepEqual(norm(await withTimeout(again, 5000, "the second 'news'")), ['again', { n: 1.5 }, { bin: '00ff10' }]);
  });

  it('rooms and except rooms are applied by the receiving node', async () => {
    const inRoom = await connect(b, { rooms: ['r1'] });
    const outside = await connect(b, { rooms: ['r2'] });
    const seenIn = collector(inRoom, 'msg');
    const seenOut = collector(outside, 'msg');
    await a.cmd('emit', { rooms: ['r1'], event: 'msg', args: ['to r1'] });
    await a.cmd('emit', { except: ['r1'], event: 'msg', args: ['not r1'] });
    await a.cmd('emit', { event: 'msg', args: ['everyone'] });
    // One node publishes in order and the other delivers in order: by the
    // time 'everyone' arrives, anything else meant for a client has too.
    assert.deepEqual(await seenIn.take(2), ['to r1', 'everyone']);
    assert.deepEqual(await seenOut.take(2), ['not r1', 'everyone']);
  });

  it('fetchSockets lists the sockets of the other node with their rooms and data', async () => {
    const c = await connect(b, { rooms: ['team'], data: { name: 'bob' } });
    const sockets = await a.cmd('fetchSockets', { rooms: ['team'] });
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0].id, c.id);
    assert.deepEqual(sockets[0].rooms.sort(), [c.id, 'team'].sort());
    assert.deepEqual(sockets[0].data, { name: 'bob' });
  });

  it('socketsJoin from one node moves the sockets of the other', async () => {
    const c = await connect(b, { rooms: ['r5'] });
    const got = collector(c, 'joined');
    await a.cmd('socketsJoin', { rooms: ['r5'], join: ['r6'] });
    // The join travels as a request; wait until the other node has done it.
    const deadline = performance.now() + 5000;
    for (;;) {
      const s = await a.cmd('fetchSockets', { rooms: ['r6'] });
      if (s.some((x) => x.id === c.id)) break;
      assert.ok(performance.now() < deadline, 'socketsJoin not applied within 5 s');
    }
    await a.cmd('emit', { rooms: ['r6'], event: 'joined', args: [true] });
    assert.deepEqual(await got.take(1), [true]);
  });

  it('serverSideEmit with an ack is answered by the other node', async () => {
    const replies = await a.cmd('serverSideEmit', { event: 'sse', args: ['ping', { $bin: '01' }], ack: true });
    assert.equal(replies.length, 1);
    // The answer travels as JSON: a Buffer in it arrives as JSON.stringify
    // writes it (docs/cluster-protocol.md).
    assert.deepEqual(replies[0], [`ack from ${b.port}`, 'ping', { type: 'Buffer', data: [1] }]);
    const seen = await b.cmd('received');
    assert.ok(seen.some((r) => r.args[0] === 'ping'), JSON.stringify(seen));
  });

  it('a broadcast with acks collects the replies of the other node\'s clients', async () => {
    const c = await connect(b, { rooms: ['acks'] });
    c.on('question', (n, ack) => ack(n * 2));
    const replies = await a.cmd('emitWithAck', { rooms: ['acks'], event: 'question', args: [21], timeout: 3000 });
    assert.deepEqual(replies, [42]);
  });
});
