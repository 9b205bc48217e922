// TLS (--tls-cert / --tls-key, sio_options.tls_cert / tls_key), with a
// certificate the test makes (openssl) and that every client verifies:
//
// - socket.io-client 4.x and 2.x over https:// polling, wss:// and the
//   upgrade: connected, events and acks (binary too) flow;
// - the handshake request says it was secure (sio-echo's /request);
// - a plain-HTTP request to the TLS port gets no HTTP answer;
// - SIGHUP (sio_server_reload_tls) loads renewed files: new connections get
//   the new certificate, a client connected before goes on;
// - files that cannot be read or used refuse to start the server.
//
// Nothing sleeps to synchronise: every wait is for an event, with a deadline.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { io } from 'socket.io-client';
import { startServer, waitFor, withTimeout, diag, tracker, bytes, makeCert, stopChecked } from './support.mjs';

const require = createRequire(import.meta.url);
const io2 = require('socket.io-client-v2');

const T = { timeout: 20_000 };
const PATH = '/socket.io/';
const MODES = [
  { name: 'https polling', opts: { transports: ['polling'] }, final: 'polling' },
  { name: 'wss', opts: { transports: ['websocket'] }, final: 'websocket' },
  { name: 'https polling, then the upgrade to wss', opts: { transports: ['polling', 'websocket'] }, final: 'websocket' },
];

const { track, closeAll } = tracker((s) => { s.disconnect(); if (s.io) s.io.close?.(); });
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-tls-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const cert = makeCert(dir, 'first');

const httpsUrl = (server) => `https://127.0.0.1:${server.port}`;

function connect4(server, nsp, opts, auth) {
  return track(io(`${httpsUrl(server)}${nsp}`, {
    path: PATH, forceNew: true, reconnection: false, timeout: 5000, ca: cert.certPem, ...opts, ...(auth ? { auth } : {}),
  }));
}

describe('sio-echo over TLS', () => {
  let server;
  before(async () => {
    server = await startServer('sio-echo', ['--path', PATH, '--tls-cert', cert.cert, '--tls-key', cert.key]);
  });
  after(async () => {
    closeAll();
    await stopChecked(server);
  });

  for (const mode of MODES) {
    it(`socket.io-client 4.x, ${mode.name}: connected with the certificate verified; events and acks flow`, T,
      () => diag(server, async () => {
        const s = connect4(server, '/', mode.opts);
        await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error'] });
        if (mode.final === 'websocket' && s.io.engine.transport.name !== 'websocket') {
          await waitFor(s.io.engine, 'upgrade', 5000);
        }
        assert.equal(s.io.engine.transport.name, mode.final);
        const reply = await withTimeout(new Promise((r) => s.emit('message-with-ack', 'over tls', bytes(300, 3),
          (...a) => r(a))), 5000, 'ack');
        assert.equal(reply[0], 'over tls');
        assert.deepEqual([...reply[1]], [...bytes(300, 3)]);
      }));

    it(`socket.io-client 2.x, ${mode.name}: connected; an ack comes back`, T, () => diag(server, async () => {
      const s = track(io2(httpsUrl(server), {
        path: PATH, forceNew: true, reconnection: false, timeout: 5000, ca: cert.certPem, ...mode.opts,
      }));
      await waitFor(s, 'connect', 5000, { rejectOn: ['connect_error', 'error'] });
      const reply = await withTimeout(new Promise((r) => s.emit('message-with-ack', 'v2', r)), 5000, 'ack');
      assert.equal(reply, 'v2');
    }));
  }

  it('the handshake request is secure (/request)', T, () => diag(server, async () => {
    const s = connect4(server, '/request', { transports: ['websocket'] });
    const req = await waitFor(s, 'request', 5000, { rejectOn: ['connect_error'] });
    assert.equal(req.secure, true);
    const p = connect4(server, '/request', { transports: ['polling'] });
    assert.equal((await waitFor(p, 'request', 5000, { rejectOn: ['connect_error'] })).secure, true);
  }));

  it('plain HTTP on the TLS port gets no HTTP answer', T, () => diag(server, async () => {
    const got = await withTimeout(new Promise((resolve) => {
      const c = net.connect(server.port, '127.0.0.1', () => c.write(`GET ${PATH}?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n`));
      let data = '';
      c.on('data', (d) => { data += d.toString('latin1'); });
      c.on('close', () => resolve(data));
      c.on('error', () => resolve(data));
    }), 5000, 'the server to close the plain connection');
    assert.doesNotMatch(got, /^HTTP\/1\.1 200/);
  }));
});

describe('certificate reload on SIGHUP (sio-server)', () => {
  let server;
  const reloadDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-tls-reload-'));
  let files;
  before(async () => {
    files = makeCert(reloadDir, 'before the reload');
    server = await startServer('sio-server', ['--tls-cert', files.cert, '--tls-key', files.key]);
  });
  after(async () => {
    closeAll();
    await stopChecked(server);
    fs.rmSync(reloadDir, { recursive: true, force: true });
  });

  it('new connections get the renewed certificate; a connected client goes on', T, () => diag(server, async () => {
    const ca = (f) => fs.readFileSync(f.cert);
    const first = await withTimeout(new Promise((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: server.port, ca: ca(files) }, () => {
        resolve(c.getPeerCertificate().subject.CN);
        c.end();
      });
      c.on('error', reject);
    }), 5000, 'TLS handshake');
    assert.equal(first, 'before the reload');
    const before = track(io(`https://127.0.0.1:${server.port}`, {
      forceNew: true, reconnection: false, transports: ['websocket'], ca: ca(files),
    }));
    await waitFor(before, 'connect', 5000, { rejectOn: ['connect_error'] });

    const renewed = makeCert(reloadDir, 'after the reload');
    const from = server.output().length;
    server.proc.kill('SIGHUP');
    await server.untilOutput(/TLS certificate reloaded/, 5000, from);
    const now = await withTimeout(new Promise((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: server.port, ca: renewed.certPem }, () => {
        resolve(c.getPeerCertificate().subject.CN);
        c.end();
      });
      c.on('error', reject);
    }), 5000, 'TLS handshake after the reload');
    assert.equal(now, 'after the reload');
    assert.equal(before.connected, true);
    assert.equal(before.io.engine.transport.name, 'websocket');
  }));
});

describe('TLS files that cannot be used', () => {
  for (const [what, args, message] of [
    ['a missing key', ['--tls-cert', cert.cert, '--tls-key', path.join(dir, 'nope.pem')], /cannot read the TLS private key/],
    ['the key and certificate swapped', ['--tls-cert', cert.key, '--tls-key', cert.cert], /cannot use the TLS certificate/],
    ['a certificate without a key', ['--tls-cert', cert.cert], /--tls-cert and --tls-key go together/],
  ]) {
    it(`${what}: sio-echo refuses to start, saying why`, T, async () => {
      await assert.rejects(startServer('sio-echo', args), message);
    });
  }
});
