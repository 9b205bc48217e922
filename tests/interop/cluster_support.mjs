// Helpers for the cluster tests: a real redis-server of our own and Node
// socket.io nodes joined through @socket.io/redis-adapter.
//
//   const redis = await startRedis();          // redis.url, redis.port
//   const node = await startNodeNode(redis.url);
//   await waitNumSub(redis.url, 'socket.io-request#/#', 2);
//   await node.cmd('emit', { event: 'x', args: [1] });
//   await node.stop(); await redis.stop();
//
// redis-server runs with no configuration file: loopback only, no
// persistence, bounded memory; it is stopped by its PID. Everything waits on
// events or polls with a deadline, never a fixed delay.

import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient } from 'redis';
import { startServer, stopProcess } from './support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const HOST = '127.0.0.1';
const START_DEADLINE_MS = 10_000;
const OUTPUT_CAP = 64 * 1024;

// Children still running when the test process exits are killed.
const live = new Set();
process.on('exit', () => {
  for (const proc of live) {
    try { proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** A port that was free a moment ago (the kernel's pick for port 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a child, keeps its last output, and gives stop() (SIGTERM, then
 * SIGKILL after 5 s) and `exited`. `ready(out)` says, from the output so far,
 * when the child has started; the promise rejects if it exits first or is
 * not ready within 10 s.
 */
export async function startChild(cmd, args, ready, what) {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(proc);
  let out = '';
  let wake = null;
  const keep = (chunk) => {
    out += chunk.toString('utf8');
    if (out.length > OUTPUT_CAP) out = out.slice(out.length - OUTPUT_CAP);
    if (wake) wake();
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let exitInfo = null;
  const exited = new Promise((resolve) => {
    const done = (info) => {
      exitInfo = info;
      live.delete(proc);
      if (wake) wake();
      resolve(info);
    };
    proc.once('exit', (code, signal) => done({ code, signal }));
    proc.once('error', (error) => done({ code: null, signal: null, error }));
  });

  const deadline = performance.now() + START_DEADLINE_MS;
  for (;;) {
    const r = ready(out);
    if (r) {
      wake = null;
      break;
    }
    if (exitInfo) throw new Error(`${what}: exited before it was ready (${JSON.stringify(exitInfo)})\n${out}`);
    const left = deadline - performance.now();
    if (left <= 0) {
      proc.kill('SIGKILL');
      await exited;
      throw new Error(`${what}: not ready after ${START_DEADLINE_MS} ms\n${out}`);
    }
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, left);
      wake = () => { clearTimeout(timer); resolve(); };
    });
  }

  const stop = () => stopProcess(proc, exited, () => !exitInfo);
  return { proc, exited, output: () => out, stop };
}

/**
 * Starts redis-server on a free loopback port: no configuration file, no
 * RDB or AOF, at most 64 MB of data. Resolves with { port, url, pid,
 * output(), stop() } once it accepts connections. The port is picked just
 * before the start; if another process takes it in between, the start is
 * tried again on another port (three times at most). With `onPort`, on that
 * port (to start it again where its clients reconnect), tried once.
 */
export async function startRedis(onPort = 0) {
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = onPort || await freePort();
    const args = [
      '--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no',
      '--maxmemory', '64mb', '--daemonize', 'no', '--loglevel', 'notice',
      '--databases', '1', '--logfile', '',
    ];
    try {
      const child = await startChild('redis-server', args,
        (out) => /Ready to accept connections/.test(out), `redis-server on port ${port}`);
      return { ...child, port, pid: child.proc.pid, url: `redis://${HOST}:${port}` };
    } catch (err) {
      lastErr = err;
      if (onPort || !/Address already in use/.test(err.message)) throw err;
    }
  }
  throw lastErr;
}

/**
 * Starts tests/interop/node_cluster_node.mjs against redisUrl (with
 * opts.adminUi, instrumented by Node's admin UI). Resolves with
 * { port, url, cmd(op, fields), output(), stop() } once it listens;
 * cmd sends one operation and resolves with its result (rejects with its
 * error, or after 10 s).
 */
export async function startNodeNode(redisUrl, opts = {}) {
  const script = path.join(HERE, 'node_cluster_node.mjs');
  const child = await startChild(process.execPath, [script, redisUrl, ...(opts.adminUi ? ['--admin-ui'] : [])],
    (out) => /listening on port (\d+)/.test(out), 'node cluster node');
  const port = Number(/listening on port (\d+)/.exec(child.output())[1]);

  const pending = new Map();
  let next = 1;
  readline.createInterface({ input: child.proc.stdout }).on('line', (line) => {
    let m;
    try { m = JSON.parse(line); } catch { return; }
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.result);
    else p.reject(new Error(`node ${port}: ${p.op}: ${m.error}`));
  });
  child.exited.then(() => {
    for (const p of pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`node ${port} exited during ${p.op}\n${child.output()}`));
    }
    pending.clear();
  });

  function cmd(op, fields = {}, ms = 10_000) {
    const id = next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`node ${port}: ${op}: no answer after ${ms} ms\n${child.output()}`));
      }, ms);
      pending.set(id, { resolve, reject, timer, op });
      child.proc.stdin.write(JSON.stringify({ id, op, ...fields }) + '\n');
    });
  }

  return { ...child, port, url: `http://${HOST}:${port}`, cmd };
}

