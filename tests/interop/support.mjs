// Helpers for the Node interop tests: start a server program on a free port
// of 127.0.0.1, and wait for things with deadlines (never fixed sleeps).
//
//   const srv = await startServer('eio-echo', ['--path', '/engine.io/']);
//   ... srv.url, srv.port, srv.output() ...
//   await srv.stop();
//
// The server binaries are looked up in $SIO_BUILD_DIR (absolute, or relative
// to the current directory), or in the repository's build/ when it is unset.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after, afterEach } from 'node:test';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..', '..');
const HOST = '127.0.0.1';
const START_DEADLINE_MS = 10_000;
const STOP_DEADLINE_MS = 5_000;
const OUTPUT_CAP = 64 * 1024;

export function buildDir() {
  const dir = process.env.SIO_BUILD_DIR;
  return dir ? path.resolve(dir) : path.join(REPO, 'build');
}

// Servers still running when the test process exits are killed.
const live = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Resolves true if a TCP connection to host:port succeeds, false otherwise. */
function tryConnect(port, host = HOST, ms = 500) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok) => { clearTimeout(timer); sock.destroy(); resolve(ok); };
    const timer = setTimeout(() => done(false), ms);
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Spawn BUILD_DIR/binaryName --port 0 ...args, read the port it took from its
 * "listening on port N" line, and wait until that port accepts TCP
 * connections (10 s deadline). The server binds the port itself: no window in
 * which another process could take a port picked for it. Rejects, with the
 * program's output, if it exits or fails to start first.
 * Returns { port, url, proc, output(), exited, stop() }. opts.port reuses a
 * given port (to restart a server where its clients expect it); opts.cwd
 * runs it in another directory, opts.env adds to its environment.
 */
export async function startServer(binaryName, args = [], opts = {}) {
  let port = opts.port ?? 0;
  const bin = path.join(buildDir(), binaryName);
  const argv = ['--port', String(port), ...args];
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const proc = spawn(bin, argv, { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(proc);

  let out = '';
  const watchers = new Set(); // untilOutput's, checked at every chunk
  const keep = (chunk) => {
    out += chunk.toString('utf8');
    if (out.length > OUTPUT_CAP) out = out.slice(out.length - OUTPUT_CAP);
    for (const w of [...watchers]) w();
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);

  let exitInfo = null;
  const exited = new Promise((resolve) => {
    proc.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      live.delete(proc);
      resolve(exitInfo);
    });
    proc.once('error', (err) => {
      // spawn failed (ENOENT, EACCES): there will be no 'exit'
      exitInfo = { code: null, signal: null, error: err };
      live.delete(proc);
      resolve(exitInfo);
    });
  });

  const describeExit = () => {
    if (!exitInfo) return 'still running';
    if (exitInfo.error) return `failed to start: ${exitInfo.error.message}`;
    return exitInfo.signal ? `killed by ${exitInfo.signal}` : `exited with code ${exitInfo.code}`;
  };

  const deadline = performance.now() + START_DEADLINE_MS;
  for (;;) {
    if (exitInfo) {
      throw new Error(`${bin} ${argv.join(' ')}: ${describeExit()} before accepting connections\n${out}`);
    }
    if (!port) port = Number((/listening on port (\d+)/.exec(out) || [])[1] || 0);
    if (port && await tryConnect(port)) break;
    if (performance.now() > deadline) {
      proc.kill('SIGKILL');
      await exited;
      throw new Error(`${bin} ${argv.join(' ')}: port ${port} not accepting after ${START_DEADLINE_MS} ms\n${out}`);
    }
    // Wait for the next retry, or for the process to exit, whichever is first.
    await Promise.race([exited, new Promise((r) => setTimeout(r, 20))]);
  }

  const stop = () => stopProcess(proc, exited, () => !exitInfo);
  /** Resolves once the output (from `from` on) matches `re`; rejects after `ms`. */
  const untilOutput = (re, ms = 5000, from = 0) => new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(out.slice(from));
      if (!m) return;
      watchers.delete(check);
      clearTimeout(timer);
      resolve(m);
    };
    const timer = setTimeout(() => {
      watchers.delete(check);
      reject(new Error(`no ${re} in the output within ${ms} ms:\n${out}`));
    }, ms);
    watchers.add(check);
    check();
  });

  return {
    port,
    url: `http://${HOST}:${port}`,
    proc,
    bin,
    args: argv,
    exited,
    output: () => out,
    untilOutput,
    describeExit,
    stop,
  };
}

