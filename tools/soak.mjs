#!/usr/bin/env node
// Soak run: thousands of short-lived Socket.IO clients against sio-echo and
// sio-server for a few minutes, then a check that the servers gave back what
// the clients took: file descriptors back to their idle count, every dropped
// session gone, resident memory within a tolerance.
//
//   make soak                      # 180 s, build/
//   make soak SOAK_SECONDS=600     # longer
//   make soak SANITIZER=address,undefined   # the ASan + UBSan build (build-asan/)
//
// Environment (all optional):
//   SOAK_SECONDS             how long clients are started, default 180
//   SOAK_CONCURRENCY         clients alive at once, default 200
//   SOAK_CHECKPOINT_SECONDS  an idle checkpoint (fds, sessions, RSS) every N s, default 60
//   SOAK_SERVERS             programs to soak, default "sio-echo,sio-server"
//   SOAK_SEED                seed of the client mix (printed, to replay a run's choices)
//   SOAK_PING_INTERVAL / SOAK_PING_TIMEOUT  the servers' heartbeat, default 4000 / 4000 ms
//   SIO_BUILD_DIR            where the programs are (the Makefile passes $(BUILD))
//
// Each client, chosen in turn over every server x protocol (socket.io-client
// 4.x = Engine.IO v4, 2.x = Engine.IO v3) x transport (polling only,
// WebSocket only, polling then upgrade):
//   sio-echo    connects to "/" or "/rooms", checks its "auth" event, echoes
//               "message" and "message-with-ack" (random text, JSON,
//               sometimes binary) and checks what comes back, broadcasts to
//               the namespace and waits for its own "broadcast-back",
//               sometimes opens "/custom" on the same connection and closes
//               it again; on "/rooms" it also joins two rooms and sometimes
//               leaves one (the acks list its rooms), and checks the
//               "leaving" its room mates' departures bring against how each
//               of them left;
//   sio-server  connects with a name, joins a chat room, sends a message to
//               it and waits for its own copy (and counts those of the other
//               members), sometimes is refused (a room it is not in, an
//               unknown event) and sometimes leaves the room;
// then leaves in one of these ways:
//   close   a clean disconnect (DISCONNECT and Engine.IO close packets);
//   server  ("/rooms" only) asks to be disconnected, connection and all, by
//           the server ("server-disconnect");
//   fin     its TCP connections are closed without a word (FIN);
//   rst     its TCP connections are reset (RST);
//   vanish  it goes silent with its connections open, as when a network
//           drops a peer: nothing is read or written any more, and the server
//           must find out by its heartbeat and close them.
// Every client's TCP connections go through its own http.Agent, so the run
// holds the real sockets and can drop them under the client library.
//
// Idle checkpoints: after a warm-up (so that the allocator's arenas and the
// servers' tables exist), every SOAK_CHECKPOINT_SECONDS and at the end, no
// client is started until the running ones are done; then
//   - every silent client's connections must have been closed by the server,
//     within ping interval + ping timeout + keep-alive timeout (+ slack);
//   - every polling session whose client dropped must be unknown to the
//     server ("Session ID unknown") once ping interval + ping timeout have
//     passed;
//   - sio-server's emit API must count no socket left in "/";
//   - the server's open descriptors must come back to the count after the
//     warm-up (polled, 10 s deadline);
// and the RSS is read. The run fails if any client saw an error (connect
// failure, wrong echo or ack, missing broadcast, unexpected disconnect), if a
// check above fails, if a server dies or does not exit 0 on SIGTERM (or
// prints a sanitizer report), or if the RSS grew more than the tolerance
// (RSS_TOLERANCE below) from the warm-up checkpoint to the end.
//
// Every wait has a deadline, and the whole run has one (GLOBAL_DEADLINE_MS).
// Only 127.0.0.1; the only processes signalled are the servers it started.

import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// SIO_BUILD_DIR relative to where we were started, before moving to the repository.
process.env.SIO_BUILD_DIR = path.resolve(process.env.SIO_BUILD_DIR || path.join(REPO, 'build'));
process.chdir(REPO);
// A sanitizer build reports leaks at exit and stops at the first error; harmless otherwise.
process.env.ASAN_OPTIONS ??= 'detect_leaks=1:abort_on_error=1';
process.env.UBSAN_OPTIONS ??= 'print_stacktrace=1:halt_on_error=1';

const { startServer, fmt, norm } = await import('../tests/interop/support.mjs');
const require = createRequire(path.join(REPO, 'tests', 'package.json'));
const { io: io4 } = require('socket.io-client');
const io2 = require('socket.io-client-v2');
const V4 = require('socket.io-client/package.json').version;
const V2 = require('socket.io-client-v2/package.json').version;

// ---------------------------------------------------------------------------
// settings

function envInt(name, def, min, max) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`soak: ${name} must be an integer from ${min} to ${max}, not ${JSON.stringify(v)}`);
    process.exit(2);
  }
  return n;
}

const SECONDS = envInt('SOAK_SECONDS', 180, 10, 7 * 24 * 3600);
const CONCURRENCY = envInt('SOAK_CONCURRENCY', 200, 1, 5000);
const CHECKPOINT_S = envInt('SOAK_CHECKPOINT_SECONDS', 60, 5, 7 * 24 * 3600);
const SEED = envInt('SOAK_SEED', Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31 - 1);
const PING_INTERVAL = envInt('SOAK_PING_INTERVAL', 4000, 500, 60_000);
const PING_TIMEOUT = envInt('SOAK_PING_TIMEOUT', 4000, 500, 60_000);
const KEEP_ALIVE = 5000; // the servers' default, passed explicitly: the bounds below depend on it
const SERVERS = (process.env.SOAK_SERVERS || 'sio-echo,sio-server').split(',').map((s) => s.trim()).filter(Boolean);
for (const s of SERVERS) {
  if (s !== 'sio-echo' && s !== 'sio-server') {
    console.error(`soak: SOAK_SERVERS: unknown program ${s} (sio-echo, sio-server)`);
    process.exit(2);
  }
}

