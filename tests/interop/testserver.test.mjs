// sio-testserver driven through its control API, with socket.io-client 4.x:
// rules (emits on connection, ack replies matched on arguments, refusals),
// actions (emits with binaries, rooms, disconnects), inspection (sockets,
// the packet journal, the event log, waits) and bad requests.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { io } from 'socket.io-client';
import { waitFor } from './support.mjs';
import { testServerSuite } from './testserver_support.mjs';

const io2 = createRequire(import.meta.url)('socket.io-client-v2');
const T = { timeout: 20000 };

describe('sio-testserver with socket.io-client 4', () => {
  const suite = testServerSuite();
  let srv;
  beforeEach(() => { srv = suite.srv(); });
  const connect = (opts = {}) => suite.connect(io, opts);

  for (const transports of [['polling'], ['websocket'], ['polling', 'websocket']]) {
    it(`emits on connection and shows the socket (${transports.join('+')})`, T, async () => {
      await srv.ok('on-connect', { namespace: '/', emit: [{ event: 'welcome', args: ['hi', { n: 1 }] }] });
      const s = connect({ transports, auth: { token: 'abc' }, query: { team: 'web' } });
      const [welcome] = await Promise.all([
        new Promise((resolve) => s.once('welcome', (...a) => resolve(a))),
        waitFor(s, 'connect'),
      ]);
      assert.deepEqual(welcome, ['hi', { n: 1 }]);
      const conn = await srv.ok('wait', { kind: 'connect', socket: s.id });
      assert.deepEqual(conn.auth, { token: 'abc' });
      const [info] = await srv.ok('sockets');
      assert.equal(info.id, s.id);
      assert.equal(info.namespace, '/');
      assert.equal(info.protocol, 4);
      assert.deepEqual(info.auth, { token: 'abc' });
      assert.deepEqual(info.query, { team: 'web' });
      assert.deepEqual(info.rooms, [s.id]);
      assert.equal(info.handshake.address, '127.0.0.1');
      assert.match(info.handshake.url, /^\/socket\.io\/\?.*EIO=4/);
      // Node's socket.handshake: its keys, and the auth and query the client sent.
      assert.deepEqual(Object.keys(info.handshake).sort(),
        ['address', 'auth', 'headers', 'issued', 'query', 'secure', 'time', 'url', 'xdomain']);
      assert.deepEqual(info.handshake.auth, { token: 'abc' });
      assert.equal(info.handshake.query.team, 'web');
      // With both, the upgrade may be over by now.
      assert.ok(transports.includes(info.transport), info.transport);
    });
  }

  it('answers acks by rule: matched on arguments, after a delay, with binaries', T, async () => {
    await srv.ok('on-event', { event: 'add', ack: ['any'] });
    await srv.ok('on-event', { event: 'add', match: [{ a: 1 }], ack: [3, { $binary: 'AQID' }], delay_ms: 300 });
    const s = connect();
    await waitFor(s, 'connect');
    const t0 = performance.now();
    const [n, bin] = await new Promise((resolve, reject) => s.timeout(5000).emit(
      'add', { a: 1, b: 2 }, 'extra', (err, ...args) => (err ? reject(err) : resolve(args))));
    assert.ok(performance.now() - t0 >= 290, `answered after ${performance.now() - t0} ms`);
    assert.equal(n, 3);
    assert.deepEqual([...bin], [1, 2, 3]);
    // Arguments the latest rule does not match fall to the earlier one.
    assert.equal(await s.timeout(5000).emitWithAck('add', { a: 2 }), 'any');
    // An event no rule names is logged, and not answered.
    await assert.rejects(s.timeout(300).emitWithAck('other'), /operation has timed out/);
    const e = await srv.ok('wait', { event: 'other' });
    assert.equal(e.socket, s.id);
  });

  it('refuses a namespace with a message and data', T, async () => {
    await srv.ok('refuse', { namespace: '/admin', message: 'not an admin', data: { code: 42 } });
    const ok = connect();
    const admin = connect({ nsp: '/admin' });
    const [err] = await Promise.all([waitFor(admin, 'connect_error'), waitFor(ok, 'connect')]);
    assert.equal(err.message, 'not an admin');
    assert.deepEqual(err.data, { code: 42 });
    const refused = await srv.ok('wait', { kind: 'refused', namespace: '/admin' });
    assert.equal(refused.message, 'not an admin');
  });

  it('emits to a socket, a room and everyone, with binaries; joins and leaves rooms', T, async () => {
    const a = connect();
    const b = connect();
    await Promise.all([waitFor(a, 'connect'), waitFor(b, 'connect')]);
    const joined = await srv.ok('join', { socket: a.id, room: 'red' });
    assert.deepEqual(joined.rooms, [a.id, 'red']);

    const toA = waitFor(a, 'one');
    assert.deepEqual(await srv.ok('emit', { socket: a.id, event: 'one', args: [{ $binary: 'AAEC' }] }), { recipients: 1 });
    assert.deepEqual([...(await toA)], [0, 1, 2]);

    const bGotRed = [];
    b.on('red', (x) => bGotRed.push(x));
    const toRed = waitFor(a, 'red');
    assert.deepEqual(await srv.ok('emit', { room: 'red', event: 'red', args: ['r'] }), { recipients: 1 });
    assert.equal(await toRed, 'r');

    const all = Promise.all([waitFor(a, 'all'), waitFor(b, 'all')]);
    assert.deepEqual(await srv.ok('emit', { event: 'all', args: [1] }), { recipients: 2 });
    assert.deepEqual(await all, [1, 1]);
    assert.deepEqual(bGotRed, []); // b got "all" after "red" would have come

    await srv.ok('leave', { socket: a.id, room: 'red' });
    assert.deepEqual(await srv.ok('emit', { room: 'red', event: 'red', args: ['again'] }), { recipients: 0 });
  });

  it('disconnects a socket: a server disconnect, or a transport close it recovers from', T, async () => {
    const s = connect();
    await waitFor(s, 'connect');
    const first = s.id;
    const closed = waitFor(s, 'disconnect');
    await srv.ok('disconnect', { socket: s.id, mode: 'close' });
    assert.equal(await closed, 'transport close');
    await waitFor(s, 'connect'); // socket.io-client reconnects by itself
    assert.notEqual(s.id, first);

    const byServer = waitFor(s, 'disconnect');
    await srv.ok('disconnect', { socket: s.id, mode: 'server' });
    assert.equal(await byServer, 'io server disconnect');
    const gone = await srv.ok('wait', { kind: 'disconnect', socket: first });
    assert.equal(gone.reason, 'forced close');
  });

  it('drives socket.io-client 2 alike: rooms, binaries, namespaces, a transport close', T, async () => {
    const s = suite.connect(io2, { transports: ['websocket'] });
    const chat = suite.connect(io2, { transports: ['websocket'], nsp: '/chat' });
    await Promise.all([waitFor(s, 'connect'), waitFor(chat, 'connect')]);
    const sockets = await srv.ok('sockets');
    assert.deepEqual(sockets.map((x) => x.namespace).sort(), ['/', '/', '/chat']);
    assert.ok(sockets.every((x) => x.protocol === 3));
    const inChat = sockets.find((x) => x.namespace === '/chat');
    assert.match(inChat.id, /^\/chat#/); // 2.x ids: "/nsp#<Engine.IO id>"
    await srv.ok('join', { socket: inChat.id, room: 'r' });
    const got = waitFor(chat, 'bin');
    assert.deepEqual(await srv.ok('emit', { namespace: '/chat', room: 'r', event: 'bin', args: [{ $binary: 'CQg=' }] }),
      { recipients: 1 });
    assert.deepEqual([...(await got)], [9, 8]);
    await srv.ok('leave', { socket: inChat.id, room: 'r' });
    assert.deepEqual(await srv.ok('emit', { namespace: '/chat', room: 'r', event: 'bin' }), { recipients: 0 });
    chat.emit('hey', 'there');
    const hey = await srv.ok('wait', { event: 'hey', namespace: '/chat' });
    assert.equal(hey.socket, inChat.id);
    const packets = await srv.ok('packets', { socket: inChat.id });
    assert.ok(packets.every((p) => !p.packet || p.packet.startsWith('0/chat') || p.packet.includes('/chat,')),
      JSON.stringify(packets));
    assert.deepEqual(packets.filter((p) => p.binary).map((p) => p.binary), ['CQg=']); // with its packet
    const closed = waitFor(s, 'disconnect');
    await srv.ok('disconnect', { socket: s.id, mode: 'close' });
    assert.equal(await closed, 'transport close');
    await waitFor(s, 'connect', 5000);
  });

  it('journals every packet of a socket in order, and waits for what has not happened yet', T, async () => {
    const s = connect({ transports: ['websocket'] });
    await waitFor(s, 'connect');
    const pending = srv.ctl('wait', { event: 'later', args: [{ x: 2 }], timeout_ms: 5000 });
    s.emit('later', { x: 1 });      // not this one
    s.emit('later', { x: 2, y: 3 }); // this one
    const r = await pending;
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.args, [{ x: 2, y: 3 }]);
    // "after" skips what an earlier wait already saw.
    const next = srv.ctl('wait', { event: 'later', after: r.json.seq, timeout_ms: 5000 });
    s.emit('later', 'third');
    assert.deepEqual((await next).json.args, ['third']);

    const packets = await srv.ok('packets', { socket: s.id });
    const text = packets.filter((p) => p.packet).map((p) => `${p.direction} ${p.packet}`);
    assert.deepEqual(text, [
      'received 0',
      `sent 0{"sid":"${s.id}"}`,
      'received 2["later",{"x":1}]',
      'received 2["later",{"x":2,"y":3}]',
      'received 2["later","third"]',
    ]);
    for (let i = 1; i < packets.length; i++) assert.ok(packets[i].time >= packets[i - 1].time);

    const timedOut = await srv.ctl('wait', { event: 'never', timeout_ms: 200 });
    assert.equal(timedOut.status, 408);
    const log = await srv.ok('log');
    assert.deepEqual(log.map((e) => e.kind), ['connect', 'event', 'event', 'event']);
  });

  it('answers bad requests clearly and stays up', T, async () => {
    const cases = [
      ['nope', {}, 404, /no such command/],
      ['emit', '{"event":', 400, /not JSON/],
      ['emit', [], 400, /JSON object/],
      ['emit', { args: [] }, 400, /event/],
      ['emit', { event: 'x', args: 3 }, 400, /array/],
      ['emit', { event: 'x', args: [{ $binary: '!!' }] }, 400, /base64/],
      ['emit', { socket: 'nobody', event: 'x' }, 404, /no such socket/],
      ['fault', { faults: ['bad'] }, 400, /unknown fault/],
      ['fault', { faults: ['delay'] }, 400, /delay_ms/],
      ['wait', { event: 3 }, 400, /strings/],
      ['wait', { timeout_ms: -1 }, 400, /timeout_ms/],
      ['on-event', { ack: [] }, 400, /event/],
      ['on-connect', { namespace: 'x' }, 400, /namespace/],
      ['disconnect', { mode: 'gently' }, 400, /mode/],
      ['malformed', {}, 404, /socket/],
    ];
    for (const [command, body, status, re] of cases) {
      const r = await srv.ctl(command, body);
      assert.equal(r.status, status, `${command} ${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.match(r.json.error, re);
    }
    const get = await fetch(`${srv.control}/sockets`);
    assert.deepEqual(await get.json(), []);
  });

  it('a wait whose client hangs up is let go, and the server goes on', T, async () => {
    const ac = new AbortController();
    const pending = fetch(`${srv.control}/wait`, {
      method: 'POST', body: JSON.stringify({ event: 'never', timeout_ms: 60000 }), signal: ac.signal,
    });
    ac.abort();
    await assert.rejects(pending);
    const s = connect();
    await waitFor(s, 'connect');
    s.emit('never');
    assert.equal((await srv.ok('wait', { event: 'never' })).socket, s.id);
  });
});
