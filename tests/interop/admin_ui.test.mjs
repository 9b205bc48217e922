// The admin UI's server side (sio-server --admin-*), driven by
// socket.io-client 4.x exactly as @socket.io/admin-ui 0.5's UI drives it:
// io(url + "/admin", {auth: {username, password}}) then {sessionId}; the
// events it reads (session, config, all_sockets, server_stats,
// socket_connected, socket_updated, socket_disconnected, room_joined,
// room_left, event_received, event_sent) and the commands it sends (join,
// leave, _disconnect, emit), against other clients of the chat on "/"; and
// the UI's own files, served at /admin/ with its font and icons.
//
// Every wait has a deadline; nothing sleeps.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { io } from 'socket.io-client';
import { adminClient } from './admin_support.mjs';
import { startServer, buildDir, waitFor, withTimeout, stopChecked, diag, fmt } from './support.mjs';

const T = { timeout: 30_000 };
const USER = 'admin';
const PASSWORD = 'correct horse battery staple';
const SERVER_ID = 'test-node-1';
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const HASH = execFileSync(path.join(buildDir(), 'sio-server'), ['--hash-password'], { input: PASSWORD + '\n' })
  .toString().trim();

const opened = new Set();
function track(socket) {
  opened.add(socket);
  return socket;
}
function closeAll() {
  for (const s of opened) s.disconnect();
  opened.clear();
}

/** A UI's connection (adminClient), closed after the test. */
function admin(server, auth, opts = {}) {
  return track(adminClient(server.url, auth, opts));
}

async function loggedIn(server, opts) {
  const a = admin(server, { username: USER, password: PASSWORD }, opts);
  await waitFor(a, 'connect', 5000, { rejectOn: ['connect_error'] });
  return a;
}

/** A chat client on "/" (the namespace the admin watches). */
async function chatClient(server, transports = ['polling', 'websocket'], upgrade = true) {
  const c = track(io(server.url, { forceNew: true, reconnection: false, transports, upgrade }));
  await waitFor(c, 'connect', 5000, { rejectOn: ['connect_error'] });
  return c;
}

function call(socket, event, ...args) {
  return withTimeout(socket.emitWithAck(event, ...args), 5000, `ack of ${event}`);
}

/** The next event `event` on a plain client, before `marker`: resolves its
 * arguments, or null when the marker comes first. */
function nextBefore(client, event, marker, ms = 5000) {
  return withTimeout(new Promise((resolve) => {
    const done = (v) => { client.off(event, onEvent); client.off(marker, onMarker); resolve(v); };
    const onEvent = (...args) => done(args);
    const onMarker = () => done(null);
    client.on(event, onEvent);
    client.on(marker, onMarker);
  }), ms, `'${event}' or '${marker}'`);
}

async function refusedWith(server, auth) {
  const a = admin(server, auth);
  const err = await waitFor(a, 'connect_error', 5000, { rejectOn: ['connect'] });
  a.disconnect();
  return err.message;
}