const PATH = '/socket.io/';
const HOST = '127.0.0.1';
const STEP_MS = 15_000;              // any one step of a client (connect, an echo, an ack...)
const WARMUP_S = Math.min(20, Math.max(5, Math.round(SECONDS / 9)));
const SLACK_MS = 3000;               // timer granularity and a loaded machine
// A polling session whose client dropped is closed by the heartbeat at the
// latest ping interval + ping timeout after the client's last packet.
const SESSION_BOUND_MS = PING_INTERVAL + PING_TIMEOUT + SLACK_MS;
// A silent client's connection: its session closes within the bound above;
// an idle polling connection of it is closed by the keep-alive timeout.
const SILENT_BOUND_MS = PING_INTERVAL + PING_TIMEOUT + KEEP_ALIVE + SLACK_MS + 2000;
const FD_DEADLINE_MS = 10_000;
const CLOSE_DEADLINE_MS = 5000;      // a clean close: every connection closed or idle in the agent
// Whole run: the client phase, then per checkpoint its bounded waits, then stopping.
const CHECKPOINTS = 2 + Math.ceil(Math.max(0, SECONDS - WARMUP_S) / CHECKPOINT_S);
const GLOBAL_DEADLINE_MS = SECONDS * 1000 + CHECKPOINTS * (STEP_MS + SILENT_BOUND_MS + FD_DEADLINE_MS + 10_000) + 60_000;

// RSS tolerance, from the warm-up checkpoint to the end: max(10 %, 4 MiB).
// Both are read at idle, after a warm-up at the same concurrency, so the
// allocator already holds most of the run's high-water mark. What is left is
// noise: glibc's malloc keeps freed chunks in its arenas and trims only the
// top of a heap, so the idle RSS depends on where the last live blocks of a
// peak happened to sit, and on the largest messages seen. Measured, the idle
// RSS of these programs is 7-12 MB; from the warm-up checkpoint it still rose
// by 0.1 to 1.6 MB in clean 3-minute runs, mostly in the first minute, and by
// 0.4 to 1.8 MB in 10-minute runs of 53,000 clients (sio-server alone with
// all 200 clients: +2.4 MB in the first 4 minutes, then flat within 0.7 MB
// for 11 minutes and 60,000 clients more). 4 MiB over the ~13,000 clients of
// a default run is ~300 bytes per client, so a leak of a session, a socket
// or a room entry per client (each several hundred bytes and more) shows.
// Smaller leaks of unreachable memory are LeakSanitizer's job (make soak
// SANITIZER=address,undefined); the report prints the growth per client and
// the RSS at every checkpoint, for a trend.
const RSS_TOLERANCE = (start) => Math.max(0.10 * start, 4 * 1024 * 1024);

// ---------------------------------------------------------------------------
// small helpers

function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const int = (n) => Math.floor(rnd() * n);
const pick = (a) => a[int(a.length)];
// Client think time and the pace of polled checks (not a synchronisation).
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls cond() every `step` ms until it is true (resolves true) or `ms` pass (false). */
async function until(cond, ms, step = 100) {
  const end = performance.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (performance.now() >= end) return false;
    await sleep(Math.min(step, Math.max(1, end - performance.now())));
  }
}

class SoakError extends Error {
  constructor(kind, message) { super(message); this.kind = kind; }
}

const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.';
const ODD = ['é', '日本語', '😀', '𝕊', '"', '\\', '\n', '\u2028', '€'];
function text(n) {
  let s = '';
  while (s.length < n) s += rnd() < 0.05 ? pick(ODD) : ALPHA[int(ALPHA.length)];
  return s;
}
function textSize() {
  const r = rnd();
  return r < 0.7 ? 1 + int(100) : r < 0.95 ? 100 + int(1900) : 2000 + int(30_000);
}
function binary(n) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = int(256);
  return b;
}

const same = (a, b) => JSON.stringify(norm(a)) === JSON.stringify(norm(b));

const MB = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;

/** VmRSS, VmHWM (bytes) and the open descriptors of a process. */
function procStats(pid) {
  let status;
  try { status = fs.readFileSync(`/proc/${pid}/status`, 'utf8'); } catch { return null; }
  const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status) || [])[1] || 0) * 1024;
  let fds = -1;
  try { fds = fs.readdirSync(`/proc/${pid}/fd`).length; } catch { /* gone */ }
  return { rss: kb('VmRSS'), hwm: kb('VmHWM'), fds };
}

// ---------------------------------------------------------------------------
// the tally

const stats = {
  started: 0,
  finished: 0,
  combos: new Map(),            // "sio-echo EIO4 polling" -> clients
  leaves: { close: 0, server: 0, fin: 0, rst: 0, vanish: 0 },
  keepAlive: 0,
  upgrades: 0,
  echoes: 0,
  acks: 0,
  binaries: 0,
  broadcastsOwn: 0,
  broadcastsOthers: 0,
  customNs: 0,
  chatOwn: 0,
  chatOthers: 0,
  chatRefusals: 0,
  chatJoins: 0,
  chatLeaves: 0,
  echoJoins: 0,
  echoLeaves: 0,
  leavingReceived: 0,
  leavingReasons: new Map(),    // "vanish -> ping timeout" -> count
  silentReaped: 0,
  silentMaxMs: 0,
  sessionsProbed: 0,
  connectMs: [],
  errors: new Map(),            // kind -> { count, examples }
};

function recordError(kind, message) {
  let e = stats.errors.get(kind);
  if (!e) stats.errors.set(kind, (e = { count: 0, examples: [] }));
  e.count++;
  if (e.examples.length < 5) e.examples.push(message);
}
const errorCount = () => [...stats.errors.values()].reduce((n, e) => n + e.count, 0);

// ---------------------------------------------------------------------------
// one client's TCP connections

/**
 * An http.Agent whose connections we keep, so that the client can be cut
 * off under its library: drop('fin'|'rst') closes them, freeze() silences
 * them. Once dropped or frozen, a new connection fails at once: the client
 * library can do nothing more that reaches the server.
 */
