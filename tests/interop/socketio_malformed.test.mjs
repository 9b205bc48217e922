// Malformed Socket.IO packets against sio-echo, over a raw WebSocket (the `ws`
// package): each one must close THAT connection (the session ends), while a
// healthy socket.io-client connected at the same time keeps working, and the
// server stays up and exits cleanly at the end.
//
// The raw client does the Engine.IO open (`0{...}`), sends `40`, waits for
// `40{"sid":...}` and for the `auth` event sio-echo emits on connection, then
// sends the bad packet(s). Every Socket.IO packet travels as an Engine.IO
// message, i.e. prefixed with `4`; attachments are raw binary frames.
//
// A few valid-but-odd inputs must NOT close the connection: `42["error"]`, a
// DISCONNECT `41` (the Engine.IO connection stays; `40` connects again) and a
// second CONNECT to a namespace already connected (ignored: no second `40`).
// "Stays open" is checked with a sentinel: a message-with-ack sent afterwards
// whose ack must be the very next packet.

import { describe, it, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { io } from 'socket.io-client';
import { startServer, waitFor, withTimeout, collector, fmt, stopChecked, diag, tracker } from './support.mjs';

const PATH = '/socket.io/';
const T = { timeout: 15_000 }; // per test
const CLOSE_DEADLINE_MS = 3000;

// Everything a test opened; closed after it whatever happened.
const { track, closeAll } = tracker((x) => (x instanceof WebSocket ? x.terminate() : x.disconnect()));

/**
 * A raw Engine.IO v4 / Socket.IO v5 client over one WebSocket. Text frames
 * arrive as strings, binary frames as Buffers; server pings (`2`) are
 * answered (`3`) and not queued. `closed` resolves with {code, reason} on close.
 */
class RawClient {
  static async open(server) {
    const url = `ws://127.0.0.1:${server.port}${PATH}?EIO=4&transport=websocket`;
    const ws = new WebSocket(url);
    track(ws);
    const c = new RawClient(ws);
    await waitFor(ws, 'open', 3000, { rejectOn: ['error', 'close'] });
    const [open] = await c.q.take(1, 3000);
    assert.equal(typeof open, 'string', `first frame: ${fmt(open)}`);
    assert.equal(open[0], '0', `expected the Engine.IO open packet, got ${fmt(open)}`);
    c.handshake = JSON.parse(open.slice(1));
    assert.equal(typeof c.handshake.sid, 'string');
    return c;
  }

  constructor(ws) {
    this.ws = ws;
    this.ee = new EventEmitter();
    this.q = collector(this.ee, 'frame');
    this.isClosed = false;
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.isClosed = true;
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => { /* surfaces as 'close' */ });
    ws.on('message', (data, isBinary) => {
      const m = isBinary ? Buffer.from(data) : data.toString('utf8');
      if (m === '2') {
        if (ws.readyState === WebSocket.OPEN) ws.send('3');
        return;
      }
      this.ee.emit('frame', m);
    });
  }

  send(frame) {
    // ws calls back with an error after close; that is fine here.
    this.ws.send(frame, { binary: typeof frame !== 'string' }, () => {});
  }

  /** Next frame, which must be text. */
  async next(ms = 3000) {
    const [m] = await this.q.take(1, ms);
    assert.equal(typeof m, 'string', `expected a text frame, got ${fmt(m)}`);
    return m;
  }

  /** Socket.IO CONNECT to "/": expects `40{"sid":...}` then sio-echo's auth event. Returns the sid. */
  async connectNsp() {
    this.send('40');
    const reply = await this.next();
    const m = /^40(\{.*\})$/.exec(reply);
    assert.ok(m, `expected 40{"sid":...}, got ${fmt(reply)}`);
    const { sid } = JSON.parse(m[1]);
    assert.equal(typeof sid, 'string');
    assert.notEqual(sid, this.handshake.sid, 'Socket.IO sid equals the Engine.IO sid');
    assert.equal(await this.next(), '42["auth",{}]');
    return sid;
  }

  /** Sentinel: a message-with-ack whose ack must be the very next packet. */
  async roundTrip(value, id = 7) {
    this.send(`42${id}["message-with-ack",${JSON.stringify(value)}]`);
    assert.equal(await this.next(), `43${id}[${JSON.stringify(value)}]`);
  }

  /** The server closes the connection within the deadline. */
  async expectClosed(what) {
    try {
      await withTimeout(this.closed, CLOSE_DEADLINE_MS, `the server did not close the connection after ${what}`);
    } catch (err) {
      err.message += ` (frames received meanwhile: ${this.q.items.map(fmt).join(', ') || 'none'})`;
      throw err;
    }
  }
}

