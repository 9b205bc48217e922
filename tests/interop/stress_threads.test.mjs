// Thread-safety stress (issue 3), against build/sio-stress: 4 server threads
// post 100,000 events in total with sio_post_emit (broadcasts to the room
// "stress") and a fifth posts direct emits to socket ids, while 100 churn
// clients connect and disconnect at random (polling, websocket, and polling
// upgraded to websocket; clean disconnects, dropped TCP connections, leaving
// during the handshake). Every client that stays connected receives every
// event of every worker, in that worker's order; the server stays up and
// exits 0 on SIGTERM (under ASan or TSan a report makes that status non-zero).
//
// Only per-worker order and completeness are checked: the order of events
// posted by different threads is not defined.
//
// The posting is paced by the clients (the server's "window": at most W ticks
// beyond what every stable client has received), so that it spans the whole
// run instead of filling the post queue in a few milliseconds. The churn runs
// in a worker thread, so that the 2,000,000 events the stable clients handle
// on the main thread do not hold back its connections. Randomness generates
// the churn, never synchronisation: every wait is on an event, with a deadline.
//
//   SIO_STRESS_EVENTS=N    events in the run (default 100000)
//   SIO_STRESS_WINDOW=W    pacing window (default 10000; 0: post at full speed)
//   SIO_STRESS_SEED=S      seed of the churn's choices (default: random, printed)

import { isMainThread, Worker, parentPort, workerData } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { fmt, withTimeout } from './support.mjs';

const WORKERS = 4;          // posting threads of the server
const STABLE = 20;          // clients connected for the whole run
const CHURN = 100;          // clients that come and go
const CHURN_CONCURRENCY = 12;
const CREDIT_EVERY = 1000;  // ticks between two credits
const RUN_DEADLINE_MS = 120_000;
const STEP_DEADLINE_MS = 20_000;

// A small seeded generator (mulberry32): the same seed makes the same churn
// choices (transports, behaviours, lifetimes), though not the same timing.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function perWorker(total) {
  return Array.from({ length: WORKERS }, (_, w) => Math.floor(total / WORKERS) + (w < total % WORKERS ? 1 : 0));
}

/** A promise with its resolve and reject. */
function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  promise.catch(() => {}); // awaited later, maybe after it failed
  return { promise, resolve, reject };
}

/**
 * Checks what one client receives. strict: every worker's ticks from seq 0
 * (a client in the room before the run); otherwise from whatever seq comes
 * first, then consecutive (a client that joined during the run).
 */
function track(socket, name, strict) {
  const st = {
    name, socket,
    next: new Array(WORKERS).fill(strict ? 0 : -1),
    ticks: 0, directs: 0, lastDirect: -1,
    done: null, ticksAfterDone: 0,
    errors: [], nErrors: 0,
    expectedDisconnect: false,
    onTick: null, onDisconnect: null,
  };
  st.bad = (msg) => {
    st.nErrors++;
    if (st.errors.length < 10) st.errors.push(msg);
  };
  socket.on('tick', (t) => {
    st.ticks++;
    if (st.done) st.ticksAfterDone++;
    if (!t || !Number.isInteger(t.w) || t.w < 0 || t.w >= WORKERS || !Number.isInteger(t.seq)) {
      st.bad(`malformed tick ${fmt(t)}`);
    } else {
      const want = st.next[t.w];
      if (want >= 0 && t.seq !== want) st.bad(`worker ${t.w}: seq ${t.seq}, expected ${want}`);
      st.next[t.w] = t.seq + 1;
    }
    st.onTick?.();
  });
  socket.on('direct', (d) => {
    st.directs++;
    if (!d || d.to !== socket.id) st.bad(`direct emit for ${fmt(d && d.to)} received by ${socket.id}`);
    else if (!(d.seq > st.lastDirect)) st.bad(`direct seq ${d.seq} after ${st.lastDirect}`);
    if (d && Number.isInteger(d.seq)) st.lastDirect = d.seq;
  });
  socket.on('done', (d) => {
    if (st.done) st.bad(`second done ${fmt(d)}`);
    st.done = d;
    st.onTick?.();
  });
  socket.on('disconnect', (reason) => {
    if (!st.expectedDisconnect) st.bad(`unexpected disconnect: ${reason}`);
    st.onDisconnect?.(reason);
  });
  return st;
}

/** A client without reconnection: a reconnected socket would be a new one. */
function client(url, transports) {
  return io(url, { transports, reconnection: false, forceNew: true, timeout: STEP_DEADLINE_MS });
}

if (isMainThread) {
  await mainThread();
} else {
  churnThread(workerData);
}

// --- the churn (worker thread) ------------------------------------------------