describe('admin UI: authentication', () => {
  let server;
  before(async () => {
    server = await startServer('sio-server', ['--admin-user', USER, '--admin-password-hash', HASH]);
  });
  after(async () => { closeAll(); await stopChecked(server); });

  it('refuses a wrong password, a wrong user, no auth and an unknown session with "invalid credentials"', T, () =>
    diag(server, async () => {
      assert.equal(await refusedWith(server, { username: USER, password: 'wrong' }), 'invalid credentials');
      assert.equal(await refusedWith(server, { username: 'root', password: PASSWORD }), 'invalid credentials');
      assert.equal(await refusedWith(server, undefined), 'invalid credentials');
      assert.equal(await refusedWith(server, { username: USER }), 'invalid credentials');
      assert.equal(await refusedWith(server, { username: USER, password: 42 }), 'invalid credentials');
      assert.equal(await refusedWith(server, { sessionId: '0123456789abcdef' }), 'invalid credentials');
    }));

  it('accepts the password, sends a session, and accepts the session afterwards', T, () => diag(server, async () => {
    const a = await loggedIn(server);
    const [sessionId] = await a.next('session');
    assert.match(sessionId, /^[0-9a-f]{16}$/);
    const [config] = await a.next('config');
    assert.deepEqual(config.supportedFeatures.sort(),
      ['AGGREGATED_EVENTS', 'ALL_EVENTS', 'DISCONNECT', 'EMIT', 'JOIN', 'LEAVE', 'MDISCONNECT', 'MJOIN', 'MLEAVE']);
    a.disconnect();
    // The UI's reload: the session instead of the password.
    const b = admin(server, { sessionId });
    await waitFor(b, 'connect', 5000, { rejectOn: ['connect_error'] });
    await b.next('config');
    assert.equal(b.events.filter((e) => e.event === 'session').length, 0, 'no new session for a session login');
  }));

  it('checks passwords off the loop: a flood of logins neither stops the chat nor grows without bound', T, () =>
    diag(server, async () => {
      const chat = await chatClient(server, ['websocket']);
      const FLOOD = 40;
      let lastRefusal = 0;
      const refusals = Array.from({ length: FLOOD }, () => {
        const a = admin(server, { username: USER, password: 'wrong' }, { transports: ['websocket'] });
        return waitFor(a, 'connect_error', 20_000, { rejectOn: ['connect'] })
          .then((err) => { lastRefusal = performance.now(); a.disconnect(); return err.message; });
      });
      // Each check costs the worker tens of ms: the chat answers long before the last refusal.
      assert.deepEqual(await call(chat, 'join', 'during-the-flood'), { ok: true });
      const answered = performance.now();
      const messages = await Promise.all(refusals);
      assert.ok(answered < lastRefusal, 'the chat waited for the logins');
      for (const m of messages) assert.ok(['invalid credentials', 'too many login attempts'].includes(m), m);
      assert.ok(messages.includes('too many login attempts'), `no login refused for the queue: ${messages}`);
      assert.ok(messages.includes('invalid credentials'), 'no password was checked');
      // The queue empties: the right password gets in afterwards.
      (await loggedIn(server)).disconnect();
    }));

  it('stops cleanly with logins still waiting for their check (each refused, nothing leaked)', T, async () => {
    const own = await startServer('sio-server', ['--admin-user', USER, '--admin-password-hash', HASH]);
    const logins = Array.from({ length: 12 }, () =>
      admin(own, { username: USER, password: 'wrong' }, { transports: ['websocket'] }));
    // Stop once the first is checked: the others are waiting, or being checked.
    await Promise.race(logins.map((a) => waitFor(a, 'connect_error', 10_000, { rejectOn: ['connect'] })));
    await stopChecked(own);
    for (const a of logins) a.disconnect();
  });

  it('does not start with --admin-user and no hash, or a hash that is not bcrypt', T, () => {
    const bin = path.join(buildDir(), 'sio-server');
    const env = { ...process.env, SIO_ADMIN_PASSWORD_HASH: '' };
    for (const args of [['--admin-user', USER],
      ['--admin-user', USER, '--admin-password-hash', '$6$salt$' + 'x'.repeat(86)],
      ['--admin-user', USER, '--admin-password-hash', HASH.slice(0, -1)],
      ['--admin-user', USER, '--no-admin-auth', '--admin-password-hash', HASH]]) {
      const r = spawnSync(bin, ['--port', '0', ...args], { env, timeout: 5000 });
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr.toString(), /admin/);
    }
  });
});

