// A Node socket.io 4.8 server joined to a Redis cluster through
// @socket.io/redis-adapter 8.3: the reference node the cluster tests put
// next to ours. Started by cluster_support.mjs:
//
//   node node_cluster_node.mjs REDIS_URL [PORT] [--admin-ui]
//
// With --admin-ui it is instrumented by @socket.io/admin-ui 0.5.1 (from
// tools/node_modules), without authentication, in development mode, as
// the server "node-node".
// It listens on 127.0.0.1 (PORT, or any free port when 0 or absent) and
// prints "listening on port N" once its adapter is subscribed. It is driven
// by JSON lines on stdin, {"id": N, "op": "...", ...}, and answers each with
// one JSON line on stdout, {"id": N, "ok": true, "result": ...} or
// {"id": N, "ok": false, "error": "..."}. Binary values travel in those
// lines as {"$bin": "<hex>"} both ways. Operations (nsp defaults to "/"):
//   emit            {nsp, rooms, except, event, args, local, volatile}
//   emitWithAck     {nsp, rooms, except, event, args, timeout}: the replies
//   fetchSockets    {nsp, rooms, except}: [{id, rooms, data}]
//   socketsJoin     {nsp, rooms, except, join}      (join: rooms to join)
//   socketsLeave    {nsp, rooms, except, leave}
//   disconnectSockets {nsp, rooms, except, close}
//   serverSideEmit  {nsp, event, args, ack}: with ack, the replies
//   serverCount     {nsp}
//   received        {}: the serverSideEmit events this node got so far
//
// Clients: a socket joins the rooms of its handshake's auth.rooms and keeps
// auth.data as socket.data; its event "join" joins a room and acks; every
// event it sends is acked with ["ok"]. A serverSideEmit this node receives
// under the event name "sse" is recorded, and acked with
// ["ack from <port>", ...its args] when asked; one named "ping" is acked
// with ["pong", [...its args]], as sio-echo's /cluster answers it.
import { createServer } from 'node:http';
import readline from 'node:readline';
import { Server } from 'socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';

const adminUi = process.argv.includes('--admin-ui');
const positional = process.argv.slice(2).filter((a) => a !== '--admin-ui');
const redisUrl = positional[0];
const wantPort = Number(positional[1] || 0);
if (!redisUrl) {
  console.error('usage: node node_cluster_node.mjs REDIS_URL [PORT]');
  process.exit(2);
}

// Binary in the control lines: {"$bin": hex} <-> Buffer, recursively.
function fromWire(v) {
  if (Array.isArray(v)) return v.map(fromWire);
  if (v && typeof v === 'object') {
    if (typeof v.$bin === 'string' && Object.keys(v).length === 1) return Buffer.from(v.$bin, 'hex');
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromWire(x)]));
  }
  return v;
}
function toWire(v) {
  if (v instanceof ArrayBuffer) return { $bin: Buffer.from(v).toString('hex') };
  if (ArrayBuffer.isView(v)) return { $bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (v instanceof Error) return { error: v.message };
  if (Array.isArray(v)) return v.map(toWire);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toWire(x)]));
  return v;
}

const pub = createClient({ url: redisUrl });
const sub = pub.duplicate();
for (const c of [pub, sub]) c.on('error', (err) => console.error(`redis: ${err.message}`));
await Promise.all([pub.connect(), sub.connect()]);

const http = createServer();
const io = new Server(http, { adapter: createAdapter(pub, sub), cors: { origin: '*' } });
const received = [];

if (adminUi) {
  const pkg = new URL('../../tools/node_modules/@socket.io/admin-ui/dist/index.js', import.meta.url);
  const { instrument } = (await import(pkg)).default;
  instrument(io, { auth: false, mode: 'development', serverId: 'node-node' });
}