/**
 * Spawns `churn` clients, at most `concurrency` at a time; client i waits
 * until the stable clients' progress (sent by the main thread) reaches
 * gate(i), so the churn spreads over the run. Messages to the main thread:
 * {type:'firstWave'} once the first `concurrency` clients have each joined
 * the room or gone; {type:'finished', errors, summary} at the end.
 */
function churnThread({ url, seed, total, churn, concurrency }) {
  const random = rng(seed);
  const randInt = (lo, hi) => lo + Math.floor(random() * (hi - lo + 1));
  const gate = (i) => (i < concurrency ? 0
    : Math.floor(((i - concurrency) / (churn - concurrency)) * total * 0.9));
  let progress = 0, spawned = 0, alive = 0, firstWaveReady = 0, finished = 0;
  let connectedNow = 0, maxConnected = 0;
  const clients = [];
  const summary = {
    kinds: { polling: 0, websocket: 0, upgrade: 0 },
    behaviours: { early: 0, nojoin: 0, clean: 0, abrupt: 0 },
    joined: 0, withTicks: 0, ticks: 0, directs: 0, upgraded: 0,
  };

  parentPort.on('message', (m) => {
    if (m.type === 'progress') {
      progress = m.ticks;
      maybeSpawn();
    } else if (m.type === 'status') {
      const unsettled = clients.filter((c) => c.state !== 'left');
      parentPort.postMessage({
        type: 'status',
        text: `${spawned} spawned, ${finished} finished, progress ${progress}; not finished: ` +
          (unsettled.map((c) => `${c.name} ${c.state}`).join(', ') || 'none'),
      });
    }
  });

  function maybeSpawn() {
    while (spawned < churn && alive < concurrency && progress >= gate(spawned)) spawnOne(spawned++);
  }

  function spawnOne(i) {
    const kind = ['polling', 'websocket', 'upgrade'][i % 3];
    summary.kinds[kind]++;
    const s = client(url, kind === 'polling' ? ['polling'] : kind === 'websocket' ? ['websocket'] : ['polling', 'websocket']);
    const st = track(s, `churn ${i} (${kind})`, false);
    st.state = 'connecting';
    clients.push(st);
    alive++;
    let settled = false, ready = false, lifeTimer = null, wasConnected = false;
    const markReady = () => {
      if (ready || i >= concurrency) return;
      ready = true;
      if (++firstWaveReady === concurrency) parentPort.postMessage({ type: 'firstWave' });
    };
    const settle = () => {
      if (settled) return;
      settled = true;
      st.state = 'left';
      clearTimeout(lifeTimer);
      if (wasConnected) connectedNow--;
      alive--;
      finished++;
      summary.ticks += st.ticks;
      summary.directs += st.directs;
      if (st.ticks) summary.withTicks++;
      markReady();
      if (finished === churn) {
        const errors = clients.filter((c) => c.nErrors).map((c) => `${c.name}: ${c.errors.join('; ')}`);
        parentPort.postMessage({ type: 'finished', errors, summary: { ...summary, maxConnected } });
        parentPort.close();
        return;
      }
      maybeSpawn();
    };
    const leave = (how) => {
      st.expectedDisconnect = true;
      const ws = s.io.engine && s.io.engine.transport && s.io.engine.transport.ws;
      if (how === 'abrupt' && ws && s.connected) {
        // Drop the TCP connection without a close frame; the client then
        // reports "transport close" and settles in its disconnect handler.
        ws.terminate();
        return;
      }
      s.disconnect(); // emits 'disconnect' (synchronously) only when connected
      settle();
    };
    st.onDisconnect = () => settle();
    s.on('connect', () => {
      st.state = 'connected';
      wasConnected = true;
      if (++connectedNow > maxConnected) maxConnected = connectedNow;
    });
    s.io.engine.on('upgrade', () => { summary.upgraded++; });
    s.once('connect_error', (e) => {
      st.bad(`connect_error: ${e.message}`);
      settle();
    });

    const r = random();
    if (r < 0.1) {
      // Gone before (or just after) the handshake completes.
      summary.behaviours.early++;
      lifeTimer = setTimeout(() => leave('clean'), randInt(0, 20));
    } else if (r < 0.25) {
      // Connects, never joins, leaves.
      summary.behaviours.nojoin++;
      s.once('connect', () => { lifeTimer = setTimeout(() => leave('clean'), randInt(0, 100)); });
    } else {
      const how = kind !== 'polling' && random() < 0.35 ? 'abrupt' : 'clean';
      summary.behaviours[how]++;
      const life = randInt(20, 600);
      s.once('connect', () => {
        s.timeout(STEP_DEADLINE_MS).emitWithAck('join-stress').then((j) => {
          if (settled) return;
          if (!j || !j.ok || j.id !== s.id) st.bad(`join-stress ack ${fmt(j)}`);
          else summary.joined++;
          st.state = 'joined';
          markReady();
          lifeTimer = setTimeout(() => leave(how), life);
        }, (e) => {
          if (settled) return;
          st.bad(`join-stress: ${e.message}`);
          leave('clean');
        });
      });
    }
  }

  maybeSpawn();
}