class Wire {
  constructor(keepAlive) {
    this.sockets = new Set();
    this.state = 'live';
    this.agent = new http.Agent({ keepAlive });
    this.agent.createConnection = (opts) => this.connect(opts);
  }

  connect(opts) {
    if (this.state !== 'live') {
      const s = new net.Socket();
      s.on('error', () => {});
      process.nextTick(() => s.destroy(new Error('soak: the client is gone')));
      return s;
    }
    const s = net.createConnection({ host: opts.host, port: opts.port });
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
    s.on('error', () => {}); // the library hears of errors through its own listeners
    return s;
  }

  isIdle(s) {
    return Object.values(this.agent.freeSockets).some((list) => list.includes(s));
  }

  /** A clean close: waits until every connection is closed or idle in the agent, then closes those. */
  async settle(ms) {
    const ok = await until(() => [...this.sockets].every((s) => s.destroyed || this.isIdle(s)), ms, 20);
    const busy = [...this.sockets].filter((s) => !s.destroyed && !this.isIdle(s)).length;
    this.agent.destroy();
    for (const s of this.sockets) s.destroy();
    return ok ? 0 : busy;
  }

  drop(how) {
    this.state = 'dropped';
    for (const s of this.sockets) {
      if (how === 'rst' && s._handle) {
        try { s.resetAndDestroy(); continue; } catch { /* not a TCP handle yet */ }
      }
      s.destroy();
    }
  }

  /**
   * The peer vanishes: nothing more is written (the library's writes are
   * swallowed), what the server sends is read and dropped, and the TCP
   * connections stay open until the server closes them. Resolves with the
   * time the server took to close the last one, or rejects after `bound` ms.
   */
  freeze(bound) {
    this.state = 'frozen';
    const t0 = performance.now();
    const waits = [];
    for (const s of this.sockets) {
      if (s.destroyed) continue;
      // Not yet connected, or already closing: not a silent open connection.
      if (s.connecting || s.readableEnded || s.writableEnded) { s.destroy(); continue; }
      const realDestroy = s.destroy.bind(s);
      const port = s.localPort;
      s.removeAllListeners('data');
      s.removeAllListeners('end');
      s.removeAllListeners('timeout');
      s.setTimeout(0);
      const swallow = (chunk, enc, cb) => {
        const done = typeof enc === 'function' ? enc : cb;
        if (done) process.nextTick(done);
        return true;
      };
      s.write = swallow;
      s.end = function () { return this; };
      s.destroy = function () { return this; };
      s.destroySoon = function () { return this; };
      s.resetAndDestroy = function () { return this; };
      s.on('data', () => {});
      s.resume();
      waits.push(new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          realDestroy();
          reject(new SoakError('silent client kept',
            `the server kept a silent client's connection (local port ${port}) open for ${bound} ms`));
        }, bound);
        const closed = () => { clearTimeout(timer); realDestroy(); resolve(performance.now() - t0); };
        s.once('end', closed);   // the server's FIN
        s.once('close', closed); // or its RST
      }));
    }
    return Promise.all(waits).then((ts) => Math.max(0, ...ts));
  }
}

// ---------------------------------------------------------------------------
// what one client receives

/** Events of one socket, in order, for the client's one waiting step at a time. */
class Inbox {
  constructor() {
    this.items = [];
    this.check = null;
    this.broken = null;
    this.brokenP = new Promise((_, reject) => { this.rejectBroken = reject; });
    this.brokenP.catch(() => {});
  }

  push(event, args) {
    this.items.push({ event, args });
    if (this.check) this.check();
  }

  break(err) {
    if (this.broken) return;
    this.broken = err;
    this.rejectBroken(err);
    if (this.check) this.check();
  }

  /** Resolves with (and removes) the first event matching pred; rejects on a break or after ms. */
  wait(pred, ms, what) {
    return new Promise((resolve, reject) => {
      const finish = () => { clearTimeout(timer); this.check = null; };
      const timer = setTimeout(() => {
        finish();
        reject(new SoakError(`timeout: ${what}`, `${what}: nothing after ${ms} ms`));
      }, ms);
      this.check = () => {
        const i = this.items.findIndex(pred);
        if (i >= 0) { finish(); resolve(this.items.splice(i, 1)[0]); } else if (this.broken) { finish(); reject(this.broken); }
      };
      this.check();
    });
  }

  /** Emits with an ack; resolves with the ack's arguments. */
  ack(socket, event, args, what = `ack of "${event}"`) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new SoakError(`timeout: ${what}`, `${what}: nothing after ${STEP_MS} ms`)), STEP_MS);
    });
    const acked = new Promise((resolve) => socket.emit(event, ...args, (...back) => resolve(back)));
    return Promise.race([acked, timeout, this.brokenP]).finally(() => clearTimeout(timer));
  }
}

// ---------------------------------------------------------------------------
// one client

const TRANSPORTS = {
  polling: { transports: ['polling'], upgrade: false },
  websocket: { transports: ['websocket'] },
  upgrade: { transports: ['polling', 'websocket'], upgrade: true },
};
const LEAVES = [['close', 0.5], ['fin', 0.15], ['rst', 0.15], ['vanish', 0.2]];
const ROOMS = Array.from({ length: 12 }, (_, i) => `soak room ${i}`);    // sio-server's chat rooms
const ECHO_ROOMS = Array.from({ length: 8 }, (_, i) => `room-${i}`);    // sio-echo's "/rooms"
// The reason sio-echo's disconnecting hook gives ("leaving"), by how the client left.
// A dropped polling client with no request pending is found by the heartbeat.
const LEAVING_REASONS = {
  close: ['client namespace disconnect'],
  server: ['server namespace disconnect'],
  fin: ['transport close', 'transport error', 'ping timeout'],
  rst: ['transport close', 'transport error', 'ping timeout'],
  vanish: ['ping timeout'],
};
const leftIds = new Map();  // "/rooms" socket id -> { mode, at }, to read the "leaving" of others

