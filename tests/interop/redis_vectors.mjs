// Writes the wire vectors of the Redis codec's unit test
// (tests/unit/test_redis_codec.c) into proto/redis/:
//
//   node tests/interop/redis_vectors.mjs
//
// proto/redis/notepack/NAME.mp: messages built here and encoded by the real
//   notepack.io (the encoder of @socket.io/redis-adapter and -emitter);
// proto/redis/captured/NAME.bin: messages a live socket.io 4.8 node with
//   @socket.io/redis-adapter 8.3 (and the emitter 5.1) published to a real
//   redis-server, as captured from Redis (cluster_support.mjs starts both).
// The unit test reads the committed files: it needs neither Node nor Redis.
// The captured ones carry random ids, ports and times: rewriting them
// changes those bytes, and the unit test checks only what is stable.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import msgpack from 'notepack.io';
import { startRedis } from './cluster_support.mjs';
import { captureEveryMessage } from './cluster_traffic.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROTO = path.resolve(HERE, '..', '..', 'proto', 'redis');

function write(dir, name, bytes) {
  fs.mkdirSync(path.join(PROTO, dir), { recursive: true });
  fs.writeFileSync(path.join(PROTO, dir, name), bytes);
}

// ---- Built here, encoded by notepack.io ----
const noFlags = { rooms: [], except: [], flags: {} };
const built = {
  'broadcast-plain': ['abc123', { type: 2, data: ['ev', 1, 1.5, 'é', { k: [true, null] }], nsp: '/' }, noFlags],
  'broadcast-binary': ['abc123',
    { type: 2, data: ['bin', Buffer.from([1, 2, 3]), { nested: Buffer.alloc(0), list: [Buffer.from([255])] }], nsp: '/custom' },
    { rooms: ['r1'], except: ['x', 'y'], flags: { volatile: true, compress: true } }],
  'broadcast-numbers': ['abc123', {
    type: 2,
    data: ['n', 0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296, 2 ** 53, -1, -32, -33, -128, -129,
      -32768, -32769, -2147483648, -2147483649, -(2 ** 53), 0.5, -0.25, 1e-7, 123.456],
    nsp: '/',
  }, noFlags],
  'broadcast-strings': ['abc123', {
    type: 2,
    data: ['s', '', 'a'.repeat(31), 'b'.repeat(32), 'c'.repeat(255), 'd'.repeat(256), 'e'.repeat(65536),
      '\u00e9\u4e2d\ud83d\ude00', 'quote " backslash \\ newline \n tab \t nul \u0000 del \u007f'],
    nsp: '/',
  }, noFlags],
  'broadcast-containers': ['abc123', {
    type: 2,
    data: ['c', Array.from({ length: 16 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, i])), [], {}, [[[[1]]]]],
    nsp: '/',
  }, noFlags],
  'broadcast-flags': ['abc123', { type: 2, data: ['f'], nsp: '/' },
    { rooms: ['a', 'b'], except: [], flags: { volatile: true, compress: false, local: false, broadcast: true, timeout: 1500 } }],
  'broadcast-date': ['abc123', {
    type: 2,
    data: ['d', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)), new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), new Date(-1000)],
    nsp: '/',
  }, noFlags],
  'broadcast-undefined': ['abc123', { type: 2, data: ['u', undefined, { a: undefined, b: 1 }], nsp: '/' }, noFlags],
  'broadcast-no-nsp': ['abc123', { type: 2, data: ['x'] }, { rooms: [], except: [] }],
  'request-broadcast-ack': {
    uid: 'abc123', requestId: 'req001', type: 7,
    packet: { type: 2, data: ['ask', Buffer.from('hi')], nsp: '/' },
    opts: { rooms: ['r1'], except: [], flags: { timeout: 2000 } },
  },
  'response-ack': { type: 9, requestId: 'req001', packet: { back: 'yes', n: [1, 2] } },
  'response-ack-binary': { type: 9, requestId: 'req001', packet: Buffer.from([0, 1, 2]) },
};
for (const [name, value] of Object.entries(built)) write('notepack', `${name}.mp`, msgpack.encode(value));

// ---- Captured from a live node through Redis ----
const redis = await startRedis();
try {
  for (const m of await captureEveryMessage(redis.url)) write('captured', `${m.name}.bin`, m.bytes);
} finally {
  await redis.stop();
}
console.log(`wrote ${PROTO}`);