// --- the test (main thread) ---------------------------------------------------

async function mainThread() {
  const { describe, it, before, after } = await import('node:test');
  const assert = (await import('node:assert/strict')).default;
  const { startServer, withTimeout } = await import('./support.mjs');

  const TOTAL = Number(process.env.SIO_STRESS_EVENTS || 100_000);
  const WINDOW = Number(process.env.SIO_STRESS_WINDOW ?? 10_000);
  const SEED = Number(process.env.SIO_STRESS_SEED || Math.floor(Math.random() * 2 ** 31));

  function connected(socket) {
    return new Promise((resolve, reject) => {
      if (socket.connected) return resolve();
      socket.once('connect', resolve);
      socket.once('connect_error', (e) => reject(new Error(`connect_error: ${e.message}`)));
    });
  }

  /** Run fn; on failure add the seed, the server's state and its output. */
  async function diag(server, fn) {
    try {
      return await fn();
    } catch (err) {
      // A dying server may need a moment to be seen as exited (bounded).
      await withTimeout(server.exited, 1000, 'server exit').catch(() => {});
      err.message += `\n-- seed ${SEED} (SIO_STRESS_SEED); server ${server.describeExit()}; its output:\n` +
        `${server.output().trim().slice(-20000) || '(none)'}`;
      throw err;
    }
  }

  describe('sio-stress: 4 posting threads, churning clients', () => {
    let server, worker;
    const stableSockets = [];
    before(async () => {
      server = await startServer('sio-stress');
    });
    after(async () => {
      if (worker) await worker.terminate();
      for (const s of stableSockets) s.disconnect();
      if (server) await server.stop();
    });

    it(`${STABLE} stable clients get all ${TOTAL} events in per-worker order while ${CHURN} clients churn`,
      { timeout: RUN_DEADLINE_MS + 3 * STEP_DEADLINE_MS }, (t) => diag(server, async () => {
        t.diagnostic(`seed ${SEED} (SIO_STRESS_SEED to replay the churn), window ${WINDOW}`);
        const totals = perWorker(TOTAL);

        // 1. Stable clients: over WebSocket, in the room before the run.
        const stable = [];
        for (let i = 0; i < STABLE; i++) {
          const s = client(server.url, ['websocket']);
          stableSockets.push(s);
          stable.push(track(s, `stable ${i}`, true));
        }
        await withTimeout(Promise.all(stable.map((st) => connected(st.socket))), STEP_DEADLINE_MS,
          'stable clients connecting');
        const joins = await withTimeout(
          Promise.all(stable.map((st) => st.socket.emitWithAck('join-stress'))), STEP_DEADLINE_MS,
          'stable clients joining');
        joins.forEach((j, i) => assert.ok(j && j.ok && j.id === stable[i].socket.id,
          `stable ${i}: join-stress ack ${fmt(j)}`));

        // 2. The churn starts in its thread; the run starts once its first
        // wave has joined the room (or gone), so it begins with churn in it.
        worker = new Worker(fileURLToPath(import.meta.url), {
          workerData: { url: server.url, seed: SEED, total: TOTAL, churn: CHURN, concurrency: CHURN_CONCURRENCY },
        });
        const firstWave = deferred();
        const churnFinished = deferred();
        let statusWaiter = null;
        worker.on('message', (m) => {
          if (m.type === 'firstWave') firstWave.resolve();
          else if (m.type === 'finished') churnFinished.resolve(m);
          else if (m.type === 'status') statusWaiter?.(m.text);
        });
        // On a timeout: what the churn clients were doing (1 s to answer).
        const withChurnStatus = async (promise, ms, what) => {
          try {
            return await withTimeout(promise, ms, what);
          } catch (err) {
            const status = await withTimeout(new Promise((resolve) => {
              statusWaiter = resolve;
              worker.postMessage({ type: 'status' });
            }), 1000, 'churn status').catch((e) => e.message);
            err.message += `\n-- churn: ${status}`;
            throw err;
          }
        };
        const workerFailed = (e) => {
          firstWave.reject(e);
          churnFinished.reject(e);
        };
        worker.on('error', (e) => workerFailed(new Error(`churn thread: ${e.stack || e}`)));
        worker.on('exit', (code) => workerFailed(new Error(`churn thread exited (${code}) before finishing`)));
        await withChurnStatus(firstWave.promise, STEP_DEADLINE_MS, 'first churn wave joining');

        // 3. Each stable client is complete with every tick and "done"; a
        // disconnect or a wrong event fails the run at once. Credits (the
        // least any stable client has received) pace the server and the churn.
        let credit = 0;
        const sendCredit = () => {
          const least = Math.min(...stable.map((st) => st.ticks));
          if (least < credit + CREDIT_EVERY && least < TOTAL) return;
          if (least <= credit) return;
          credit = least;
          stable[0].socket.emit('credit', { ticks: credit });
          worker.postMessage({ type: 'progress', ticks: credit });
        };
        const complete = stable.map((st) => {
          const d = deferred();
          st.onTick = () => {
            if (st.nErrors) d.reject(new Error(`${st.name}: ${st.errors.join('; ')}`));
            else if (st.done && st.ticks >= TOTAL) d.resolve();
            if (st.ticks % CREDIT_EVERY === 0 || st.ticks === TOTAL) sendCredit();
          };
          st.onDisconnect = (reason) => d.reject(new Error(`${st.name} disconnected: ${reason}`));
          return d.promise;
        });

        const started = performance.now();
        const ack = await withTimeout(stable[0].socket.emitWithAck('start', { total: TOTAL, window: WINDOW }),
          STEP_DEADLINE_MS, 'start ack');
        assert.ok(ack && ack.ok && ack.total === TOTAL, `start ack ${fmt(ack)}`);

        // 4. Every stable client gets everything (120 s deadline).
        try {
          await withTimeout(Promise.all(complete), RUN_DEADLINE_MS, 'stable clients receiving the run');
        } catch (err) {
          const where = stable.map((st) => `${st.name}: ${st.ticks} ticks, next ${fmt(st.next)}, ` +
            `done ${fmt(st.done)}${st.nErrors ? `, ${st.nErrors} errors: ${st.errors.join('; ')}` : ''}`);
          err.message += `\n${where.join('\n')}`;
          throw err;
        }
        const elapsed = performance.now() - started;
        assert.equal(server.describeExit(), 'still running');
        for (const st of stable) {
          assert.equal(st.nErrors, 0, `${st.name}: ${st.errors.join('; ')}`);
          assert.equal(st.ticks, TOTAL, `${st.name}: tick count`);
          assert.deepEqual(st.next, totals, `${st.name}: per-worker counts`);
          assert.deepEqual(st.done, { run: ack.run, total: TOTAL, totals }, `${st.name}: done`);
        }

        // 5. The churn ends; its clients saw no gap, no stray event, no
        // disconnect they did not ask for.
        worker.postMessage({ type: 'progress', ticks: TOTAL });
        const churnResult = await withChurnStatus(churnFinished.promise, RUN_DEADLINE_MS, 'churn finishing');
        assert.deepEqual(churnResult.errors, [], 'churn clients');

        // 6. The server let go of every churn socket: its namespace is back to
        // the stable clients (acked when it is, or the deadline passes).
        const pop = await withTimeout(stable[0].socket.emitWithAck('population', { sockets: STABLE }),
          STEP_DEADLINE_MS, `server namespace back to ${STABLE} sockets`);
        assert.ok(pop && pop.ok && pop.sockets === STABLE, `population ack ${fmt(pop)}`);
        const stats = await withTimeout(stable[0].socket.emitWithAck('stats'), STEP_DEADLINE_MS, 'stats ack');
        assert.equal(stats.ticks_posted, TOTAL);

        const stableDirects = stable.reduce((n, c) => n + c.directs, 0);
        const afterDone = stable.reduce((n, c) => n + c.ticksAfterDone, 0);
        t.diagnostic(`run: ${elapsed} ms for ${TOTAL} events x ${STABLE} stable clients; ` +
          `ticks posted over ${stats.run_posted_ms} ms`);
        t.diagnostic(`churn: ${fmt(churnResult.summary)}`);
        t.diagnostic(`stable: ${stableDirects} direct emits received; ticks after done: ${afterDone}`);
        t.diagnostic(`server: ${fmt(stats)}`);

        // 7. Clean shutdown: exit 0 on SIGTERM (a sanitizer report makes it non-zero).
        for (const st of stable) st.expectedDisconnect = true;
        const r = await server.stop();
        assert.ok(!r.forced && r.code === 0 && r.signal === null,
          `sio-stress did not exit 0 on SIGTERM: ${server.describeExit()}${r.forced ? ' (needed SIGKILL)' : ''}`);
        assert.doesNotMatch(server.output(), /Sanitizer|runtime error/, 'sanitizer output');
        assert.match(server.output(), new RegExp(`${TOTAL} ticks, 1 done`));
      }));
  });
}