let servers = [];           // { name, srv, pid, ... }
const silentWatches = new Set();

function leaveMode(nsp) {
  // On "/rooms" some clients are disconnected by the server instead ("server-disconnect").
  if (nsp === '/rooms' && rnd() < 0.15) return 'server';
  let r = rnd();
  for (const [m, p] of LEAVES) if ((r -= p) < 0) return m;
  return 'close';
}

let nextId = 0;
function nextSpec() {
  const id = nextId++;
  const combos = servers.length * 6;
  const k = id % combos;
  const server = servers[Math.floor(k / 6)];
  const version = (k % 6) < 3 ? 4 : 2;
  const transport = ['polling', 'websocket', 'upgrade'][k % 3];
  const nsp = server.name === 'sio-echo' && rnd() < 0.5 ? '/rooms' : '/';
  return { id, server, version, transport, nsp, leave: leaveMode(nsp), keepAlive: rnd() < 0.5 };
}

/** Opens a socket on `nsp`, its events going to a new Inbox. */
function openSocket(spec, wire, nsp, authish, manager) {
  const inbox = new Inbox();
  const opts = {
    path: PATH, forceNew: true, reconnection: false, timeout: STEP_MS,
    agent: wire.agent, ...TRANSPORTS[spec.transport],
  };
  const auth = spec.version === 4 ? { auth: authish } : { query: authish };
  let s;
  if (manager) s = manager.socket(nsp, auth);
  else s = (spec.version === 4 ? io4 : io2)(spec.server.url + nsp, { ...opts, ...auth });
  s.inbox = inbox;
  s.leaving = false;
  const events = spec.server.name === 'sio-echo'
    ? ['connect', 'auth', 'message-back', 'broadcast-back', 'leaving']
    : ['connect', 'message'];
  for (const ev of events) {
    s.on(ev, (...args) => {
      if (ev === 'broadcast-back' && args[0] !== s.token) { stats.broadcastsOthers++; return; }
      if (ev === 'leaving') { onLeaving(args); return; }
      if (ev === 'message' && spec.server.name === 'sio-server' && !String(args[0]?.text).startsWith(s.token)) {
        stats.chatOthers++;
        return;
      }
      inbox.push(ev, args);
    });
  }
  const fail = (kind, what) => (...a) => {
    if (!s.leaving) inbox.break(new SoakError(kind, `${what}: ${a.map(fmt).join(', ')}`));
  };
  s.on('connect_error', fail('connect failed', 'connect_error'));
  s.on('connect_timeout', fail('connect failed', 'connect_timeout'));
  s.on('error', fail('error event', 'error'));
  s.on('disconnect', fail('unexpected disconnect', 'disconnect'));
  return s;
}

/** A room mate left "/rooms": {id, rooms (its own id first), reason}, checked against how it left. */
function onLeaving(args) {
  const m = args[0];
  stats.leavingReceived++;
  if (args.length !== 1 || !m || typeof m.id !== 'string' || !Array.isArray(m.rooms) || m.rooms[0] !== m.id ||
      typeof m.reason !== 'string') {
    recordError('"leaving" malformed', fmt(args));
    return;
  }
  const left = leftIds.get(m.id);
  if (!left) return; // a client that failed, or one that has not said yet how it leaves
  const key = `${left.mode} -> ${m.reason}`;
  stats.leavingReasons.set(key, (stats.leavingReasons.get(key) || 0) + 1);
  if (!LEAVING_REASONS[left.mode].includes(m.reason)) {
    recordError('"leaving" reason', `a client that left by "${left.mode}" was reported leaving with ${fmt(m.reason)} ` +
      `(want ${LEAVING_REASONS[left.mode].join(' or ')})`);
  }
}

/** "/rooms": "join" and "leave" acknowledge with the socket's rooms, its own id first, in the order joined. */
async function roomRounds(s) {
  const joined = [];
  for (const room of [pick(ECHO_ROOMS), pick(ECHO_ROOMS)]) {
    if (!joined.includes(room)) joined.push(room);
    const back = await s.inbox.ack(s, 'join', [room]);
    if (!same(back, [[s.id, ...joined]])) {
      throw new SoakError('rooms ack', `"join" ${room}: ack ${fmt(back)}, want ${fmt([[s.id, ...joined]])}`);
    }
    stats.acks++;
    stats.echoJoins++;
  }
  if (rnd() < 0.3) {
    const room = joined.shift();
    const back = await s.inbox.ack(s, 'leave', [room]);
    if (!same(back, [[s.id, ...joined]])) {
      throw new SoakError('rooms ack', `"leave" ${room}: ack ${fmt(back)}, want ${fmt([[s.id, ...joined]])}`);
    }
    stats.acks++;
    stats.echoLeaves++;
  }
}

async function echoRounds(spec, s, rounds) {
  const ib = s.inbox;
  for (let r = 0; r < rounds; r++) {
    const args = [s.token, r, { text: text(textSize()), n: int(1e9), ok: rnd() < 0.5, list: [1, 'two', null, { x: [] }] }];
    if (rnd() < 0.2) { args.push(binary(1 + int(4096))); stats.binaries++; }
    s.emit('message', ...args);
    const back = await ib.wait((e) => e.event === 'message-back', STEP_MS, '"message-back"');
    if (!same(back.args, args)) {
      throw new SoakError('echo mismatch', `"message-back" ${fmt(norm(back.args))}, sent ${fmt(norm(args))}`);
    }
    stats.echoes++;
    const ackArgs = [s.token, `ack ${r}`, text(textSize())];
    if (rnd() < 0.2) { ackArgs.push(binary(1 + int(2048))); stats.binaries++; }
    const acked = await ib.ack(s, 'message-with-ack', ackArgs);
    if (!same(acked, ackArgs)) {
      throw new SoakError('ack mismatch', `ack ${fmt(norm(acked))}, sent ${fmt(norm(ackArgs))}`);
    }
    stats.acks++;
    if (rnd() < 0.5) {
      s.emit('broadcast', s.token, r);
      await ib.wait((e) => e.event === 'broadcast-back' && e.args[1] === r, STEP_MS, 'own "broadcast-back"');
      stats.broadcastsOwn++;
    }
    if (r + 1 < rounds) await sleep(int(300));
  }
}

