// The demo chat (tools/demo) in Debian's chromium, driven by playwright-core:
// what the browser tests do with its pages. Every wait is on a DOM
// condition with a deadline.
//
//   const browser = await launchChromium();
//   const page = await openChat(browser.context, url, '?transports=websocket', 'websocket');
//   await join(page, 'ann', 'lobby'); await send(page, 'lobby', 'hi');
//   await waitMessage(otherPage, 'hi');
//   await browser.close();

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const WAIT = 10_000; // ms, any single DOM condition
// Conditions are checked every POLL ms: the default (requestAnimationFrame)
// barely runs in pages that are not in front.
export const POLL = 20;

/**
 * A headless chromium with a profile of its own: { context, close() }.
 * `contextOptions` go to playwright's launchPersistentContext.
 */
export async function launchChromium(contextOptions = {}) {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} not found: run tools/install-deps.sh (Debian package chromium)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync'],
      timeout: 30_000,
      ...contextOptions,
    });
  } catch (err) {
    fs.rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Opens the demo at baseUrl, waits until it is connected (on `transport` when given). */
export async function openChat(context, baseUrl, query, transport) {
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  await page.goto(`${baseUrl}/${query}`, { timeout: WAIT });
  await page.waitForFunction(() => document.getElementById('status').textContent === 'connected', null,
    { timeout: WAIT, polling: POLL });
  if (transport) {
    await page.waitForFunction((t) => document.getElementById('transport').textContent === t, transport,
      { timeout: WAIT, polling: POLL });
  }
  return page;
}

export async function join(page, name, room) {
  await page.bringToFront(); // input events wait for frames, which only the front page gets
  await page.fill('#name', name);
  await page.fill('#room', room);
  await page.click('#join');
  await page.waitForSelector(`#rooms [data-room="${room}"]`, { timeout: WAIT });
  assert.equal(await page.textContent('#error'), '');
}

export async function send(page, room, text) {
  await page.bringToFront();
  await page.fill('#room', room);
  await page.fill('#text', text);
  await page.click('#send');
}

/** Waits until the page shows a message with this text. */
export function waitMessage(page, text) {
  return page.waitForFunction(
    (t) => [...document.querySelectorAll('#messages .message .text')].some((e) => e.textContent === t),
    text, { timeout: WAIT, polling: POLL });
}

/** The messages the page shows, as {room, from, text, shown}. */
export function messages(page) {
  return page.$$eval('#messages .message', (els) => els.map((e) => ({
    room: e.dataset.room,
    from: e.dataset.from,
    text: e.querySelector('.text').textContent,
    shown: e.textContent,
  })));
}
