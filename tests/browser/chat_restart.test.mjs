// The demo chat through a restart of sio-server, in chromium (playwright-core).
// Three pages: p1 in rooms "lobby" and "side", p2 in "side", p3 in "lobby".
// The server stops; every page says "reconnecting…" and names no transport.
// p1 is kept offline a little longer (its Socket.IO requests are refused by
// the browser, which socket.io-client reports as "xhr poll error") and a
// message is typed on it to "side" while it is down: the page keeps it. The
// server starts again on the same port (started from /tmp: it finds its data
// by itself); p2 and p3 come back and join their rooms again; then p1 does,
// and its message reaches p2, in "side" (not p3), with no "not in this room"
// refusal, and p1's old error is gone. Every wait is on a DOM condition with
// a deadline.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, buildDir } from '../interop/support.mjs';
import { launchChromium, openChat, join, send, waitMessage, messages, WAIT, POLL } from './chat_page.mjs';

const OUT = path.join(buildDir(), 'test-output');
const SOCKET_IO_REQUESTS = '**/socket.io/?**';

let browser;
let server;

before(async () => {
  fs.mkdirSync(OUT, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  if (server) await server.stop();
  if (browser) await browser.close();
});

function start(port) {
  return startServer('sio-server', [], { cwd: os.tmpdir(), port });
}

/** Waits until the page's element `id` has a text that `want` (a string or a RegExp) matches. */
function waitText(page, id, want, what) {
  const [source, flags, exact] = want instanceof RegExp ? [want.source, want.flags, null] : [null, null, want];
  return page.waitForFunction(([i, src, fl, ex]) => {
    const t = document.getElementById(i).textContent;
    return src === null ? t === ex : new RegExp(src, fl).test(t);
  }, [id, source, flags, exact], { timeout: WAIT, polling: POLL }).catch((err) => {
    err.message = `${what}: #${id} never matched ${want}\n${err.message}`;
    throw err;
  });
}

/** Waits until the page shows itself in `rooms` (its joins acknowledged). */
function waitRooms(page, rooms) {
  return page.waitForFunction((want) => {
    const have = [...document.querySelectorAll('#rooms .room')].map((e) => e.dataset.room).sort();
    return JSON.stringify(have) === JSON.stringify(want);
  }, [...rooms].sort(), { timeout: WAIT, polling: POLL });
}

describe('demo chat through a server restart', () => {
  it('a message typed while the server was down arrives in its room after the rejoin', { timeout: 90_000 },
    async () => {
      server = await start(0);
      const port = server.port;
      const base = server.url;
      const pages = {};
      try {
        pages.p1 = await openChat(browser.context, base, '', 'websocket');
        pages.p2 = await openChat(browser.context, base, '', 'websocket');
        pages.p3 = await openChat(browser.context, base, '', 'websocket');
        await join(pages.p1, 'p1', 'lobby');
        await join(pages.p1, 'p1', 'side');
        await join(pages.p2, 'p2', 'side');
        await join(pages.p3, 'p3', 'lobby');

        // p1 cannot reach the server until told: its reconnection attempts
        // start with polling requests, which the browser now refuses.
        await pages.p1.route(SOCKET_IO_REQUESTS, (route) => route.abort('connectionrefused'));
        const exit = await server.stop();
        assert.equal(exit.code, 0, `server exit ${JSON.stringify(exit)}\n${server.output()}`);
        server = null;
        for (const [name, p] of Object.entries(pages)) {
          await waitText(p, 'status', 'reconnecting…', `${name} while the server is down`);
          await waitText(p, 'transport', '-', `${name} while the server is down`);
        }
        await waitText(pages.p1, 'error', /xhr poll error/, 'p1 after a failed attempt');

        // Typed while down: the page keeps it (the room field says "side").
        const text = 'typed on p1 while the server was down';
        await send(pages.p1, 'side', text);
        await waitText(pages.p1, 'queued', /^1 message waits/, 'p1 with its message kept');
        assert.equal(await pages.p1.inputValue('#text'), '', 'the text field is cleared');

        server = await start(port);
        for (const [name, p, rooms] of [['p2', pages.p2, ['side']], ['p3', pages.p3, ['lobby']]]) {
          await waitText(p, 'status', 'connected', `${name} after the restart`);
          await waitRooms(p, rooms);
        }
        assert.equal(await pages.p1.textContent('#status'), 'reconnecting…', 'p1 is still kept offline');

        await pages.p1.unroute(SOCKET_IO_REQUESTS);
        await waitText(pages.p1, 'status', 'connected', 'p1 once it may reconnect');
        await waitText(pages.p1, 'error', '', 'the old error once connected');
        await waitMessage(pages.p2, text);
        await waitMessage(pages.p1, text); // the sender is in the room too
        await waitRooms(pages.p1, ['lobby', 'side']);
        await waitText(pages.p1, 'queued', '', 'p1 once its message went');
        await waitText(pages.p1, 'transport', /^(polling|websocket)$/, 'p1 connected');
        const got = (await messages(pages.p2)).find((m) => m.text === text);
        assert.deepEqual({ room: got.room, from: got.from }, { room: 'side', from: 'p1' });
        assert.equal(await pages.p1.textContent('#error'), '', 'no refusal ("not in this room")');

        // p3, in "lobby" only, never gets it: a later message to "lobby"
        // arrives after it would have.
        const sentinel = 'p1 to the lobby after the restart';
        await send(pages.p1, 'lobby', sentinel);
        await waitMessage(pages.p3, sentinel);
        assert.deepEqual((await messages(pages.p3)).map((m) => m.text), [sentinel]);
        for (const [name, p] of Object.entries(pages)) {
          assert.deepEqual(p.errors, [], `${name}: errors in the page`);
          await waitText(p, 'transport', 'websocket', `${name} upgraded again`);
        }
      } catch (err) {
        err.message += `\n-- server output:\n${server ? server.output() : '(stopped)'}`;
        throw err;
      } finally {
        for (const [name, p] of Object.entries(pages)) {
          await p.screenshot({ path: path.join(OUT, `chat-restart-${name}.png`), fullPage: true }).catch(() => {});
          await p.close();
        }
      }
    });

  it('long words wrap inside the message box', { timeout: 30_000 }, async () => {
    server ??= await start(0);
    const page = await openChat(browser.context, server.url, '', null);
    try {
      await join(page, 'wrapper', 'wide');
      const word = 'x'.repeat(600);
      await send(page, 'wide', word);
      await waitMessage(page, word);
      const box = await page.$eval('#messages', (el) => ({ scroll: el.scrollWidth, client: el.clientWidth }));
      assert.ok(box.scroll <= box.client, `the message box scrolls sideways: ${JSON.stringify(box)}`);
      assert.deepEqual(page.errors, []);
    } finally {
      await page.close();
    }
  });
});
