// Real traffic of a Node cluster: two socket.io 4.8 nodes with
// @socket.io/redis-adapter 8.3 and an @socket.io/redis-emitter 5.1 on a
// redis-server, driven through every kind of message the adapter and the
// emitter publish, each captured from Redis as it was sent.
//
//   const msgs = await captureEveryMessage(redis.url);
//   // [{ name, kind: 'broadcast'|'request'|'response', channel, bytes }]
//
// Used by redis_vectors.mjs (which keeps them in proto/redis/captured/) and
// by cluster_capture.test.mjs (which feeds them to our decoder live).
import msgpack from 'notepack.io';
import { Emitter } from '@socket.io/redis-emitter';
import { io as ioc } from 'socket.io-client';
import { startNodeNode, waitNumSub, captureCluster, redisClient } from './cluster_support.mjs';

export async function captureEveryMessage(redisUrl) {
  const nodes = [];
  const out = [];
  let client;
  let cap;
  let pub;
  try {
    nodes.push(await startNodeNode(redisUrl), await startNodeNode(redisUrl));
    const [a, b] = nodes;
    await waitNumSub(redisUrl, 'socket.io-request#/#', 2);
    cap = await captureCluster(redisUrl);
    client = ioc(b.url, { auth: { rooms: ['r1'], data: { name: 'bob' } }, transports: ['websocket'] });
    client.on('ev', (...args) => {
      const ack = args[args.length - 1];
      if (typeof ack === 'function') ack({ back: 'yes' });
    });
    await new Promise((resolve, reject) => { client.on('connect', resolve); client.on('connect_error', reject); });

    const on = (prefix) => (m) => m.channel.startsWith(prefix);
    const json = (m) => (m.bytes[0] === 0x7b ? JSON.parse(m.bytes) : null);
    const req = (pred) => (m) => on('socket.io-request#/#')(m) && pred(m);
    const res = (pred) => (m) => on('socket.io-response#/#')(m) && pred(m);
    const keep = async (name, kind, pred) => out.push({ name, kind, ...(await cap.next(pred)) });

    await a.cmd('emit', { rooms: ['r1'], except: ['x'], event: 'ev', args: [1, 1.5, 'é', { $bin: '0102' }, { k: [true, null] }] });
    await keep('broadcast-room', 'broadcast', on('socket.io#/#r1#'));
    await a.cmd('emit', { event: 'ev', args: [], volatile: true, rooms: ['r1', 'r2'] });
    await keep('broadcast-rooms-volatile', 'broadcast', on('socket.io#/#'));
    await a.cmd('fetchSockets', { rooms: ['r1'] });
    await keep('request-fetch', 'request', req((m) => json(m)?.type === 5));
    await keep('response-fetch', 'response', res((m) => Array.isArray(json(m)?.sockets)));
    await a.cmd('serverSideEmit', { event: 'sse', args: [1, 'two'] });
    await keep('request-sse', 'request', req((m) => json(m)?.type === 6));
    await a.cmd('serverSideEmit', { event: 'sse', args: [1], ack: true });
    await keep('request-sse-ack', 'request', req((m) => json(m)?.type === 6 && json(m).requestId));
    await keep('response-sse', 'response', res((m) => json(m)?.type === 6));
    await a.cmd('socketsJoin', { rooms: ['r1'], join: ['r9'] });
    await keep('request-join', 'request', req((m) => json(m)?.type === 2));
    await a.cmd('socketsLeave', { except: ['r2'], leave: ['r9'] });
    await keep('request-leave', 'request', req((m) => json(m)?.type === 3));
    await a.cmd('emitWithAck', { rooms: ['r1'], event: 'ev', args: [{ $bin: 'ff' }] });
    await keep('request-broadcast', 'request', req((m) => m.bytes[0] !== 0x7b));
    await keep('response-client-count', 'response', res((m) => json(m)?.type === 8));
    await keep('response-broadcast-ack', 'response', res((m) => m.bytes[0] !== 0x7b));

    pub = await redisClient(redisUrl);
    const emitter = new Emitter(pub);
    emitter.to('r1').except('x').volatile.emit('ev', 'from emitter', Buffer.from([7]));
    await keep('emitter-broadcast', 'broadcast', (m) => on('socket.io#/#r1#')(m) && msgpack.decode(m.bytes)[0] === 'emitter');
    emitter.in('r1').socketsJoin(['r7', 'r8']);
    await keep('emitter-join', 'request', req((m) => json(m)?.type === 2 && !json(m).uid));
    emitter.except('r2').socketsLeave('r7');
    await keep('emitter-leave', 'request', req((m) => json(m)?.type === 3 && !json(m).uid));
    emitter.serverSideEmit('sse', { from: 'emitter' });
    await keep('emitter-sse', 'request', req((m) => json(m)?.uid === 'emitter'));
    emitter.in('r1').disconnectSockets(true);
    await keep('emitter-disconnect', 'request', req((m) => json(m)?.type === 4 && !json(m).uid));
    await a.cmd('disconnectSockets', { rooms: ['r1'], close: false });
    await keep('request-disconnect', 'request', req((m) => json(m)?.type === 4 && json(m).uid));
    return out;
  } finally {
    client?.close();
    await pub?.quit();
    await cap?.stop();
    for (const n of nodes) await n.stop();
  }
}