describe('admin UI: what it shows', () => {
  let server;
  before(async () => {
    server = await startServer('sio-server', ['--admin-user', USER, '--admin-password-hash', HASH,
      '--admin-server-id', SERVER_ID]);
  });
  after(async () => { closeAll(); await stopChecked(server); });

  it('lists every socket of every namespace in all_sockets, with rooms, transport and handshake', T, () =>
    diag(server, async () => {
      const polling = await chatClient(server, ['polling']);
      const ws = await chatClient(server, ['websocket']);
      assert.deepEqual(await call(polling, 'join', 'lobby'), { ok: true });
      const other = await loggedIn(server); // a socket of the namespace /admin
      const a = await loggedIn(server);
      const [sockets] = await a.next('all_sockets');
      const byId = new Map(sockets.map((s) => [s.id, s]));
      const p = byId.get(polling.id), w = byId.get(ws.id), o = byId.get(other.id);
      assert.ok(p && w && o, `all_sockets: ${fmt(sockets)}`);
      assert.equal(p.nsp, '/');
      assert.equal(p.transport, 'polling');
      assert.equal(p.clientId, polling.io.engine.id.slice(0, 12));
      assert.deepEqual(p.rooms, [polling.id, 'lobby']);
      assert.deepEqual(p.data, {});
      assert.equal(p.handshake.address, '127.0.0.1');
      assert.equal(typeof p.handshake.headers, 'object');
      assert.match(p.handshake.url, /^\/socket\.io\/\?/);
      assert.equal(w.transport, 'websocket');
      assert.equal(o.nsp, '/admin');
      assert.equal(o.handshake.auth, undefined, 'the handshake is sent without auth (the password)');
      assert.ok(!JSON.stringify(sockets).includes(PASSWORD), 'the password appears nowhere');
    }));

  it('sends server_stats with the server, its clients and its namespaces', T, () => diag(server, async () => {
    await chatClient(server, ['polling']);
    await chatClient(server, ['websocket']);
    const a = await loggedIn(server);
    const [stats] = await a.next('server_stats', (s) => s.clientsCount >= 3);
    assert.equal(stats.serverId, SERVER_ID);
    assert.equal(stats.hostname, os.hostname());
    assert.equal(stats.pid, server.proc.pid);
    assert.equal(typeof stats.uptime, 'number');
    assert.ok(stats.uptime > 0 && stats.uptime < 600, `uptime ${stats.uptime}`);
    assert.ok(stats.pollingClientsCount >= 1, `pollingClientsCount ${stats.pollingClientsCount}`);
    assert.ok(stats.pollingClientsCount < stats.clientsCount);
    const nsps = Object.fromEntries(stats.namespaces.map((n) => [n.name, n.socketsCount]));
    assert.ok(nsps['/'] >= 2 && nsps['/admin'] >= 1, fmt(stats.namespaces));
    // Counts by second, of the kinds the dashboard draws.
    const [later] = await a.next('server_stats', (s) => s.aggregatedEvents.some((e) => e.type === 'bytesOut'),
      5000);
    for (const e of later.aggregatedEvents) {
      assert.ok(['rawConnection', 'rawDisconnection', 'packetsIn', 'packetsOut', 'bytesIn', 'bytesOut']
        .includes(e.type), fmt(e));
      assert.equal(e.timestamp % 1000, 0);
      assert.ok(e.count > 0);
    }
    // A second UI's connection and its disconnection, counted (maybe in
    // two rounds of stats).
    const b = await loggedIn(server);
    b.disconnect();
    const seen = new Set();
    while (!seen.has('rawConnection') || !seen.has('rawDisconnection/transport close')) {
      const [s] = await a.next('server_stats', () => true, 5000);
      for (const e of s.aggregatedEvents) seen.add(e.subType ? `${e.type}/${e.subType}` : e.type);
    }
  }));

  it('tells of sockets that come, join, leave, upgrade, send, receive and go', T, () => diag(server, async () => {
    const a = await loggedIn(server);
    await a.next('all_sockets');
    const c = await chatClient(server, ['polling', 'websocket'], true);
    const [sock, when] = await a.next('socket_connected', (s) => s.id === c.id);
    assert.equal(sock.nsp, '/');
    assert.match(when, ISO_DATE);
    await a.next('socket_updated', (s) => s.id === c.id && s.transport === 'websocket' && s.nsp === '/');
    await call(c, 'join', 'r1');
    assert.deepEqual((await a.next('room_joined', (n, r, id) => id === c.id)).slice(0, 3), ['/', 'r1', c.id]);
    await call(c, 'message', { room: 'r1', text: 'hello' });
    const [nsp, id, args, at] = await a.next('event_received', (n, i, ar) => i === c.id && ar[0] === 'message');
    assert.equal(nsp, '/');
    assert.deepEqual(args, ['message', { room: 'r1', text: 'hello' }]);
    assert.match(at, ISO_DATE);
    const [, , sent] = await a.next('event_sent', (n, i, ar) => i === c.id && ar[0] === 'message');
    assert.equal(sent[1].text, 'hello');
    await call(c, 'leave', 'r1');
    assert.deepEqual((await a.next('room_left', (n, r, id) => id === c.id)).slice(0, 3), ['/', 'r1', c.id]);
    c.disconnect(); // c.id is undefined from here on
    const [dn, did, reason, dwhen] = await a.next('socket_disconnected', (n, i) => i === id);
    assert.deepEqual([dn, did, reason], ['/', id, 'client namespace disconnect']);
    assert.match(dwhen, ISO_DATE);
    // Its own room goes with it, as Node's adapter says.
    await a.next('room_left', (n, r, i) => r === id && i === id);
  }));

  it('makes sockets join and leave rooms, emits to them, and disconnects them', T, () => diag(server, async () => {
    const a = await loggedIn(server);
    const target = await chatClient(server);
    const bystander = await chatClient(server);
    a.emit('join', '/', 'vip', target.id);
    await a.next('room_joined', (n, r, id) => r === 'vip' && id === target.id);
    // The target is in the room now: the chat lets it talk there.
    assert.deepEqual(await call(target, 'message', { room: 'vip', text: 'in' }), { ok: true });
    // emit (nsp, filter, event, ...args) reaches the room only.
    const seen = nextBefore(bystander, 'news', 'marker');
    const got = withTimeout(new Promise((r) => target.once('news', (...x) => r(x))), 5000, 'news');
    a.emit('emit', '/', 'vip', 'news', { n: 1 }, 'two');
    assert.deepEqual(await got, [{ n: 1 }, 'two']);
    a.emit('emit', '/', '', 'marker'); // all of "/": after "news" for everyone
    assert.equal(await seen, null, 'the bystander is not in the room');
    a.emit('leave', '/', 'vip', target.id);
    await a.next('room_left', (n, r, id) => r === 'vip' && id === target.id);
    assert.deepEqual(await call(target, 'message', { room: 'vip', text: 'out' }),
      { ok: false, error: 'not in this room' });
    // A room the admin put it in, left through the chat: the chat's count
    // of rooms stays right (it may still join).
    a.emit('join', '/', 'vip2', target.id);
    await a.next('room_joined', (n, r, id) => r === 'vip2' && id === target.id);
    assert.deepEqual(await call(target, 'leave', 'vip2'), { ok: true });
    assert.deepEqual(await call(target, 'join', 'again'), { ok: true });
    // Commands for a namespace that does not exist, or malformed, do nothing.
    a.emit('join', '/nowhere', 'x', target.id);
    a.emit('join', '/', 42, target.id);
    a.emit('_disconnect', '/', 'yes', target.id);
    a.emit('emit', '/', 'vip', 'connect');
    a.emit('leave');
    // _disconnect (nsp, close, filter): the namespace only, then the whole connection.
    const gone = waitFor(target, 'disconnect');
    const targetId = target.id;
    a.emit('_disconnect', '/', false, targetId);
    assert.equal(await gone, 'io server disconnect');
    await a.next('socket_disconnected', (n, id, reason) => id === targetId && reason === 'server namespace disconnect');
    const closed = waitFor(bystander, 'disconnect');
    a.emit('_disconnect', '/', true, bystander.id);
    assert.equal(await closed, 'io server disconnect');
    await withTimeout(new Promise((r) => (bystander.io.engine.readyState === 'closed' ? r()
      : bystander.io.engine.once('close', r))), 5000, 'the connection closed');
    assert.ok(a.connected, 'the admin stays connected');
  }));
});