/** A connected client of the `redis` package (buffers where asked); quit() it after use. */
export async function redisClient(url) {
  const c = createClient({ url });
  c.on('error', () => {}); // a test that stops Redis sees the errors through its commands
  await c.connect();
  return c;
}

/**
 * Resolves once `channel` has `n` subscribers (PUBSUB NUMSUB), which is how
 * Node's adapter counts the servers of a cluster; rejects after `ms`.
 */
export async function waitNumSub(url, channel, n, ms = 5000) {
  const c = await redisClient(url);
  try {
    const deadline = performance.now() + ms;
    for (;;) {
      const r = await c.sendCommand(['PUBSUB', 'NUMSUB', channel]);
      const count = Number(r[1]);
      if (count === n) return;
      if (performance.now() > deadline) throw new Error(`${channel}: ${count} subscribers, not ${n}, after ${ms} ms`);
      await new Promise((r2) => setTimeout(r2, 20));
    }
  } finally {
    await c.quit();
  }
}

/**
 * Subscribes to every channel of the adapters on `url` (broadcasts,
 * requests and responses of every namespace) and keeps each
 * message as { channel, bytes: Buffer }. Resolves with { messages, next(pred,
 * ms), stop() }: next() resolves with the first kept message, old or new,
 * that `pred` accepts and that no earlier next() took.
 */
export async function captureCluster(url) {
  const sub = await redisClient(url);
  const messages = [];
  const taken = new Set();
  const waiters = [];
  const keep = (message, channel) => {
    const m = { channel: channel.toString(), bytes: Buffer.from(message) };
    messages.push(m);
    for (const w of [...waiters]) w();
  };
  // Patterns only: PUBSUB NUMSUB does not count them, so the capture is not
  // taken for one more server that every request would wait for.
  await sub.pSubscribe(['socket.io#*', 'socket.io-request#*', 'socket.io-response#*'], keep, true);
  function next(pred, ms = 5000) {
    return new Promise((resolve, reject) => {
      const look = () => {
        const i = messages.findIndex((m, k) => !taken.has(k) && pred(m));
        if (i < 0) return false;
        taken.add(i);
        finish();
        resolve(messages[i]);
        return true;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching message after ${ms} ms; got: ` +
          messages.map((m) => `${m.channel} ${m.bytes.toString('hex').slice(0, 60)}`).join('; ')));
      }, ms);
      const finish = () => {
        clearTimeout(timer);
        const k = waiters.indexOf(look);
        if (k >= 0) waiters.splice(k, 1);
      };
      if (!look()) waiters.push(look);
    });
  }
  return { messages, next, stop: () => sub.quit() };
}

/**
 * Starts a C node: BUILD_DIR/<binary> (sio-echo by default) with
 * --redis redisUrl and `args`, on a free port (startServer in support.mjs).
 */
export async function startCNode(redisUrl, binary = 'sio-echo', args = []) {
  return startServer(binary, ['--host', HOST, '--redis', redisUrl, ...args]);
}

/**
 * Resolves once a started process's output (server.output()) matches `re`,
 * checked again at each piece of output; rejects after `ms`.
 */
export function waitOutput(server, re, ms = 5000) {
  return new Promise((resolve, reject) => {
    const streams = [server.proc.stdout, server.proc.stderr];
    const check = () => {
      if (!re.test(server.output())) return false;
      finish();
      resolve();
      return true;
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no output matching ${re} after ${ms} ms:\n${server.output()}`));
    }, ms);
    // Our listener runs after the one that keeps the output.
    const onData = () => setImmediate(check);
    const finish = () => {
      clearTimeout(timer);
      for (const s of streams) s.off('data', onData);
    };
    for (const s of streams) s.on('data', onData);
    check();
  });
}