function setup(nsp) {
  nsp.on('connection', (socket) => {
    const auth = socket.handshake.auth || {};
    if (Array.isArray(auth.rooms)) socket.join(auth.rooms);
    if (auth.data !== undefined) socket.data = auth.data;
    socket.on('join', (room, ack) => {
      socket.join(room);
      if (typeof ack === 'function') ack('joined');
    });
    socket.onAny((...args) => {
      const ack = args[args.length - 1];
      if (typeof ack === 'function' && args[0] !== 'join') ack('ok');
    });
  });
  // serverSideEmit from other nodes arrives as an event of the namespace.
  nsp.on('sse', (...args) => {
    const last = args[args.length - 1];
    const withAck = typeof last === 'function';
    const data = withAck ? args.slice(0, -1) : args;
    received.push({ nsp: nsp.name, args: toWire(data) });
    if (withAck) last(['ack from ' + port, ...data]);
  });
  // As sio-echo's /cluster answers it: ["pong", [...args]].
  nsp.on('ping', (...args) => {
    const last = args[args.length - 1];
    if (typeof last === 'function') last(['pong', args.slice(0, -1)]);
  });
}

const namespaces = new Map();
function of(name = '/') {
  if (!namespaces.has(name)) {
    const nsp = io.of(name);
    setup(nsp);
    namespaces.set(name, nsp);
  }
  return namespaces.get(name);
}
of('/');
of('/custom');

function target(nsp, m) {
  let op = nsp;
  for (const r of m.rooms || []) op = op.to(r);
  for (const r of m.except || []) op = op.except(r);
  return op;
}

const ops = {
  async emit(m) {
    let op = target(of(m.nsp), m);
    if (m.local) op = op.local;
    if (m.volatile) op = op.volatile;
    op.emit(m.event, ...fromWire(m.args || []));
    return true;
  },
  async emitWithAck(m) {
    const op = target(of(m.nsp), m).timeout(m.timeout ?? 2000);
    return toWire(await op.emitWithAck(m.event, ...fromWire(m.args || [])));
  },
  async fetchSockets(m) {
    const sockets = await target(of(m.nsp), m).fetchSockets();
    return sockets.map((s) => ({ id: s.id, rooms: [...s.rooms], data: toWire(s.data) }));
  },
  async socketsJoin(m) { target(of(m.nsp), m).socketsJoin(m.join); return true; },
  async socketsLeave(m) { target(of(m.nsp), m).socketsLeave(m.leave); return true; },
  async disconnectSockets(m) { target(of(m.nsp), m).disconnectSockets(!!m.close); return true; },
  async serverSideEmit(m) {
    const nsp = of(m.nsp);
    const args = fromWire(m.args || []);
    if (!m.ack) {
      nsp.serverSideEmit(m.event, ...args);
      return true;
    }
    // Node's adapter gives up after its requestsTimeout (5 s) with an error.
    return new Promise((resolve, reject) => {
      nsp.serverSideEmit(m.event, ...args, (err, replies) => {
        if (err) reject(err);
        else resolve(toWire(replies));
      });
    });
  },
  async serverCount(m) { return of(m.nsp).adapter.serverCount(); },
  async received() { return received; },
};

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', async (line) => {
  let m;
  try {
    m = JSON.parse(line);
  } catch {
    return;
  }
  const reply = (o) => process.stdout.write(JSON.stringify({ id: m.id, ...o }) + '\n');
  try {
    const f = ops[m.op];
    if (!f) throw new Error(`unknown op ${m.op}`);
    reply({ ok: true, result: await f(m) });
  } catch (err) {
    reply({ ok: false, error: err.message });
  }
});
// The test process owns this one: when it goes, so does the node.
rl.on('close', () => shutdown());

let port = 0;
http.listen(wantPort, '127.0.0.1', () => {
  port = http.address().port;
  console.log(`listening on port ${port}`);
});

let stopping = false;
async function shutdown() {
  if (stopping) return;
  stopping = true;
  io.close();
  await Promise.allSettled([pub.quit(), sub.quit()]);
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