/** A healthy socket.io-client on its own connection. */
async function healthyClient(server) {
  const s = io(server.url, { path: PATH, forceNew: true, reconnection: false, transports: ['websocket'] });
  track(s);
  s.disconnects = [];
  s.on('disconnect', (r) => s.disconnects.push(r));
  await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error'] });
  return s;
}

async function assertHealthy(s, value) {
  assert.deepEqual(s.disconnects, [], 'the healthy client was disconnected');
  assert.equal(await s.timeout(2000).emitWithAck('message-with-ack', value), value);
  const back = waitFor(s, 'message-back', 2000);
  s.emit('message', value);
  assert.equal(await back, value);
}

/** sio-echo must exit 0 on SIGTERM with no sanitizer report. */
const BIN = Buffer.from([1, 2, 3]);
const ph = (num) => `{"_placeholder":true,"num":${num}}`;

// [name, frames to send after the namespace CONNECT]
const CLOSING = [
  ['unknown packet type 7', ['47']],
  ['unknown packet type x', ['4x']],
  ['EVENT payload an object', ['42{"a":1}']],
  ['EVENT payload an empty array', ['42[]']],
  ['EVENT payload a string', ['42"str"']],
  // Node's socket.io-parser 4.x also takes numbers as event names; this
  // project requires strings (NOTES.md: "Event names must be strings").
  ['event name a number', ['42[1]']],
  ['event name null', ['42[null]']],
  ['event name an object {"toString":"x"}', ['42[{"toString":"x"}]']],
  ['event name an array', ['42[["x"]]']],
  ...['connect', 'disconnect', 'disconnecting', 'connect_error', 'newListener', 'removeListener']
    .map((name) => [`reserved event name "${name}"`, [`42["${name}"]`]]),
  ['ack id longer than any integer', ['4212345678901234567890["x"]']],
  ['invalid JSON: trailing comma', ['42["a",]']],
  ['invalid JSON: data after the array 42[1]2', ['42[1]2']],
  ['invalid JSON: data after the array 42["a"]2', ['42["a"]2']],
  ['invalid JSON: two arrays', ['42["a"]["b"]']],
  ['invalid JSON: truncated', ['42["message"']],
  ['EVENT for a namespace not connected', ['42/custom,["x"]']],
  ['binary EVENT for a namespace not connected', [`451-/custom,["x",${ph(0)}]`, BIN]],
  ['binary ACK for a namespace not connected', [`461-/custom,3[${ph(0)}]`, BIN]],
  ['binary event with 11 attachments', [`4511-["x",${ph(0)}]`]],
  ['placeholder num a string', [`451-["x",${ph('"0"')}]`, BIN]],
  ['placeholder num out of range', [`451-["x",${ph(1)}]`, BIN]],
  ['placeholder num negative', [`451-["x",${ph(-1)}]`, BIN]],
  ['placeholder num fractional', [`451-["x",${ph(0.5)}]`, BIN]],
  ['binary event with zero attachments', ['450-["x"]']],
  ['text packet while attachments are awaited', [`451-["x",${ph(0)}]`, '42["y"]']],
  ['binary frame nobody announced', [BIN]],
];

// [name, frames] sent WITHOUT a namespace CONNECT first.
const CLOSING_BEFORE_CONNECT = [
  ['EVENT before any CONNECT', ['42["message","x"]']],
  ['binary EVENT before any CONNECT', [`451-["message",${ph(0)}]`, BIN]],
];

/**
 * Each test gets its own sio-echo, stopped (and checked: exit 0, no sanitizer
 * report) at its end, so a crash or a leak is charged to the input that
 * caused it and does not cascade into the following tests.
 */