/**
 * Ends a spawned child that `running()` says still runs: SIGTERM, then
 * SIGKILL after 5 s. Resolves with what `exited` resolves with (its exit
 * information), marked `forced` when SIGKILL was needed.
 */
export async function stopProcess(proc, exited, running) {
  if (!running()) return exited;
  proc.kill('SIGTERM');
  const t = await Promise.race([
    exited,
    new Promise((r) => setTimeout(() => r(null), STOP_DEADLINE_MS).unref()),
  ]);
  if (t !== null) return t;
  proc.kill('SIGKILL');
  const info = await exited;
  info.forced = true;
  return info;
}

function listen(emitter, event, fn) {
  emitter.on(event, fn);
  return () => {
    if (typeof emitter.off === 'function') emitter.off(event, fn);
    else emitter.removeListener(event, fn);
  };
}

/**
 * Resolves with the first argument of the next `event` on `emitter` (a Node
 * EventEmitter or a component-emitter like engine.io-client's Socket), or
 * rejects after `ms`. opts.rejectOn: events that reject early (e.g. ['error', 'close']).
 */
export function waitFor(emitter, event, ms = 5000, opts = {}) {
  const rejectOn = opts.rejectOn || [];
  return new Promise((resolve, reject) => {
    const offs = [];
    const finish = (fn, v) => { clearTimeout(timer); offs.forEach((off) => off()); fn(v); };
    const timer = setTimeout(
      () => finish(reject, new Error(`timed out after ${ms} ms waiting for '${event}'`)), ms);
    offs.push(listen(emitter, event, (v) => finish(resolve, v)));
    for (const bad of rejectOn) {
      offs.push(listen(emitter, bad, (...a) => finish(reject, new Error(
        `'${bad}' (${a.map(fmt).join(', ')}) while waiting for '${event}'`))));
    }
  });
}

/** Resolves or rejects like `promise`, or rejects after `ms` naming `what`. */
export function withTimeout(promise, ms, what = 'operation') {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Buffers every `event` (default 'message') from `emitter` from now on, so
 * none is lost between awaits. q.take(n, ms) resolves with the next n values.
 */
export function collector(emitter, event = 'message') {
  const items = [];
  let waiter = null;
  const off = listen(emitter, event, (v) => {
    items.push(v);
    if (waiter && items.length >= waiter.n) waiter.wake();
  });
  return {
    items,
    off,
    take(n, ms = 5000) {
      if (items.length >= n) return Promise.resolve(items.splice(0, n));
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = null;
          reject(new Error(`timed out after ${ms} ms: got ${items.length} of ${n} '${event}' ` +
            `events: ${items.slice(0, 10).map(fmt).join(', ')}${items.length > 10 ? ', ...' : ''}`));
        }, ms);
        waiter = { n, wake: () => { clearTimeout(timer); waiter = null; resolve(items.splice(0, n)); } };
      });
    },
  };
}

/** Short printable form of a message, for assertion messages. */
export function fmt(v) {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? v.slice(0, 80) + '...' : v);
  if (v instanceof ArrayBuffer) v = new Uint8Array(v);
  if (ArrayBuffer.isView(v)) {
    const b = Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return `<${v.constructor.name} ${b.subarray(0, 32).toString('hex')}${b.length > 32 ? '...' : ''} (${b.length} B)>`;
  }
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try { return JSON.stringify(v); } catch { return String(v); }
}

