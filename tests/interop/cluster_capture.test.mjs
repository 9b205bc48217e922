// Our Redis codec reads what Node really sends: every kind of message a
// live socket.io 4.8 node with @socket.io/redis-adapter 8.3 and the
// emitter 5.1 publish (cluster_traffic.mjs) is captured from a real
// redis-server and decoded by build/tests/tools/redis-decode; the fields it
// finds must equal what Node's own reader (notepack.io, JSON.parse) finds in
// the same bytes, binaries included.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import msgpack from 'notepack.io';
import { buildDir } from './support.mjs';
import { startRedis } from './cluster_support.mjs';
import { captureEveryMessage } from './cluster_traffic.mjs';

/** Node's reading, in the shape redis-decode prints: each Buffer becomes the
 * next placeholder and its hex goes to `bins`. */
function withPlaceholders(value, bins) {
  if (Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    bins.push(Buffer.from(value.buffer ?? value, value.byteOffset ?? 0, value.byteLength).toString('hex'));
    return { _placeholder: true, num: bins.length - 1 };
  }
  if (value instanceof Date) return value.toJSON();
  if (Array.isArray(value)) return value.map((v) => withPlaceholders(v, bins));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withPlaceholders(v, bins)]));
  }
  return value;
}

function put(into, name, value) {
  if (value === undefined) return;
  const bins = [];
  into[name] = withPlaceholders(value, bins);
  into[`${name}Bins`] = bins;
}

function opts(o, withFlags) {
  const r = { rooms: (o.rooms ?? []).map(String), except: (o.except ?? []).map(String) };
  if (withFlags) {
    r.flags = {};
    for (const [k, v] of Object.entries(o.flags ?? {})) {
      if (k === 'timeout') r.flags.timeout = v;
      else if (v === true) r.flags[k] = true;
    }
  }
  return r;
}

function packet(p) {
  const r = { type: p.type, nsp: p.nsp ?? '/' };
  put(r, 'data', p.data);
  if (p.id !== undefined) r.id = p.id;
  return r;
}

function expected(kind, bytes) {
  const o = bytes[0] === 0x7b && kind !== 'broadcast' ? JSON.parse(bytes) : msgpack.decode(bytes);
  if (kind === 'broadcast') {
    const [uid, p, op] = o;
    return { kind, uid, packet: packet(p), opts: opts(op, true) };
  }
  if (kind === 'request') {
    const r = { kind, type: o.type };
    if (o.uid !== undefined) r.uid = o.uid;
    if (o.requestId !== undefined) r.requestId = o.requestId;
    if (o.opts) r.opts = opts(o.opts, o.opts.flags !== undefined);
    if (o.rooms?.length) r.rooms = o.rooms;
    if (o.type === 4) r.close = !!o.close;
    put(r, 'data', o.data);
    if (o.type === 7) r.packet = packet(o.packet);
    return r;
  }
  const r = { kind, requestId: o.requestId };
  if (o.type !== undefined) r.type = o.type;
  if (Array.isArray(o.sockets)) {
    r.sockets = o.sockets.map((s) => {
      if (typeof s === 'string') return s;
      const e = { id: s.id, rooms: s.rooms };
      put(e, 'handshake', s.handshake);
      put(e, 'data', s.data);
      return e;
    });
  }
  if (Array.isArray(o.rooms)) r.rooms = o.rooms;
  if (o.type === 8) r.clientCount = o.clientCount;
  put(r, 'data', o.type === 9 ? o.packet : o.data);
  return r;
}

function decodeWithC(kind, files) {
  const bin = path.join(buildDir(), 'tests', 'tools', 'redis-decode');
  return new Promise((resolve, reject) => {
    execFile(bin, [kind, ...files], { timeout: 10_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${bin}: ${err.message}\n${stderr}`));
      else resolve(stdout.trim().split('\n').map((l) => JSON.parse(l)));
    });
  });
}

describe('the Redis codec reads what a live Node cluster sends', () => {
  let redis;
  let messages;
  let dir;

  before(async () => {
    redis = await startRedis();
    messages = await captureEveryMessage(redis.url);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-capture-'));
  });
  after(async () => {
    await redis?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('captured every kind of message', () => {
    const kinds = new Set(messages.map((m) => m.name));
    for (const name of ['broadcast-room', 'request-fetch', 'response-fetch', 'request-sse-ack', 'response-sse',
      'request-join', 'request-broadcast', 'response-client-count', 'response-broadcast-ack',
      'emitter-broadcast', 'emitter-join', 'emitter-sse', 'emitter-disconnect']) {
      assert.ok(kinds.has(name), `no ${name} captured`);
    }
  });

  for (const kind of ['broadcast', 'request', 'response']) {
    it(`decodes every ${kind} as Node reads it`, async () => {
      const mine = messages.filter((m) => m.kind === kind);
      assert.ok(mine.length > 0);
      const files = mine.map((m) => {
        const f = path.join(dir, `${m.name}.bin`);
        fs.writeFileSync(f, m.bytes);
        return f;
      });
      const decoded = await decodeWithC(kind, files);
      mine.forEach((m, i) => {
        assert.deepEqual(decoded[i], expected(kind, m.bytes),
          `${m.name} on ${m.channel}: ${m.bytes.toString('hex')}`);
      });
    });
  }
});