describe('admin UI: read-only, without authentication, production mode, another namespace', () => {
  let server;
  before(async () => {
    server = await startServer('sio-server', ['--no-admin-auth', '--admin-readonly', '--admin-namespace', '/ops',
      '--admin-production']);
  });
  after(async () => { closeAll(); await stopChecked(server); });

  it('accepts without auth, offers no command and ignores those sent', T, () => diag(server, async () => {
    const a = admin(server, undefined, { nsp: '/ops' });
    await waitFor(a, 'connect', 5000, { rejectOn: ['connect_error'] });
    const [config] = await a.next('config');
    assert.deepEqual(config.supportedFeatures, ['AGGREGATED_EVENTS']);
    const [stats] = await a.next('server_stats');
    assert.ok(stats.namespaces.some((n) => n.name === '/ops'));
    const target = await chatClient(server);
    const news = [];
    target.on('news', (...args) => news.push(args));
    a.events.length = 0;
    a.emit('join', '/', 'vip', target.id);
    a.emit('_disconnect', '/', true, target.id);
    a.emit('emit', '/', '', 'news', 1);
    // Two stats after the commands: the second was sent after they arrived
    // (one round is 2 s), so they have been handled (ignored) by then.
    await a.next('server_stats');
    await a.next('server_stats');
    assert.deepEqual(await call(target, 'message', { room: 'vip', text: 'x' }),
      { ok: false, error: 'not in this room' });
    assert.ok(target.connected);
    assert.deepEqual(news, [], 'nothing was emitted');
    // Production mode: no socket list and no event log.
    assert.equal(a.events.filter((e) => ['all_sockets', 'socket_connected', 'event_received']
      .includes(e.event)).length, 0, fmt(a.events.map((e) => e.event)));
    // "/admin" is not special here.
    const other = admin(server, undefined);
    const err = await waitFor(other, 'connect_error', 5000, { rejectOn: ['connect'] });
    assert.equal(err.message, 'Invalid namespace');
  }));
});

