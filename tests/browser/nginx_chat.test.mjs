// The demo chat in chromium through nginx (docs/deploy/nginx.conf) in front
// of two sio-server processes joined through a real redis-server (--redis).
// Two WebSocket-only pages go to different backends (nginx sends a direct
// WebSocket to the process with fewer connections), a third page takes the
// default transports (polling, sticky, then the upgrade); all join one room,
// and a message typed in any page appears in the two others. Screenshots go
// under <build>/test-output/. Every wait is on an event or a DOM condition,
// with a deadline.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { buildDir } from '../interop/support.mjs';
import { startRedis, waitNumSub } from '../interop/cluster_support.mjs';
import { startNginxCluster } from '../interop/nginx_support.mjs';
import { launchChromium, openChat, join, send, waitMessage, messages } from './chat_page.mjs';

const OUT = path.join(buildDir(), 'test-output');
const ROOM = 'across';

let redis;
let cluster;
let browser;

describe('demo chat in chromium through nginx, two sio-server processes and Redis', () => {
  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    redis = await startRedis();
    cluster = await startNginxCluster({ args: ['--redis', redis.url] });
    await waitNumSub(redis.url, 'socket.io-request#/#', 2);
    browser = await launchChromium();
  });

  after(async () => {
    try {
      await browser?.close();
      await cluster?.stop();
    } finally {
      await redis?.stop();
    }
  });

  it('a message typed in one page appears in the pages on the other backend', { timeout: 60_000 }, async () => {
    const pages = {};
    try {
      // One after the other, so that each WebSocket page finds the other
      // backend the less busy.
      pages.left = await openChat(browser.context, cluster.url, '?transports=websocket&name=left', 'websocket');
      pages.right = await openChat(browser.context, cluster.url, '?transports=websocket&name=right', 'websocket');
      pages.third = await openChat(browser.context, cluster.url, '?name=third', 'websocket');
      const backend = {};
      for (const name of Object.keys(pages)) backend[name] = await cluster.backendOfName(name);
      assert.notEqual(backend.left, backend.right, 'the two WebSocket pages on different backends');

      for (const [name, p] of Object.entries(pages)) await join(p, name, ROOM);
      const said = [];
      for (const [name, p] of Object.entries(pages)) {
        const text = `${name} (backend ${backend[name]}) says hello`;
        said.push({ from: name, text });
        await send(p, ROOM, text);
        for (const [other, q] of Object.entries(pages)) {
          await waitMessage(q, text).catch((err) => {
            err.message = `${other} (backend ${backend[other]}) did not show "${text}": ${err.message}`;
            throw err;
          });
        }
      }
      for (const [name, p] of Object.entries(pages)) {
        assert.deepEqual((await messages(p)).map((m) => ({ from: m.from, text: m.text })), said, name);
        assert.deepEqual(p.errors, [], `${name}: errors in the page`);
        assert.equal(await p.textContent('#transport'), 'websocket', `${name}: transport`);
      }
    } catch (err) {
      err.message += `\n${cluster.outputs()}`;
      throw err;
    } finally {
      for (const [name, p] of Object.entries(pages)) {
        await p.screenshot({ path: path.join(OUT, `chat-nginx-${name}.png`), fullPage: true }).catch(() => {});
        await p.close();
      }
    }
  });
});