function withServer(fn) {
  return async () => {
    const server = await startServer('sio-echo', ['--path', PATH]);
    let failure = null;
    try {
      await diag(server, () => fn(server));
    } catch (err) {
      failure = err;
    }
    closeAll();
    try {
      await stopChecked(server);
    } catch (err) {
      if (!failure) throw err;
      failure.message += `\n-- and at stop: ${err.message}`;
    }
    if (failure) throw failure;
  };
}

describe('malformed Socket.IO packets -> sio-echo', () => {
  afterEach(closeAll);
  after(closeAll);

  describe('close the connection; other clients unaffected', () => {
    for (const [name, frames] of CLOSING) {
      it(name, T, withServer(async (server) => {
        const healthy = await healthyClient(server);
        const raw = await RawClient.open(server);
        await raw.connectNsp();
        for (const f of frames) raw.send(f);
        await raw.expectClosed(frames.map(fmt).join(' + '));
        await assertHealthy(healthy, `ok after ${name}`);
      }));
    }
    for (const [name, frames] of CLOSING_BEFORE_CONNECT) {
      it(name, T, withServer(async (server) => {
        const healthy = await healthyClient(server);
        const raw = await RawClient.open(server);
        for (const f of frames) raw.send(f);
        await raw.expectClosed(frames.map(fmt).join(' + '));
        await assertHealthy(healthy, `ok after ${name}`);
      }));
    }
  });

  describe('valid input keeps the connection open', () => {
    it('42["error"] is an ordinary event name', T, withServer(async (server) => {
      const healthy = await healthyClient(server);
      const raw = await RawClient.open(server);
      await raw.connectNsp();
      raw.send('42["error"]');
      raw.send('42["error",{"message":"boom"}]');
      await raw.roundTrip('after error');
      assert.equal(raw.isClosed, false);
      await assertHealthy(healthy, 'ok after error');
    }));

    it('DISCONNECT 41 leaves the Engine.IO connection open; 40 connects again', T, withServer(async (server) => {
      const raw = await RawClient.open(server);
      const sid1 = await raw.connectNsp();
      await raw.roundTrip('before 41');
      raw.send('41');
      const sid2 = await raw.connectNsp();
      assert.notEqual(sid2, sid1, 'a new CONNECT gets a new socket id');
      await raw.roundTrip('after 41 and 40');
      assert.equal(raw.isClosed, false);
    }));

    it('DISCONNECT of /custom keeps "/" working on the same connection', T, withServer(async (server) => {
      const raw = await RawClient.open(server);
      await raw.connectNsp();
      raw.send('40/custom,');
      assert.match(await raw.next(), /^40\/custom,\{"sid":"[^"]+"\}$/);
      assert.equal(await raw.next(), '42/custom,["auth",{}]');
      raw.send('41/custom,');
      await raw.roundTrip('root after 41/custom');
      raw.send('40/custom,');
      assert.match(await raw.next(), /^40\/custom,\{"sid":"[^"]+"\}$/);
      assert.equal(await raw.next(), '42/custom,["auth",{}]');
      raw.send('42/custom,3["message-with-ack","c"]');
      assert.equal(await raw.next(), '43/custom,3["c"]');
    }));

    it('a second CONNECT to a connected namespace is ignored', T, withServer(async (server) => {
      const raw = await RawClient.open(server);
      await raw.connectNsp();
      raw.send('40');
      raw.send('40{"token":"again"}');
      // No second 40{...} (nor auth event): the ack is the next packet.
      await raw.roundTrip('after duplicate connect');
      assert.equal(raw.isClosed, false);
    }));

    it('a binary event with an ack completes normally', T, withServer(async (server) => {
      const raw = await RawClient.open(server);
      await raw.connectNsp();
      raw.send(`451-5["message-with-ack",${ph(0)}]`);
      raw.send(BIN);
      assert.equal(await raw.next(), `461-5[${ph(0)}]`);
      const [att] = await raw.q.take(1, 3000);
      assert.ok(Buffer.isBuffer(att) && att.equals(BIN), `attachment: ${fmt(att)}`);
      await raw.roundTrip('after binary');
    }));
  });
});
