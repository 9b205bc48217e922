// The server-wide operations (sio_fetch_sockets, sio_sockets_join/leave,
// sio_disconnect_sockets, sio_broadcast_with_ack, sio_server_side_emit_with_ack,
// the local flag) on one server with the in-memory adapter, as the real
// socket.io-client 4.x sees them, against sio-echo's "/cluster" namespace
// (each operation is an event whose ack carries its result).
//
// Nothing here sleeps to synchronise: every wait is for an event, with a
// deadline.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { io } from 'socket.io-client';
import { startServer, waitFor, withTimeout, stopChecked, diag, tracker } from './support.mjs';

const T = { timeout: 20_000 };
const MODES = [
  { name: 'websocket', opts: { transports: ['websocket'] } },
  { name: 'polling', opts: { transports: ['polling'], upgrade: false } },
];

const { track, closeAll } = tracker((s) => s.disconnect());

function ask(s, event, ...args) {
  return withTimeout(new Promise((resolve) => s.emit(event, ...args, (...reply) => resolve(reply))),
    5000, `the ack of '${event}'`);
}

for (const mode of MODES) {
  describe(`server-wide operations (${mode.name})`, () => {
    let server;
    before(async () => { server = await startServer('sio-echo'); });
    after(async () => { await stopChecked(server); });
    afterEach(closeAll);

    async function connect(auth = {}) {
      const s = track(io(server.url + '/cluster', {
        forceNew: true, reconnection: false, timeout: 5000, auth, ...mode.opts,
        extraHeaders: { 'x-test': 'cluster' },
      }));
      await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error'] });
      return s;
    }

    it('fetch sockets: ids, rooms, data and handshake, with rooms and except', T, () => diag(server, async () => {
      const a = await connect({ user: 'ann' });
      const b = await connect();
      const c = await connect();
      assert.deepEqual(await ask(a, 'set-data', { name: 'ann', n: 1 }), [0]);
      assert.deepEqual(await ask(a, 'join', { rooms: [a.id, b.id], join: ['r1'] }), [2]);
      assert.deepEqual(await ask(c, 'join', { rooms: [b.id], join: ['r2'] }), [1]);

      const [all] = await ask(c, 'fetch', {});
      assert.equal(all.err, 0);
      assert.deepEqual(all.sockets.map((x) => x.id).sort(), [a.id, b.id, c.id].sort());
      const [r1] = await ask(c, 'fetch', { rooms: ['r1'], except: ['r2'] });
      assert.equal(r1.sockets.length, 1);
      const ann = r1.sockets[0];
      assert.equal(ann.id, a.id);
      assert.deepEqual(ann.rooms, [a.id, 'r1']);
      assert.deepEqual(ann.data, { name: 'ann', n: 1 });
      assert.equal(ann.local, true);
      const hs = ann.handshake;
      assert.equal(hs.headers['x-test'], undefined); // not kept unless --keep-header
      assert.match(hs.headers['user-agent'] ?? hs.headers.host, /./);
      assert.equal(hs.address, '127.0.0.1');
      assert.deepEqual(hs.auth, { user: 'ann' });
      assert.equal(hs.secure, false);
      assert.equal(hs.xdomain, false);
      assert.equal(typeof hs.issued, 'number');
      assert.ok(Math.abs(hs.issued - Date.now()) < 60_000, `issued ${hs.issued}`);
      assert.match(hs.time, /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{4} \d{2}:\d{2}:\d{2} GMT\+0000/);
      assert.match(hs.url, /^\/socket\.io\/\?/);
      // The default data, and "not me".
      const [others] = await ask(a, 'fetch', { notMe: true });
      assert.deepEqual(others.sockets.map((x) => x.id).sort(), [b.id, c.id].sort());
      assert.deepEqual(others.sockets[0].data, {});
    }));

    it('join and leave rooms for others, then a broadcast reaches the room', T, () => diag(server, async () => {
      const a = await connect();
      const b = await connect();
      const c = await connect();
      assert.deepEqual(await ask(a, 'join', { except: [a.id], join: ['team', 'x'] }), [2]);
      assert.deepEqual(await ask(a, 'leave', { rooms: [c.id], join: ['team'] }), [1]);
      const got = waitFor(b, 'news', 5000);
      const notC = new Promise((resolve, reject) => {
        c.once('news', () => reject(new Error('c is no longer in team')));
        got.then(resolve, resolve);
      });
      assert.deepEqual(await ask(a, 'broadcast', { rooms: ['team'], event: 'news', args: [1, 'two'] }), [1]);
      assert.equal(await got, 1);
      await notC;
      const [fetched] = await ask(a, 'fetch', { rooms: ['x'] });
      assert.deepEqual(fetched.sockets.map((x) => x.id).sort(), [b.id, c.id].sort());
    }));

    it('a local broadcast reaches this server\'s sockets', T, () => diag(server, async () => {
      const a = await connect();
      const b = await connect();
      const got = waitFor(b, 'here', 5000);
      assert.deepEqual(await ask(a, 'broadcast', { local: true, notMe: true, event: 'here', args: ['x'] }), [1]);
      assert.equal(await got, 'x');
    }));

    it('disconnect the sockets of a room, with and without closing their connection', T, () => diag(server, async () => {
      const a = await connect();
      const b = await connect();
      const c = await connect();
      await ask(a, 'join', { rooms: [b.id, c.id], join: ['gone'] });
      const bGone = waitFor(b, 'disconnect', 5000);
      const cGone = waitFor(c, 'disconnect', 5000);
      assert.deepEqual(await ask(a, 'disconnect-all', { rooms: ['gone'], except: [c.id] }), [0]);
      assert.equal(await bGone, 'io server disconnect');
      assert.ok(c.connected);
      assert.deepEqual(await ask(a, 'disconnect-all', { rooms: [c.id], close: true }), [0]);
      assert.equal(await cGone, 'io server disconnect');
      const [left] = await ask(a, 'fetch', {});
      assert.deepEqual(left.sockets.map((x) => x.id), [a.id]);
    }));

    it('broadcast with acks: every reply, or the timeout with those that came', T, () => diag(server, async () => {
      const a = await connect();
      const b = await connect();
      const c = await connect();
      b.on('question', (n, cb) => cb({ from: 'b', n }));
      c.on('question', (n, cb) => cb('c'));
      const [done] = await ask(a, 'broadcast-ack', { notMe: true, event: 'question', args: [5], timeout: 3000 });
      assert.equal(done.err, 0);
      assert.deepEqual(done.replies.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
        ['c', { from: 'b', n: 5 }].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))));
      // a does not answer: the timeout (1 = SIO_ACK_TIMEOUT) with b's and c's.
      const started = performance.now();
      const [late] = await ask(a, 'broadcast-ack', { event: 'question', args: [6], timeout: 300 });
      assert.equal(late.err, 1);
      assert.equal(late.replies.length, 2);
      assert.ok(performance.now() - started >= 250, 'ended before its timeout');
    }));

    it('serverSideEmit with ack on a single server: no other server, no reply', T, () => diag(server, async () => {
      const a = await connect();
      assert.deepEqual(await ask(a, 'server-emit', 'ping', 1), [{ err: 0, replies: [] }]);
      assert.deepEqual(await ask(a, 'server-emit', 'disconnect'), [-1]); // reserved: SIO_EINVAL
    }));
  });
}