/**
 * Stops a server from startServer and fails unless it exited 0 on SIGTERM
 * (no SIGKILL needed) with no sanitizer report in its output.
 */
export async function stopChecked(server) {
  if (!server) return;
  const r = await server.stop();
  const out = server.output();
  assert.ok(!r.forced && r.code === 0,
    `server did not exit 0 on SIGTERM: ${server.describeExit()}` +
    `${r.forced ? ' (needed SIGKILL after 5 s)' : ''}\n${out}`);
  assert.doesNotMatch(out, /AddressSanitizer|LeakSanitizer|runtime error:|UndefinedBehaviorSanitizer/,
    `sanitizer report in the server's output:\n${out}`);
}

/**
 * The server of a describe block: started before its tests and stopped
 * after them with stopChecked; `cleanup` (a tracker's closeAll, say) runs
 * after each test and before the stop. Returns a stand-in that forwards to
 * the started server (url, port, output(), proc, ...), so that the block's
 * tests can hold it before it has started:
 *   const server = suiteServer('sio-echo', ['--path', PATH], closeAll);
 */
export function suiteServer(prog, args, cleanup = () => {}) {
  let started = null;
  before(async () => { started = await startServer(prog, args); });
  afterEach(cleanup);
  after(async () => {
    cleanup();
    await stopChecked(started);
  });
  return new Proxy({}, {
    get(_, key) {
      if (!started) throw new Error(`${prog} is not started yet (${String(key)} read outside a test)`);
      const v = started[key];
      return typeof v === 'function' ? v.bind(started) : v;
    },
  });
}

/** Runs fn; on failure adds the server's state and output to the error. */
export async function diag(server, fn) {
  try {
    return await fn();
  } catch (err) {
    const out = server.output().trim();
    const state = server.proc.exitCode === null && server.proc.signalCode === null
      ? 'still running' : server.describeExit();
    const extra = `\n-- server ${state}; its output:\n${out || '(none)'}`;
    err.message += extra;
    // The reporter may print the stack, computed before: add it there too.
    if (typeof err.stack === 'string' && !err.stack.includes(extra)) err.stack += extra;
    throw err;
  }
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made by the
 * openssl command into `dir` (cert.pem and key.pem, replaced atomically when
 * they exist). Returns { cert, key, certPem }.
 */
export function makeCert(dir, cn = 'libsio test') {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=${cn}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', `${key}.new`, '-out', `${cert}.new`],
  { stdio: 'ignore', timeout: 30_000 });
  fs.renameSync(`${key}.new`, key);
  fs.renameSync(`${cert}.new`, cert);
  return { cert, key, certPem: fs.readFileSync(cert) };
}

/** n bytes of a fixed pattern (seeded), as a Buffer. */
export function bytes(n, seed = 0) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/**
 * Client objects a test opens, closed after it whatever happened:
 *   const { track, forget, closeAll } = tracker((x) => x.disconnect());
 *   afterEach(closeAll);  ...  const s = track(io(url));
 * `close` closes one object; an error from it (already closed) is ignored.
 */
export function tracker(close) {
  const opened = new Set();
  return {
    track(x) {
      opened.add(x);
      return x;
    },
    /** Stop tracking x (the test closed it itself). */
    forget(x) {
      opened.delete(x);
    },
    closeAll() {
      for (const x of opened) {
        try { close(x); } catch { /* already closed */ }
      }
      opened.clear();
    },
  };
}

/** Buffers, typed arrays and ArrayBuffers become {bin: hex}, recursively, for comparison. */
export function norm(v) {
  if (v instanceof ArrayBuffer) return { bin: Buffer.from(v).toString('hex') };
  if (ArrayBuffer.isView(v)) return { bin: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex') };
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = norm(v[k]);
    return o;
  }
  return v;
}
