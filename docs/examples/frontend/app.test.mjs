// The news page (index.html) in a real browser against sio-testserver:
// Playwright drives the page, the test drives the server through its
// control API, or plays a scenario file. Run with:
//   node --test docs/examples/frontend/app.test.mjs
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startTestServer } from './testserver.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const CLIENT = createRequire(import.meta.url).resolve('socket.io-client/dist/socket.io.js');
const WAIT = 10000;

// The page comes from a server of its own, as from a frontend's dev server:
// another origin than sio-testserver's, which therefore gets --cors-origin.
let app;
let APP;
let browser;
before(async () => {
  app = http.createServer((req, res) => {
    const file = req.url === '/socket.io.js' ? CLIENT : path.join(HERE, 'index.html');
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/html' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => app.listen(0, '127.0.0.1', resolve));
  APP = `http://127.0.0.1:${app.address().port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
});
after(async () => {
  await browser?.close();
  app?.close();
});

/** Opens the page, connected to `server`. */
async function openPage(server) {
  const page = await browser.newPage();
  await page.goto(`${APP}/?server=${encodeURIComponent(server)}`);
  return page;
}

/** Waits until the element shows exactly `text`. */
function shows(page, selector, text) {
  return page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, text],
    { timeout: WAIT, polling: 20 });
}

/** Waits until the page's status history holds `statuses` in this order
 * (a status may last too short a time to be seen as the current one). */
function went(page, ...statuses) {
  return page.waitForFunction((want) => {
    const seen = [...document.querySelectorAll('#history li')].map((li) => li.textContent);
    let i = 0;
    for (const s of seen) if (s === want[i]) i++;
    return i === want.length;
  }, statuses, { timeout: WAIT, polling: 20 });
}

test('shows the news the server pushes, sends messages that are acknowledged', async () => {
  const ts = await startTestServer(['--cors-origin', APP]);
  const page = await openPage(ts.url);
  try {
    await ts.control('on-event', { event: 'send', ack: [{ id: 42 }] });
    await shows(page, '#status', 'connected');

    await ts.control('emit', { event: 'news', args: [{ text: 'first news' }] });
    await shows(page, '#news li', 'first news');

    await page.fill('#text', 'hello');
    await page.click('#send');
    const sent = await ts.control('wait', { event: 'send', timeout_ms: WAIT });
    assert.deepEqual(sent.args, [{ text: 'hello' }]);
    await shows(page, '#acked', 'delivered as #42');
  } finally {
    await page.close();
    await ts.stop();
  }
});

test('comes back by itself after a ping timeout', async () => {
  const ts = await startTestServer(['--cors-origin', APP, '--ping-interval', '300', '--ping-timeout', '200']);
  const page = await openPage(ts.url);
  try {
    const first = await ts.control('wait', { kind: 'connect', timeout_ms: WAIT });
    await ts.control('fault', { socket: first.socket, faults: ['no-heartbeat'] });
    const again = await ts.control('wait', { kind: 'connect', after: first.seq, timeout_ms: WAIT });
    assert.notEqual(again.socket, first.socket);
    await went(page, 'connected', 'disconnected: ping timeout', 'connected');
  } finally {
    await page.close();
    await ts.stop();
  }
});

test('the same with a scenario file', async () => {
  const ts = await startTestServer(
    ['--cors-origin', APP, '--ping-interval', '300', '--ping-timeout', '200',
      '--scenario', path.join(HERE, 'news.scenario.json')],
    { control: false });
  const page = await openPage(ts.url);
  try {
    await shows(page, '#news li', 'welcome');
    await page.fill('#text', 'hello');
    await page.click('#send');
    await shows(page, '#acked', 'delivered as #7');
    await went(page, 'connected', 'disconnected: ping timeout', 'connected');
    assert.equal(await ts.exited, 0, ts.output()); // every step was met
  } finally {
    await page.close();
    await ts.stop();
  }
});