async function connected(spec, s, what) {
  const t0 = performance.now();
  await s.inbox.wait((e) => e.event === 'connect', STEP_MS, what);
  return performance.now() - t0;
}

async function expectAuth(s, want) {
  const got = await s.inbox.wait((e) => e.event === 'auth', STEP_MS, '"auth"');
  if (!same(got.args, [want])) throw new SoakError('auth mismatch', `"auth" ${fmt(got.args)}, want ${fmt([want])}`);
}

async function echoClient(spec, wire, s) {
  await expectAuth(s, { token: s.token });
  await echoRounds(spec, s, 1 + int(3));
  if (spec.nsp === '/rooms') await roomRounds(s);
  if (rnd() < 0.3) {
    // A second namespace on the same connection, opened and closed while "/" stays.
    const c = openSocket(spec, wire, '/custom', { token: `${s.token}c` }, s.io);
    c.token = `${s.token}c`;
    await connected(spec, c, 'connect of "/custom"');
    await expectAuth(c, { token: c.token });
    const back = await c.inbox.ack(c, 'message-with-ack', [c.token, 'custom']);
    if (!same(back, [c.token, 'custom'])) throw new SoakError('ack mismatch', `"/custom" ack ${fmt(back)}`);
    stats.acks++;
    c.leaving = true;
    c.disconnect();
    stats.customNs++;
    await echoRounds(spec, s, 1);
  }
}

const OK = [{ ok: true }];
async function chatAck(s, event, args, want) {
  const back = await s.inbox.ack(s, event, args);
  if (!same(back, want)) throw new SoakError('chat ack', `"${event}" ${fmt(args)}: ack ${fmt(back)}, want ${fmt(want)}`);
  stats.acks++;
}

async function chatClient(spec, s, name) {
  if (rnd() < 0.5) await chatAck(s, 'name', [name], OK);
  const room = pick(ROOMS);
  await chatAck(s, 'join', [room], OK);
  stats.chatJoins++;
  const rounds = 1 + int(3);
  for (let r = 0; r < rounds; r++) {
    const txt = `${s.token} ${r} ${text(1 + int(300))}`;
    await chatAck(s, 'message', [{ room, text: txt }], OK);
    const got = await s.inbox.wait((e) => e.event === 'message' && e.args[0]?.text === txt, STEP_MS, 'own chat "message"');
    const m = got.args[0];
    if (m.room !== room || m.from !== name || typeof m.at !== 'number') {
      throw new SoakError('chat message', `got ${fmt(m)}, want room ${room} from ${name}`);
    }
    stats.chatOwn++;
    if (r + 1 < rounds) await sleep(int(300));
  }
  if (rnd() < 0.2) {
    await chatAck(s, 'message', [{ room: 'soak elsewhere', text: 'x' }], [{ ok: false, error: 'not in this room' }]);
    stats.chatRefusals++;
  }
  if (rnd() < 0.1) {
    await chatAck(s, 'soak-unknown', [1], [{ ok: false, error: 'unknown event' }]);
    stats.chatRefusals++;
  }
  if (rnd() < 0.5) {
    await chatAck(s, 'leave', [room], OK);
    stats.chatLeaves++;
  }
}

/** A dropped polling session, to check later that the server forgot it. */
function noteDropped(spec, s) {
  const engine = s.io && s.io.engine;
  if (engine && engine.id && engine.transport && engine.transport.name === 'polling') {
    spec.server.dropped.push({ sid: engine.id, eio: spec.version === 4 ? 4 : 3, at: performance.now() });
  }
}

