// The Socket.IO Admin UI (@socket.io/admin-ui 0.5's own built files, served
// by sio-server at /admin/) in Debian's chromium, driven by playwright-core:
// the page loads with every request to another host refused, and makes none
// (it works offline: its font and icons are drawn from the server's copies),
// a wrong password shows the UI's "Invalid credentials", the right
// one logs in through the UI's form, and the sockets page lists the sockets
// connected to the server (their ids, in the page's DOM). Screenshots of the
// dashboard and the sockets page are saved under <build>/test-output/
// (admin-ui-dashboard.png, admin-ui-sockets.png). Every wait is on a DOM
// condition or an event, with a deadline.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { io } from 'socket.io-client';
import { startServer, buildDir, waitFor, withTimeout, stopChecked } from '../interop/support.mjs';
import { launchChromium, WAIT, POLL } from './chat_page.mjs';

const OUT = path.join(buildDir(), 'test-output');
const USER = 'operator';
const PASSWORD = 'a password for the browser test';

/** Waits until the page's transitions (the UI slides its pages in) are over. */
function settled(page) {
  return page.waitForFunction(() => document.getAnimations().every((a) => a.playState !== 'running'), null,
    { timeout: WAIT, polling: POLL });
}

/** The page's text is in Roboto and its icons are drawn with the Material
 * Design Icons font, both loaded (from the server: nothing else answers). */
async function assertFonts(page) {
  // Roboto has a face per weight and script, each loaded when text needs it.
  await page.waitForFunction(() => {
    const families = [...document.fonts].filter((f) => f.status === 'loaded').map((f) => f.family.replace(/["']/g, ''));
    return families.includes('Material Design Icons') && families.includes('Roboto');
  }, null, { timeout: WAIT, polling: POLL });
  const seen = await page.evaluate(() => {
    // An icon in view: its glyph is the ::before of an <i class="mdi mdi-...">.
    const icon = [...document.querySelectorAll('i.mdi')].find((i) => i.getBoundingClientRect().width > 0);
    const before = icon && getComputedStyle(icon, '::before');
    const glyph = before ? before.content.replace(/^"|"$/g, '') : '';
    // The glyph's advance at 24px: one em in the icon font; a font that
    // did not load would leave it to a fallback's missing-glyph box.
    const ctx = document.createElement('canvas').getContext('2d');
    const width = (font) => { ctx.font = font; return ctx.measureText(glyph).width; };
    return {
      text: getComputedStyle(document.querySelector('.v-application')).fontFamily,
      robotoReady: document.fonts.check('16px Roboto', 'Admin'),
      icon: icon && icon.className,
      iconFamily: before && before.fontFamily,
      glyph: glyph.codePointAt(0),
      glyphWidth: width('24px "Material Design Icons"'),
      fallbackWidth: width('24px serif'),
    };
  });
  const why = JSON.stringify(seen);
  assert.match(seen.text, /^"?Roboto"?,/, why);
  assert.ok(seen.robotoReady, why);
  assert.ok(seen.icon, 'no icon in view');
  assert.match(seen.iconFamily, /Material Design Icons/, why);
  assert.ok(seen.glyph >= 0xf0000, why); // mdi 7's glyphs are in plane 15
  assert.equal(seen.glyphWidth, 24, why);
}

// The UI's files come from sio-server's data directory (make assembles it
// from tools/node_modules, which make test installs): no skip when absent.
describe('admin UI in a browser', () => {
  let server, browser;
  const clients = [];

  before(async () => {
    fs.mkdirSync(OUT, { recursive: true });
    const hash = execFileSync(path.join(buildDir(), 'sio-server'), ['--hash-password'], { input: PASSWORD })
      .toString().trim();
    server = await startServer('sio-server', ['--admin-user', USER, '--admin-password-hash', hash]);
    browser = await launchChromium();
  });

  after(async () => {
    for (const c of clients) c.disconnect();
    if (browser) await browser.close();
    await stopChecked(server);
  });

  it('logs in through its form and lists the connected sockets', { timeout: 60_000 }, async () => {
    // Sockets for the UI to show: one on polling in a room, one on WebSocket.
    for (const transports of [['polling'], ['websocket']]) {
      const c = io(server.url, { forceNew: true, reconnection: false, transports });
      clients.push(c);
      await waitFor(c, 'connect', 5000, { rejectOn: ['connect_error'] });
    }
    assert.deepEqual(await withTimeout(clients[0].emitWithAck('join', 'lobby'), 5000, 'join'), { ok: true });

    const page = await browser.context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Offline: every request to another host is refused, and there must be
    // none (its font and icons are the server's, tools/assemble-admin-ui.sh).
    const here = `127.0.0.1:${server.port}`;
    const elsewhere = (url) => !['data:', 'blob:'].includes(url.protocol) && url.host !== here;
    const outside = [];
    page.on('request', (r) => { if (elsewhere(new URL(r.url()))) outside.push(r.url()); });
    await page.route(elsewhere, (route) => route.abort());
    await page.goto(`${server.url}/admin/`, { timeout: WAIT });

    const form = page.locator('form');
    await form.getByLabel('Server URL').fill(server.url, { timeout: WAIT });
    await form.getByLabel('Username').fill(USER);
    await form.getByLabel('Password').fill('not the password');
    await form.getByRole('button', { name: 'Connect' }).click();
    await page.getByText('Invalid credentials').waitFor({ timeout: WAIT });

    await form.getByLabel('Password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Connect' }).click();
    await form.waitFor({ state: 'hidden', timeout: WAIT });
    // The dashboard: the server's stats arrived (its name is the host name).
    await page.waitForFunction(() => /Servers|Serveurs/.test(document.body.innerText), null,
      { timeout: WAIT, polling: POLL });
    await settled(page);
    await page.screenshot({ path: path.join(OUT, 'admin-ui-dashboard.png'), fullPage: true });
    assert.deepEqual(outside, [], 'requests to other hosts');
    await assertFonts(page);

    await page.goto(`${server.url}/admin/#/sockets/`, { timeout: WAIT });
    const ids = clients.map((c) => c.id);
    await page.waitForFunction((want) => want.every((id) => document.body.innerText.includes(id)), ids,
      { timeout: WAIT, polling: POLL });
    const rows = await page.locator('table tbody tr').allInnerTexts();
    for (const [i, transport] of [[0, 'polling'], [1, 'websocket']]) {
      const row = rows.find((r) => r.includes(ids[i]));
      assert.ok(row, `no row for ${ids[i]} in ${JSON.stringify(rows)}`);
      assert.match(row.toLowerCase(), new RegExp(transport), `row ${JSON.stringify(row)}`);
    }
    await settled(page);
    await page.screenshot({ path: path.join(OUT, 'admin-ui-sockets.png'), fullPage: true });
    assert.deepEqual(errors, [], 'errors in the page');
    assert.deepEqual(outside, [], 'requests to other hosts');
  });
});
