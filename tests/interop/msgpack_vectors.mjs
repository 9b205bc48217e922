// Writes the wire vectors of the msgpack parser's unit test
// (tests/unit/test_mp_parser.c) into proto/msgpack/:
//
//   node tests/interop/msgpack_vectors.mjs
//
// valid/NAME.mp: packets as socket.io-client 4.8 builds them (with the
//   `options` key of its emits, and `data: undefined` on a CONNECT without
//   auth), encoded by socket.io-msgpack-parser 3.0.2's own Encoder (notepack.io
//   2.2 in Node: Buffers as bin, typed arrays as extension 0, undefined and
//   Dates as fixext of type 0);
// invalid/NAME.mp: maps the parser's Decoder refuses (checkPacket), and one
//   it takes that a server refuses (a CONNECT_ERROR from a client).
// The unit test reads the committed files: it does not need Node.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import parser from 'socket.io-msgpack-parser';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PROTO = path.resolve(HERE, '..', '..', 'proto', 'msgpack');
const encoder = new parser.Encoder();

function write(dir, name, packet) {
  const [bytes] = encoder.encode(packet);
  fs.mkdirSync(path.join(PROTO, dir), { recursive: true });
  fs.writeFileSync(path.join(PROTO, dir, `${name}.mp`), bytes);
}

const opts = { compress: true };
write('valid', 'connect', { type: 0, data: undefined, nsp: '/' });
write('valid', 'connect-auth', { type: 0, data: { token: 'abc', n: 1.5 }, nsp: '/custom' });
write('valid', 'disconnect', { type: 1, nsp: '/custom' });
write('valid', 'event', { type: 2, data: ['message', 1, 'two', { a: null, b: [true, false] }], options: opts, nsp: '/' });
write('valid', 'event-ack', { type: 2, data: ['message-with-ack', 'x'], options: opts, id: 7, nsp: '/custom' });
write('valid', 'event-binary', {
  type: 2, data: ['message', { b: Buffer.from([1, 2, 3]), list: [Buffer.from('x'), Buffer.alloc(0)] }], options: opts, nsp: '/',
});
write('valid', 'event-typed-array', { type: 2, data: ['message', new Uint8Array([4, 5])], options: opts, nsp: '/' });
write('valid', 'event-date-undefined', { type: 2, data: ['message', new Date(86400000), undefined], options: opts, nsp: '/' });
write('valid', 'event-unicode', { type: 2, data: ['h\u00e9llo', '\u{1f600}', 'a"b\\c\n'], options: opts, nsp: '/' });
write('valid', 'ack', { type: 3, data: ['ok', Buffer.from([255])], id: 5, nsp: '/' });
write('valid', 'ack-empty', { type: 3, data: [], id: 9007199254740991, nsp: '/' });

write('invalid', 'connect-error', { type: 4, data: { message: 'x' }, nsp: '/' });
write('invalid', 'type-binary-event', { type: 5, data: ['message'], nsp: '/' });
write('invalid', 'type-string', { type: '2', data: ['message'], nsp: '/' });
write('invalid', 'type-fraction', { type: 2.5, data: ['message'], nsp: '/' });
write('invalid', 'no-type', { data: ['message'], nsp: '/' });
write('invalid', 'no-nsp', { type: 2, data: ['message'] });
write('invalid', 'nsp-number', { type: 2, data: ['message'], nsp: 1 });
write('invalid', 'event-not-array', { type: 2, data: { a: 1 }, nsp: '/' });
write('invalid', 'event-empty', { type: 2, data: [], nsp: '/' });
write('invalid', 'event-name-number', { type: 2, data: [1], nsp: '/' });
write('invalid', 'event-reserved', { type: 2, data: ['disconnect'], nsp: '/' });
write('invalid', 'event-no-data', { type: 2, nsp: '/' });
write('invalid', 'ack-not-array', { type: 3, data: 'x', id: 1, nsp: '/' });
write('invalid', 'connect-null', { type: 0, data: null, nsp: '/' });
write('invalid', 'connect-array', { type: 0, data: [], nsp: '/' });
write('invalid', 'disconnect-data', { type: 1, data: {}, nsp: '/' });
write('invalid', 'id-string', { type: 2, data: ['message'], id: '1', nsp: '/' });
write('invalid', 'id-fraction', { type: 2, data: ['message'], id: 1.5, nsp: '/' });
write('invalid', 'id-negative', { type: 2, data: ['message'], id: -1, nsp: '/' });
write('invalid', 'id-null', { type: 2, data: ['message'], id: null, nsp: '/' });
write('invalid', 'not-a-map', [2, ['message'], '/']);