async function runClient(spec) {
  stats.started++;
  const key = `${spec.server.name} EIO${spec.version === 4 ? 4 : 3} ${spec.transport}`;
  const where = `${key}${spec.nsp === '/' ? '' : ` ${spec.nsp}`}`;
  stats.combos.set(key, (stats.combos.get(key) || 0) + 1);
  if (spec.keepAlive) stats.keepAlive++;
  const wire = new Wire(spec.keepAlive);
  const token = `s${SEED}-${spec.id}`;
  const name = `soak-${spec.id}`;
  const echo = spec.server.name === 'sio-echo';
  let s;
  let closed = false;
  try {
    s = openSocket(spec, wire, spec.nsp, echo ? { token } : { name }, null);
    s.token = token;
    const engine = s.io.engine;
    let upgraded = false;
    engine.on('upgrade', () => { upgraded = true; s.inbox.push('upgrade', []); });
    engine.on('upgradeError', (e) => s.inbox.break(new SoakError('upgrade failed', `upgradeError: ${fmt(e)}`)));

    stats.connectMs.push(await connected(spec, s, 'connect'));
    if (spec.transport === 'upgrade' && !upgraded) {
      await s.inbox.wait((e) => e.event === 'upgrade', STEP_MS, 'upgrade to WebSocket');
    }
    if (spec.transport === 'upgrade') stats.upgrades++;
    const want = spec.transport === 'polling' ? 'polling' : 'websocket';
    if (engine.transport.name !== want) {
      throw new SoakError('wrong transport', `on ${engine.transport.name}, want ${want}`);
    }
    if (echo) await echoClient(spec, wire, s);
    else await chatClient(spec, s, name);
    await sleep(int(800)); // stays a while, as clients do
    if (s.inbox.broken) throw s.inbox.broken;

    stats.leaves[spec.leave]++;
    s.leaving = true;
    if (spec.nsp === '/rooms') leftIds.set(s.id, { mode: spec.leave, at: performance.now() });
    if (spec.leave === 'server') {
      // The server disconnects the socket and closes its connection.
      const reason = await new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), STEP_MS);
        s.once('disconnect', (r) => { clearTimeout(timer); resolve(r); });
        s.emit('server-disconnect', true);
      });
      closed = true;
      // The server sends the Engine.IO close packet in a poll of its own, after the
      // DISCONNECT, as Node's engine.io does: every client reads "io server disconnect".
      if (reason !== 'io server disconnect') {
        throw new SoakError('disconnect reason', `"server-disconnect" gave ${reason === null ? `nothing in ${STEP_MS} ms` : fmt(reason)}`);
      }
      const busy = await wire.settle(CLOSE_DEADLINE_MS);
      if (busy) {
        throw new SoakError('close not completed',
          `${busy} connection(s) still open ${CLOSE_DEADLINE_MS} ms after the server disconnected the client on ${engine.transport.name}`);
      }
    } else if (spec.leave === 'close') {
      let reason = null;
      s.on('disconnect', (r) => { reason = r; });
      s.disconnect();
      closed = true;
      if (reason !== 'io client disconnect') {
        throw new SoakError('disconnect reason', `clean disconnect gave ${fmt(reason)}`);
      }
      const busy = await wire.settle(CLOSE_DEADLINE_MS);
      if (busy) {
        throw new SoakError('close not completed',
          `${busy} connection(s) still busy ${CLOSE_DEADLINE_MS} ms after a clean disconnect on ${engine.transport.name}`);
      }
    } else if (spec.leave === 'fin' || spec.leave === 'rst') {
      noteDropped(spec, s);
      wire.drop(spec.leave);
    } else {
      noteDropped(spec, s);
      const watch = wire.freeze(SILENT_BOUND_MS).then((ms) => {
        stats.silentReaped++;
        stats.silentMaxMs = Math.max(stats.silentMaxMs, ms);
      }, (err) => recordError(err.kind, `${where}: ${err.message}`)).finally(() => silentWatches.delete(watch));
      silentWatches.add(watch);
    }
  } catch (err) {
    const kind = err instanceof SoakError ? err.kind : 'client exception';
    recordError(kind, `client ${spec.id} (${where}, ${spec.keepAlive ? 'keep-alive' : 'no keep-alive'}): ${err.message}`);
    if (s) {
      s.leaving = true;
      noteDropped(spec, s);
    }
    wire.drop('fin');
  } finally {
    if (s && !closed) {
      // Lets the library forget the client; its connections are already gone or silenced.
      try { s.leaving = true; s.disconnect(); } catch { /* closed */ }
    }
    stats.finished++;
  }
}

// ---------------------------------------------------------------------------
// the servers

async function startAll() {
  const common = ['--host', HOST, '--path', PATH, '--ping-interval', String(PING_INTERVAL),
    '--ping-timeout', String(PING_TIMEOUT), '--keep-alive-timeout', String(KEEP_ALIVE)];
  for (const name of SERVERS) {
    const extra = [];
    let token = null;
    if (name === 'sio-server') {
      token = `soak-${SEED}-${process.pid}`;
      extra.push('--log-level', 'warn', '--api-token', token);
    }
    const srv = await startServer(name, [...common, ...extra]);
    const bin = fs.readFileSync(srv.bin);
    const entry = {
      name, srv, pid: srv.proc.pid, url: srv.url, port: srv.port, token,
      sanitized: bin.includes('__asan_') || bin.includes('__tsan_'),
      dropped: [],          // polling sessions whose client dropped, since the last checkpoint
      launch: procStats(srv.proc.pid),
      peak: { rss: 0, fds: 0 },
      checkpoints: [],
      stopping: false,
      logTally: new Map(),  // warning and error lines of the server, by their text without ids
    };
    tallyLines(srv.proc.stderr, entry.logTally);
    tallyLines(srv.proc.stdout, entry.logTally);
    srv.exited.then((info) => {
      if (!entry.stopping) {
        fatal(`${name} (pid ${entry.pid}) ${srv.describeExit()} in the middle of the run\n` +
          `-- its output (last lines):\n${tail(srv.output(), 60)}`);
      }
      return info;
    });
    servers.push(entry);
  }
}

/** Counts the server's warning and error lines by kind: timestamps, ids and numbers taken out. */
function tallyLines(stream, tally) {
  let rest = '';
  stream.on('data', (chunk) => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop();
    for (const line of lines) {
      if (!/warn|error|sanitizer/i.test(line)) continue;
      const kind = line.replace(/^\S+Z\s+/, '').replace(/[A-Za-z0-9_-]{20}/g, '<id>').replace(/\d+/g, 'N').slice(0, 160);
      tally.set(kind, (tally.get(kind) || 0) + 1);
    }
  });
}

function tail(text, lines) {
  return text.trim().split('\n').slice(-lines).join('\n') || '(none)';
}

function sample() {
  for (const s of servers) {
    const p = procStats(s.pid);
    if (!p) continue;
    s.peak.rss = Math.max(s.peak.rss, p.rss);
    s.peak.fds = Math.max(s.peak.fds, p.fds);
  }
}

/** "Session ID unknown" (true), or what the server said instead. */
function probeSession(server, agent, sid, eio) {
  return new Promise((resolve) => {
    const req = http.get({
      host: HOST, port: server.port, agent, timeout: 2000,
      path: `${PATH}?EIO=${eio}&transport=polling&sid=${encodeURIComponent(sid)}`,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve(res.statusCode === 400 && /Session ID unknown/.test(body)
        ? true : `HTTP ${res.statusCode} ${fmt(body)}`));
      res.on('error', (e) => resolve(`response error ${e.message}`));
    });
    req.on('timeout', () => { req.destroy(); resolve('no answer in 2 s (a poll held: the session is alive)'); });
    req.on('error', (e) => resolve(`request error ${e.message}`));
  });
}

/**
 * Every polling session whose client dropped must be unknown once the
 * heartbeat had time to close it: each is probed once, at its own deadline
 * (its drop + ping interval + ping timeout + slack). Probing earlier would
 * be a request on a live session and change what is being checked.
 */
