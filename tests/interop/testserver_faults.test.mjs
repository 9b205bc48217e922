// sio-testserver's faults, each asserting what socket.io-client 4.x and
// 2.x saw: the disconnect reason, and that the client came back when it
// should (reconnection after a restart, a dropped connection, a ping
// timeout), or the connect_error it got.
import { describe, it, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { io as io4 } from 'socket.io-client';
import { waitFor, withTimeout } from './support.mjs';
import { testServerSuite } from './testserver_support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');
const T = { timeout: 20000 };

describe('sio-testserver faults', () => {
  const suite = testServerSuite();
  let srv;
  beforeEach(() => { srv = suite.srv(); });
  const connect = suite.connect;

  // The server's id of a 2.x client's socket on "/" is its Engine.IO id.
  const idOf = (s) => s.id;

  for (const [version, io] of [['4', io4], ['2', io2]]) {
    for (const transports of [['polling'], ['websocket']]) {
      const mode = `socket.io-client ${version}, ${transports[0]}`;

      it(`no heartbeat: the client's ping timeout fires, and it reconnects (${mode})`, T, async () => {
        const s = connect(io, { transports });
        await waitFor(s, 'connect');
        const first = idOf(s);
        const gone = waitFor(s, 'disconnect', 5000);
        const t0 = performance.now();
        await srv.ok('fault', { socket: first, faults: ['no-heartbeat'] });
        assert.equal(await gone, 'ping timeout');
        // pingInterval 300 + pingTimeout 200 after the last ping (with room
        // for a loaded machine)
        assert.ok(performance.now() - t0 <= 4000, `after ${performance.now() - t0} ms`);
        await waitFor(s, 'connect', 5000);
        assert.notEqual(idOf(s), first);
      });

      it(`a dropped TCP connection: "transport close" or "transport error", then back (${mode})`, T, async () => {
        const s = connect(io, { transports });
        await waitFor(s, 'connect');
        const first = idOf(s);
        const gone = waitFor(s, 'disconnect', 5000);
        assert.deepEqual(await srv.ok('drop', { socket: first }), { dropped: 1 });
        assert.ok(['transport close', 'transport error'].includes(await gone));
        await waitFor(s, 'connect', 5000);
        assert.notEqual(idOf(s), first);
        const left = await srv.ok('wait', { kind: 'disconnect', socket: first });
        assert.equal(left.reason, 'transport close');
      });

      it(`a restart: every session lost, every client back (${mode})`, T, async () => {
        const a = connect(io, { transports });
        const b = connect(io, { transports });
        await Promise.all([waitFor(a, 'connect'), waitFor(b, 'connect')]);
        const before = [idOf(a), idOf(b)];
        const back = Promise.all([a, b].map(async (s) => {
          await waitFor(s, 'disconnect', 5000);
          await waitFor(s, 'connect', 5000);
        }));
        // At least these two: a client of the test before may still be
        // leaving (its close in flight), and its session goes too.
        const { dropped } = await srv.ok('restart');
        assert.ok(dropped >= 2, `dropped ${dropped}`);
        await back;
        const now = (await srv.ok('sockets')).map((x) => x.id).sort();
        assert.deepEqual(now, [idOf(a), idOf(b)].sort());
        assert.ok(!now.includes(before[0]) && !now.includes(before[1]));
      });

      it(`a server disconnect: "io server disconnect", no reconnection (${mode})`, T, async () => {
        const s = connect(io, { transports });
        await waitFor(s, 'connect');
        const gone = waitFor(s, 'disconnect', 5000);
        await srv.ok('disconnect', { socket: idOf(s), mode: 'server' });
        assert.equal(await gone, 'io server disconnect');
        assert.equal(s.connected, false);
        assert.deepEqual(await srv.ok('sockets'), []);
      });

      it(`every outgoing packet delayed, in order (${mode})`, T, async () => {
        const s = connect(io, { transports });
        await waitFor(s, 'connect');
        await srv.ok('fault', { socket: idOf(s), faults: ['delay'], delay_ms: 400 });
        const got = [];
        const both = new Promise((resolve) => s.on('n', (x) => { got.push([x, performance.now()]); if (got.length === 2) resolve(); }));
        const t0 = performance.now();
        await srv.ok('emit', { socket: idOf(s), event: 'n', args: [1] });
        await srv.ok('emit', { socket: idOf(s), event: 'n', args: [2] });
        await withTimeout(both, 5000, 'the delayed emits');
        assert.deepEqual(got.map((g) => g[0]), [1, 2]);
        assert.ok(got[0][1] - t0 >= 380, `first after ${got[0][1] - t0} ms`);
        // Cleared: at once again (the heartbeat kept the client up meanwhile).
        await srv.ok('fault', { socket: idOf(s), faults: [] });
        const quick = waitFor(s, 'n', 5000);
        await srv.ok('emit', { socket: idOf(s), event: 'n', args: [3] });
        assert.equal(await quick, 3);
        assert.equal(s.connected, true);
      });
    }

    it(`stalled polls: no packet gets through, the ping timeout fires (socket.io-client ${version})`, T, async () => {
      const s = connect(io, { transports: ['polling'] });
      await waitFor(s, 'connect');
      const gone = waitFor(s, 'disconnect', 5000);
      let got = false;
      s.on('stalled', () => { got = true; });
      await srv.ok('fault', { socket: idOf(s), faults: ['stall-polls'] });
      await srv.ok('emit', { socket: idOf(s), event: 'stalled' });
      assert.equal(await gone, 'ping timeout');
      assert.equal(got, false);
    });

    it(`closed polls: "transport error", then back (socket.io-client ${version})`, T, async () => {
      const s = connect(io, { transports: ['polling'] });
      await waitFor(s, 'connect');
      const first = idOf(s);
      const gone = waitFor(s, 'disconnect', 5000);
      await srv.ok('fault', { socket: first, faults: ['close-polls'] });
      // The next ping ends the held poll; the poll after it is cut.
      assert.equal(await gone, 'transport error');
      await waitFor(s, 'connect', 5000);
      assert.notEqual(idOf(s), first);
    });

    it(`a refused upgrade keeps the client on polling (socket.io-client ${version})`, T, async () => {
      await srv.ok('fault', { faults: ['refuse-upgrade'] });
      const s = connect(io, { transports: ['polling', 'websocket'] });
      const refused = waitFor(s.io.engine, 'upgradeError', 5000);
      await waitFor(s, 'connect');
      await refused;
      assert.equal(s.io.engine.transport.name, 'polling');
      const echo = waitFor(s, 'still', 5000);
      await srv.ok('emit', { socket: idOf(s), event: 'still', args: ['here'] });
      assert.equal(await echo, 'here');
      // A WebSocket-only client cannot connect at all.
      const ws = connect(io, { transports: ['websocket'], reconnection: false });
      await waitFor(ws, 'connect_error', 5000);
    });
  }

  it('a fault for every connection: every client times out, until it is cleared', T, async () => {
    const a = connect(io4, { transports: ['websocket'] });
    const b = connect(io2, { transports: ['polling'] });
    await Promise.all([waitFor(a, 'connect'), waitFor(b, 'connect')]);
    const gone = Promise.all([waitFor(a, 'disconnect', 5000), waitFor(b, 'disconnect', 5000)]);
    await srv.ok('fault', { faults: ['no-heartbeat'] });
    assert.deepEqual(await gone, ['ping timeout', 'ping timeout']);
    await srv.ok('fault', { faults: [] });
    // Connected again, and staying so: they answer pings meanwhile.
    await Promise.all([a, b].map((s) => (s.connected ? null : waitFor(s, 'connect', 5000))));
    const still = Promise.all([waitFor(a, 'later', 5000), waitFor(b, 'later', 5000)]);
    const from = (await srv.ok('log')).at(-1).seq;
    const t = await srv.ctl('wait', { kind: 'disconnect', after: from, timeout_ms: 1500 });
    assert.equal(t.status, 408, JSON.stringify(t.json)); // no one left in 1.5 s (3 heartbeats)
    await srv.ok('emit', { event: 'later', args: [1] });
    assert.deepEqual(await still, [1, 1]);
  });

  it('a malformed packet: socket.io-client 4 closes with "parse error" and reconnects', T, async () => {
    const s = connect(io4, { transports: ['websocket'] });
    await waitFor(s, 'connect');
    const gone = waitFor(s, 'disconnect', 5000);
    await srv.ok('malformed', { socket: s.id });
    assert.equal(await gone, 'parse error');
    await waitFor(s, 'connect', 5000);
  });

  it('a malformed packet: socket.io-client 2 drops it and stays connected', T, async () => {
    // Its parser turns an unknown packet type into an error packet of no
    // namespace, which its sockets ignore.
    const s = connect(io2, { transports: ['websocket'] });
    await waitFor(s, 'connect');
    let left = false;
    s.on('disconnect', () => { left = true; });
    await srv.ok('malformed', { socket: s.id });
    const after = waitFor(s, 'after', 5000);
    await srv.ok('emit', { socket: s.id, event: 'after', args: [1] });
    assert.equal(await after, 1);
    assert.equal(left, false);
    const sent = (await srv.ok('packets', { socket: s.id })).filter((p) => p.direction === 'sent');
    assert.deepEqual(sent.map((p) => p.packet), ['0', '9', '2["after",1]']);
  });

  it('a refused connection reaches socket.io-client 2 with its data', T, async () => {
    await srv.ok('refuse', { message: 'no entry', data: { why: 'test' } });
    const s = connect(io2, { transports: ['websocket'], reconnection: false });
    const err = await waitFor(s, 'error', 5000);
    assert.deepEqual(err, { why: 'test' });
  });

  it('rules with socket.io-client 2: emits on connection and acks', T, async () => {
    await srv.ok('on-connect', { emit: [{ event: 'welcome', args: [{ v: 2 }] }] });
    await srv.ok('on-event', { event: 'sum', match: [1], ack: [3] });
    const s = connect(io2, { transports: ['websocket'] });
    const welcome = waitFor(s, 'welcome');
    await waitFor(s, 'connect');
    assert.deepEqual(await welcome, { v: 2 });
    const sum = await withTimeout(new Promise((resolve) => s.emit('sum', 1, 2, resolve)), 5000, 'the ack');
    assert.equal(sum, 3);
    const [info] = await srv.ok('sockets');
    assert.equal(info.protocol, 3);
  });
});
