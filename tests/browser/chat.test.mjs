// The demo chat in a real browser: Debian's chromium driven by playwright-core
// against sio-server. Two pages join room A and one room B; a message sent
// from an A page reaches the other A page and not the B page; a POST
// /api/emit to room B shows on the B page only. Run with the default
// transports (polling, then the upgrade to WebSocket), polling only and
// WebSocket only (the demo's ?transports= query). A screenshot of every page
// is saved under <build>/test-output/. Every wait is on a DOM condition with
// a deadline. The same runs once over HTTPS and WSS (--tls-cert, a
// certificate the test makes), with the browser told to accept it.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, buildDir, makeCert } from '../interop/support.mjs';
import { launchChromium, openChat as openPage, join, send, waitMessage, messages, WAIT, POLL } from './chat_page.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(REPO); // the v2 run's --client-dir is relative to the repository

const TOKEN = 'browser-test-token';
const OUT = path.join(buildDir(), 'test-output');

let server;
let browser;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  browser = await launchChromium({ ignoreHTTPSErrors: true }); // the HTTPS run's certificate is the test's own
});

after(async () => {
  if (browser) await browser.close();
});

/** Starts sio-server; with `tlsFiles` ({cert, key, certPem}) over HTTPS. */
async function startChatServer(extraArgs, tlsFiles) {
  const tlsArgs = tlsFiles ? ['--tls-cert', tlsFiles.cert, '--tls-key', tlsFiles.key] : [];
  server = await startServer('sio-server', ['--api-token', TOKEN, ...extraArgs, ...tlsArgs]);
  server.base = tlsFiles ? `https://127.0.0.1:${server.port}` : server.url;
  server.ca = tlsFiles ? tlsFiles.certPem : undefined;
}

async function stopChatServer() {
  if (!server) return;
  const exit = await server.stop();
  const out = server.output();
  server = null;
  assert.equal(exit.code, 0, `server exit ${JSON.stringify(exit)}`);
  assert.ok(!/^\S+ error /m.test(out), `error lines in the server output:\n${out}`);
  // A page load (Chromium asks for /favicon.ico) is no news at info or above.
  assert.ok(!/^\S+ (warn|info) .*favicon/m.test(out), `the favicon in the server output:\n${out}`);
}

/** Opens the demo on the server, waits until it is connected (on `transport` when given). */
function openChat(query, transport) {
  return openPage(browser.context, server.base, query, transport);
}

/** POST /api/emit (over HTTPS too, verifying the test's certificate). */
async function emit(body) {
  const url = new URL('/api/emit', server.base);
  const res = await new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? https : http).request(url, {
      method: 'POST',
      ca: server.ca,
      timeout: WAIT,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    }, (r) => {
      let text = '';
      r.on('data', (d) => { text += d; });
      r.on('end', () => resolve({ status: r.statusCode, text }));
    });
    req.on('timeout', () => req.destroy(new Error('POST /api/emit timed out')));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
  assert.equal(res.status, 200, res.text);
  return JSON.parse(res.text);
}