async function checkDroppedSessions(server) {
  const list = server.dropped.splice(0).sort((a, b) => a.at - b.at);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let next = 0;
  const worker = async () => {
    while (next < list.length) {
      const d = list[next++];
      const wait = d.at + SESSION_BOUND_MS - performance.now();
      if (wait > 0) await sleep(wait); // the protocol's deadline for this session
      const r = await probeSession(server, agent, d.sid, d.eio);
      stats.sessionsProbed++;
      if (r !== true) {
        recordError('session survived', `${server.name}: EIO${d.eio} polling session ${d.sid} still there ` +
          `${performance.now() - d.at} ms after its client dropped (bound ${SESSION_BOUND_MS} ms): ${r}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  return list.length;
}

/** sio-server: the sockets left in "/", counted by its emit API (each gets a "soak-probe" event). */
function apiSocketCount(server) {
  return new Promise((resolve) => {
    const body = JSON.stringify({ event: 'soak-probe', data: [] });
    const req = http.request({
      host: HOST, port: server.port, method: 'POST', path: '/api/emit', agent: false, timeout: 5000,
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}`, 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        try { resolve(JSON.parse(text).recipients); } catch { resolve(`HTTP ${res.statusCode} ${fmt(text)}`); }
      });
    });
    req.on('timeout', () => { req.destroy(); resolve('no answer in 5 s'); });
    req.on('error', (e) => resolve(`error ${e.message}`));
    req.end(body);
  });
}

// ---------------------------------------------------------------------------
// driving

let globalStop = false;

/** Keeps CONCURRENCY clients alive until `until` (ms since the epoch). */
async function drive(untilMs) {
  const worker = async (i) => {
    await sleep(Math.floor((i / CONCURRENCY) * 1000)); // spread the start over a second
    while (!globalStop && performance.now() < untilMs) await runClient(nextSpec());
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => worker(i)));
}