describe('admin UI: its files over HTTP', () => {
  let server, bare;
  before(async () => {
    server = await startServer('sio-server', ['--admin-user', USER, '--admin-password-hash', HASH]);
    bare = await startServer('sio-server', ['--admin-user', USER, '--admin-password-hash', HASH, '--no-admin-ui']);
  });
  after(async () => { await stopChecked(server); await stopChecked(bare); });

  const get = (srv, p, init) => withTimeout(fetch(`${srv.url}${p}`, init), 5000, p);

  it('serves the UI at /admin/, its files and fonts with their types, and refuses the rest', T, () => diag(server, async () => {
    const index = await get(server, '/admin/');
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type'), /^text\/html/);
    const html = await index.text();
    assert.match(html, /Socket\.IO Admin UI/);
    // Every script and stylesheet the page names is there.
    const assets = [...html.matchAll(/(?:src|href)="((?:js|css)\/[^"]+)"/g)].map((m) => m[1]);
    assert.ok(assets.length >= 2, html);
    for (const a of assets) {
      const r = await get(server, `/admin/${a}`);
      assert.equal(r.status, 200, a);
      assert.match(r.headers.get('content-type'), a.endsWith('.js') ? /javascript/ : /text\/css/);
      await r.arrayBuffer();
    }
    // Its font and icons are the server's too (tools/assemble-admin-ui.sh):
    // no other host in the page, and every font file the stylesheets name is
    // served with its font type.
    assert.doesNotMatch(html, /(?:src|href)="(?:https?:)?\/\//, 'the page loads from another host');
    const sheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(sheets.includes('fonts/roboto/roboto.css'), sheets);
    assert.ok(sheets.includes('fonts/mdi/css/materialdesignicons.min.css'), sheets);
    const fontTypes = { woff2: 'font/woff2', woff: 'font/woff', ttf: 'font/ttf', eot: 'application/vnd.ms-fontobject' };
    const fonts = new Map(); // absolute URL -> its extension
    for (const sheet of sheets) {
      const base = new URL(sheet, `${server.url}/admin/`);
      const r = await get(server, base.pathname);
      assert.equal(r.status, 200, sheet);
      assert.match(r.headers.get('content-type'), /^text\/css/, sheet);
      for (const [, u] of (await r.text()).matchAll(/url\(["']?([^"')]+)["']?\)/g)) {
        const url = new URL(u, base);
        if (url.protocol === 'data:') continue;
        assert.equal(url.host, base.host, `${sheet} names ${u}`);
        fonts.set(url.href, path.extname(url.pathname).slice(1));
      }
    }
    const kinds = new Set(fonts.values());
    for (const k of Object.keys(fontTypes)) assert.ok(kinds.has(k), `no .${k} named: ${[...kinds]}`);
    for (const [url, ext] of fonts) {
      const r = await withTimeout(fetch(url), 5000, url);
      assert.equal(r.status, 200, url);
      assert.equal(r.headers.get('content-type'), fontTypes[ext], url);
      assert.ok((await r.arrayBuffer()).byteLength > 1000, url);
    }

    const bareDir = await get(server, '/admin');
    assert.equal(bareDir.status, 200);
    assert.match(await bareDir.text(), /url=\/admin\//);
    assert.equal((await get(server, '/admin/nothing.js')).status, 404);
    assert.equal((await get(server, '/admin/.hidden')).status, 404);
    assert.equal((await get(server, '/admin/', { method: 'POST', body: 'x' })).status, 405);
    assert.equal((await get(bare, '/admin/')).status, 404, '--no-admin-ui');
  }));

  it('refuses a UI path that overlaps the Socket.IO path', T, () => {
    const r = spawnSync(path.join(buildDir(), 'sio-server'), ['--port', '0', '--admin-user', USER,
      '--admin-password-hash', HASH, '--admin-ui-path', '/socket.io/ui/'], { timeout: 5000 });
    assert.equal(r.status, 2, r.stderr.toString());
    assert.match(r.stderr.toString(), /overlaps the Socket\.IO path/);
  });
});