async function scenario(mode, label) {
  const query = mode === 'default' ? '' : `?transports=${mode}`;
  // With the default transports the client upgrades to WebSocket.
  const transport = mode === 'default' ? 'websocket' : mode;
  const A = `A-${mode}`;
  const B = `B-${mode}`;
  const pages = {};
  try {
    pages.a1 = await openChat(query, transport);
    pages.a2 = await openChat(query, transport);
    pages.b1 = await openChat(query, transport);
    await join(pages.a1, `a1 ${mode}`, A);
    await join(pages.a2, `a2 ${mode}`, A);
    await join(pages.b1, `b1 ${mode}`, B);

    // A message from a1 reaches a2 (and a1), not b1.
    const hello = `hello A from a1 over ${mode}`;
    await send(pages.a1, A, hello);
    await waitMessage(pages.a2, hello);
    await waitMessage(pages.a1, hello);
    const seen = (await messages(pages.a2)).find((m) => m.text === hello);
    assert.deepEqual({ room: seen.room, from: seen.from, text: seen.text }, { room: A, from: `a1 ${mode}`, text: hello });
    assert.ok(seen.shown.includes(A) && seen.shown.includes(`a1 ${mode}`), `shown: ${seen.shown}`);
    // b1's own message to B arrives after a1's was broadcast: had b1 been
    // sent a1's message, it would be there by now.
    const own = `b1 talks to B over ${mode}`;
    await send(pages.b1, B, own);
    await waitMessage(pages.b1, own);
    assert.deepEqual((await messages(pages.b1)).map((m) => m.text), [own]);

    // The HTTP API to room B: b1 only.
    const fromApi = `the API to B over ${mode}`;
    assert.deepEqual(await emit({ rooms: [B], event: 'message', data: [{ room: B, from: 'backend', text: fromApi, at: Date.now() }] }),
      { recipients: 1 });
    await waitMessage(pages.b1, fromApi);
    const sentinel = `sentinel to A over ${mode}`;
    assert.deepEqual(await emit({ rooms: [A], event: 'message', data: [{ room: A, from: 'backend', text: sentinel, at: Date.now() }] }),
      { recipients: 2 });
    await waitMessage(pages.a1, sentinel);
    await waitMessage(pages.a2, sentinel);
    for (const p of [pages.a1, pages.a2]) {
      assert.deepEqual((await messages(p)).map((m) => m.text), [hello, sentinel]);
    }
    assert.deepEqual((await messages(pages.b1)).map((m) => [m.from, m.text]), [[`b1 ${mode}`, own], ['backend', fromApi]]);

    // A message to a room the page is not in is refused, and said so.
    await send(pages.b1, A, 'not in A');
    await pages.b1.waitForFunction(() => document.getElementById('error').textContent !== '', null,
      { timeout: WAIT, polling: POLL });
    assert.match(await pages.b1.textContent('#error'), /not in this room/);

    for (const [name, p] of Object.entries(pages)) {
      assert.deepEqual(p.errors, [], `${name}: errors in the page`);
      assert.equal(await p.textContent('#transport'), transport, `${name}: transport`);
    }
  } finally {
    for (const [name, p] of Object.entries(pages)) {
      await p.screenshot({ path: path.join(OUT, `chat-${label}-${mode}-${name}.png`), fullPage: true }).catch(() => {});
      await p.close();
    }
  }
}

// The page is the same for both clients: socket.io-client 4.x (Engine.IO v4)
// and the 2.x bundle (Engine.IO v3), served by sio-server from --client-dir.
const CLIENTS = [
  { label: 'v4', args: [] },
  { label: 'v2', args: ['--client-dir', 'tests/node_modules/socket.io-client-v2/dist'] },
];

for (const client of CLIENTS) {
  describe(`demo chat in chromium, socket.io-client ${client.label}`, () => {
    before(() => startChatServer(client.args));
    after(stopChatServer);
    for (const mode of ['default', 'polling', 'websocket']) {
      it(`rooms and the emit API, transports: ${mode}`, { timeout: 60_000 }, async () => {
        try {
          await scenario(mode, client.label);
        } catch (err) {
          err.message += `\n-- server output:\n${server ? server.output() : ''}`;
          throw err;
        }
      });
    }
  });
}

describe('demo chat in chromium over HTTPS and WSS (--tls-cert), socket.io-client v4', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-chat-tls-'));
  before(() => startChatServer([], makeCert(dir, 'chat over tls')));
  after(async () => {
    await stopChatServer();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  for (const mode of ['default', 'polling']) {
    it(`rooms and the emit API, transports: ${mode}`, { timeout: 60_000 }, async () => {
      try {
        await scenario(mode, 'tls');
      } catch (err) {
        err.message += `\n-- server output:\n${server ? server.output() : ''}`;
        throw err;
      }
    });
  }
});