/** No client running: waits for the servers to let go of everything, then reads them. */
async function checkpoint(label, baseline) {
  const t0 = performance.now();
  await Promise.all([...silentWatches]);
  let sessions = 0;
  for (const s of servers) {
    const n = await checkDroppedSessions(s);
    s.probes = (s.probes || 0) + n;
    sessions += n;
  }
  const rows = [];
  for (const s of servers) {
    if (s.token) {
      let n;
      const ok = await until(async () => (n = await apiSocketCount(s)) === 0, 5000, 250);
      if (!ok) recordError('sockets left', `${s.name} at ${label}: the emit API counts ${fmt(n)} socket(s) in "/", want 0`);
    }
    const want = baseline ? baseline.get(s) : null;
    let p = procStats(s.pid);
    if (want !== null && want !== undefined) {
      await until(() => (p = procStats(s.pid)) && p.fds <= want, FD_DEADLINE_MS);
    } else {
      // The warm-up: the count to come back to is the one before any client.
      await until(() => (p = procStats(s.pid)) && p.fds <= s.launch.fds, FD_DEADLINE_MS);
    }
    const row = { label, at: performance.now(), fds: p.fds, rss: p.rss, hwm: p.hwm, clients: stats.finished };
    s.checkpoints.push(row);
    rows.push(`${s.name} fds ${p.fds}${want != null ? ` (want ${want})` : ` (at launch ${s.launch.fds})`}, RSS ${MB(p.rss)}`);
  }
  for (const [id, left] of leftIds) if (performance.now() - left.at > 2 * SILENT_BOUND_MS) leftIds.delete(id);
  console.log(`soak: checkpoint ${label}: ${stats.finished} clients so far, ${errorCount()} error(s); ` +
    `${sessions} dropped session(s) checked; ${rows.join('; ')} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

function pct(a, p) {
  if (!a.length) return 0;
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

// ---------------------------------------------------------------------------
// the report

function report(t0) {
  const out = [];
  const failures = [];
  const dur = (performance.now() - t0) / 1000;
  out.push('', `soak report (seed ${SEED}, ${CONCURRENCY} clients at once, ping ${PING_INTERVAL}/${PING_TIMEOUT} ms, ` +
    `build ${path.relative(REPO, process.env.SIO_BUILD_DIR) || '.'})`);
  out.push(`  duration        ${Math.floor(dur / 60)}m${String(Math.round(dur % 60)).padStart(2, '0')}s`);
  out.push(`  clients         ${stats.finished} run (${stats.started} started); leaves: ` +
    Object.entries(stats.leaves).map(([k, v]) => `${k} ${v}`).join(', ') +
    `; ${stats.keepAlive} on keep-alive connections`);
  const cols = ['polling', 'websocket', 'upgrade'];
  out.push(`  per program, protocol and transport (client ${V4} = EIO4, ${V2} = EIO3):`);
  out.push(`    ${''.padEnd(20)}${cols.map((c) => c.padStart(11)).join('')}`);
  for (const s of servers) {
    for (const v of [4, 3]) {
      const row = cols.map((c) => String(stats.combos.get(`${s.name} EIO${v} ${c}`) || 0).padStart(11)).join('');
      out.push(`    ${`${s.name} EIO${v}`.padEnd(20)}${row}`);
    }
  }
  const ran = (name) => servers.some((s) => s.name === name);
  if (ran('sio-echo')) {
    out.push(`  sio-echo        ${stats.echoes} echoes, ${stats.binaries} binary arguments, ${stats.customNs} "/custom" ` +
      `round trips; ${stats.broadcastsOwn} own "broadcast-back" received (+${stats.broadcastsOthers} from others)`);
    out.push(`    "/rooms"      ${stats.echoJoins} joins, ${stats.echoLeaves} leaves; ${stats.leavingReceived} ` +
      '"leaving" received from room mates, by how the client left -> the reason the server gave:');
    const reasons = [...stats.leavingReasons].sort();
    for (let i = 0; i < reasons.length; i += 3) {
      out.push(`      ${reasons.slice(i, i + 3).map(([k, n]) => `${k} ${n}`).join('; ')}`);
    }
  }
  if (ran('sio-server')) {
    out.push(`  sio-server      ${stats.chatJoins} room joins, ${stats.chatLeaves} leaves, ${stats.chatOwn} own messages ` +
      `back (+${stats.chatOthers} from room mates), ${stats.chatRefusals} refusals as expected`);
  }
  out.push(`  all             ${stats.acks} acks checked, ${stats.upgrades} upgrades`);
  out.push(`  connect time    p50 ${pct(stats.connectMs, 50)} ms, p99 ${pct(stats.connectMs, 99)} ms, max ${pct(stats.connectMs, 100)} ms`);
  out.push(`  silent clients  ${stats.silentReaped} closed by the servers, the slowest after ${stats.silentMaxMs} ms ` +
    `(bound ${SILENT_BOUND_MS} ms); ${stats.sessionsProbed} dropped polling sessions probed`);

  for (const s of servers) {
    const [first, ...rest] = s.checkpoints;
    const last = rest.length ? rest[rest.length - 1] : first;
    out.push(`  ${s.name} (pid ${s.pid})${s.sanitized ? ' [sanitizer build]' : ''}: ${s.probes || 0} dropped polling sessions probed`);
    if (!first) {
      out.push('    no checkpoint reached');
      failures.push(`${s.name}: no checkpoint`);
      continue;
    }
    out.push(`    fds             ${s.launch.fds} at launch, ${first.fds} after warm-up, ${last.fds} at the end (peak ${s.peak.fds})`);
    const grew = last.rss - first.rss;
    const tol = RSS_TOLERANCE(first.rss);
    const clients = last.clients - first.clients;
    out.push(`    RSS             ${MB(s.launch.rss)} at launch, ${MB(first.rss)} after warm-up, ${MB(last.rss)} at the end ` +
      `(${grew >= 0 ? '+' : ''}${(grew / 1024).toFixed(0)} KB, ${clients ? (grew / clients).toFixed(0) : 0} B per client; ` +
      `tolerance ${MB(tol)}); peak ${MB(Math.max(s.peak.rss, last.hwm))}`);
    out.push(`    checkpoints     ${s.checkpoints.map((c) => `${c.label} ${c.fds} fds ${MB(c.rss)}`).join(', ')}`);
    if (last.fds !== first.fds) failures.push(`${s.name}: ${last.fds} fds at the end, ${first.fds} after the warm-up`);
    if (first.fds !== s.launch.fds) out.push(`    note: ${first.fds - s.launch.fds} more fd(s) after the warm-up than at launch`);
    if (grew > tol) {
      if (s.sanitized) out.push('    (RSS not judged: a sanitizer build keeps freed memory in quarantine)');
      else failures.push(`${s.name}: RSS grew ${MB(grew)}, more than the tolerance ${MB(tol)}`);
    }
    for (const [kind, n] of s.logTally) out.push(`    server log      ${n} x ${kind}`);
  }

  const n = errorCount();
  out.push(`  errors          ${n}`);
  for (const [kind, e] of stats.errors) {
    out.push(`    ${kind}: ${e.count}`);
    for (const x of e.examples) out.push(`      ${x}`);
  }
  if (n) failures.push(`${n} client or server error(s)`);
  if (stats.finished < 1) failures.push('no client ran');
  return { text: out.join('\n'), failures };
}

let finishing = false;
function fatal(msg) {
  if (finishing) return;
  finishing = true;
  globalStop = true;
  console.error(`soak: FAIL: ${msg}`);
  process.exit(1); // support.mjs kills the servers it started (by their pid) on exit
}

async function stopAll() {
  const problems = [];
  for (const s of servers) {
    s.stopping = true;
    const r = await s.srv.stop();
    const out = s.srv.output();
    if (r.forced || r.code !== 0) {
      problems.push(`${s.name} did not exit 0 on SIGTERM: ${s.srv.describeExit()}${r.forced ? ' (SIGKILL after 5 s)' : ''}`);
    }
    if (/AddressSanitizer|LeakSanitizer|ThreadSanitizer|runtime error:|UndefinedBehaviorSanitizer/.test(out)) {
      problems.push(`${s.name}: sanitizer report:\n${tail(out, 80)}`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------

async function main() {
  const t0 = performance.now();
  const deadline = setTimeout(() => {
    fatal(`the run passed its global deadline (${Math.round(GLOBAL_DEADLINE_MS / 1000)} s); ` +
      `${stats.started} clients started, ${stats.finished} finished, ${errorCount()} error(s)`);
  }, GLOBAL_DEADLINE_MS);
  process.on('SIGINT', () => fatal('interrupted'));
  process.on('SIGTERM', () => fatal('terminated'));

  await startAll();
  console.log(`soak: ${SECONDS} s, ${CONCURRENCY} clients at once, seed ${SEED}; ` +
    servers.map((s) => `${s.name} pid ${s.pid} port ${s.port} (${s.launch.fds} fds, ${MB(s.launch.rss)})`).join(', '));
  const sampler = setInterval(sample, 1000);

  const end = t0 + SECONDS * 1000;
  await drive(Math.min(end, performance.now() + WARMUP_S * 1000));
  await checkpoint('warm-up', null);
  const baseline = new Map(servers.map((s) => [s, s.checkpoints[0].fds]));
  // The checkpoints' waits count in SOAK_SECONDS.
  for (;;) {
    let stop = performance.now() + CHECKPOINT_S * 1000;
    if (end - stop < 25_000) stop = end; // no checkpoint just before the end
    await drive(stop);
    await checkpoint(stop === end ? 'end' : `${Math.round((performance.now() - t0) / 1000)} s`, baseline);
    if (stop === end) break;
  }
  clearInterval(sampler);

  const { text, failures } = report(t0);
  console.log(text);
  failures.push(...await stopAll());
  clearTimeout(deadline);
  finishing = true;
  if (failures.length) {
    console.log(`soak: FAIL\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  console.log('soak: PASS');
  process.exit(0);
}

main().catch((err) => fatal(err.stack || String(err)));
