// make bench-compression: what the two compressions cost in server CPU and
// save in bytes, for build/sio-echo and for Node's socket.io 4.8 in the same
// run (docs/benchmarks.md, "Compression").
//
//   node tools/bench/compression.mjs [--messages N]
//
// Each workload echoes N "message" events carrying the same 2 KB of chat
// history (JSON, the kind of payload compression is for) and counts:
//   - the bytes the client read for them (the echoes on the wire);
//   - the server's CPU time (utime + stime of /proc/PID/stat) over the run.
// polling:    one session; each echo fetched by a GET with
//             Accept-Encoding: gzip (httpCompression; on by default in both).
// websocket:  one connection of Node's ws client, against servers with and
//             without perMessageDeflate; where it is on, the client offers it
//             and compresses its messages too (ws does, with its window), so
//             the server's CPU covers inflating them as well.
// Every server is started here and stopped by its PID; loopback only; each
// run is bounded by N.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'tests', 'package.json'));
const WebSocket = require('ws');

const args = process.argv.slice(2);
const N = Number(args[args.indexOf('--messages') + 1] || 0) || 2000;
const TICK_MS = 1000 / 100; // USER_HZ: /proc reports CPU time in 1/100 s

// The Node server, when this file is run with --serve: the options as JSON.
const CASE = args.includes('--case') ? Number(args[args.indexOf('--case') + 1]) : -1;
if (args[0] === '--serve') {
  const { Server } = require('socket.io');
  const srv = http.createServer();
  const io = new Server(srv, JSON.parse(args[1]));
  io.on('connection', (s) => s.on('message', (...a) => s.emit('message-back', ...a)));
  srv.listen(0, '127.0.0.1', () => console.log(`listening on port ${srv.address().port}`));
} else {
  await main();
}

/** 2 KB of chat history: twenty messages of four users in two rooms. */
function payload() {
  const words = 'the meeting moved to thursday afternoon please bring the draft and the numbers for review'.split(' ');
  return Array.from({ length: 20 }, (_, i) => ({
    id: 1000 + i,
    room: i % 2 ? 'general' : 'support',
    from: ['ann', 'bob', 'cleo', 'dev'][i % 4],
    text: words.slice(i % 5, (i % 5) + 9).join(' '),
    at: 1764700000000 + i * 61000,
  }));
}

function cpuTicks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime, stime
}

function start(cmd, argv) {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`${cmd}: no port in 10 s\n${out}`)); }, 10_000);
    const look = (d) => {
      out += d;
      const m = /listening on port (\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc, port: Number(m[1]) }); }
    };
    proc.stdout.on('data', look);
    proc.stderr.on('data', look);
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${cmd} exited ${code}\n${out}`)); });
  });
}

function stop(s) {
  s.proc.removeAllListeners('exit');
  return new Promise((resolve) => { s.proc.once('exit', resolve); s.proc.kill('SIGTERM'); });
}

function request(port, method, p, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ body: Buffer.concat(chunks), headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** N echoes over polling. Resolves { wire, raw }: bytes of the echoes as read, and decoded. */
async function pollingRun(port, data) {
  const base = '/socket.io/?EIO=4&transport=polling';
  const hs = await request(port, 'GET', base);
  const sid = JSON.parse(hs.body.toString().slice(1)).sid;
  const url = `${base}&sid=${sid}`;
  await request(port, 'POST', url, '40');
  await request(port, 'GET', url);
  const packet = `42${JSON.stringify(['message', data])}`;
  let wire = 0;
  let raw = 0;
  const zlib = await import('node:zlib');
  for (let i = 0; i < N; i++) {
    await request(port, 'POST', url, packet);
    for (;;) {
      const r = await request(port, 'GET', url, undefined, { 'accept-encoding': 'gzip' });
      wire += r.body.length;
      const text = r.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(r.body) : r.body;
      raw += text.length;
      if (text.includes('message-back')) break;
    }
  }
  return { wire, raw };
}

/** N echoes over a WebSocket; `offer`: the client offers permessage-deflate. */
async function websocketRun(port, data, offer) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    { perMessageDeflate: offer ? {} : false });
  const packet = `42${JSON.stringify(['message', data])}`;
  let raw = 0;
  let waiting = null;
  ws.on('message', (m) => {
    const t = m.toString();
    if (t === '2') { ws.send('3'); return; }
    if (t.startsWith('40')) { waiting(); return; } // the CONNECT reply
    if (t.startsWith('42["message-back"')) { raw += m.length; waiting(); }
  });
  await new Promise((r) => ws.once('open', r));
  // As a real client, nothing is sent to the namespace before its CONNECT
  // reply (Node's server closes a connection that does).
  await new Promise((r) => { waiting = r; ws.send('40'); });
  const before = ws._socket.bytesRead;
  for (let i = 0; i < N; i++) {
    await new Promise((r) => { waiting = r; ws.send(packet); });
  }
  const wire = ws._socket.bytesRead - before;
  ws.terminate();
  return { wire, raw };
}

async function measure(server, run, data, offer) {
  const t0 = cpuTicks(server.proc.pid);
  const r = await run(server.port, data, offer);
  const cpu = (cpuTicks(server.proc.pid) - t0) * TICK_MS * 1000 / N; // µs per message
  return { ...r, cpu };
}

async function main() {
  const sioEcho = path.join(ROOT, 'build', 'sio-echo');
  if (!fs.existsSync(sioEcho)) throw new Error(`${sioEcho} missing: make first`);
  const data = payload();
  const rows = [];
  const cases = [
    ['polling', 'ours', sioEcho, [], pollingRun],
    ['polling', 'ours, --no-http-compression', sioEcho, ['--no-http-compression'], pollingRun],
    ['polling', 'node', 'node', [fileURLToPath(import.meta.url), '--serve', '{}'], pollingRun],
    ['polling', 'node, httpCompression: false', 'node',
      [fileURLToPath(import.meta.url), '--serve', '{"httpCompression":false}'], pollingRun],
    ['websocket', 'ours, --per-message-deflate', sioEcho, ['--per-message-deflate'], websocketRun],
    ['websocket', 'ours', sioEcho, [], websocketRun],
    ['websocket', 'node, perMessageDeflate', 'node',
      [fileURLToPath(import.meta.url), '--serve', '{"perMessageDeflate":{"threshold":1024}}'], websocketRun],
    ['websocket', 'node', 'node', [fileURLToPath(import.meta.url), '--serve', '{}'], websocketRun],
  ];
  if (CASE >= 0) { // one case, in a process of its own: prints its row as JSON
    const [transport, name, cmd, argv, run] = cases[CASE];
    const server = await start(cmd, cmd === 'node' ? argv : ['--port', '0', ...argv]);
    // The client offers permessage-deflate only to servers that take it (the
    // others decline it: the same on the wire).
    const offer = /deflate/i.test(name);
    try {
      console.log(JSON.stringify({ transport, name, ...(await measure(server, run, data, offer)) }));
    } finally {
      await stop(server);
    }
    return;
  }
  // Each case runs in a client process of its own: the clients' zlib work
  // (ws inflates on a thread pool) then never carries from one to the next.
  for (let i = 0; i < cases.length; i++) {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--case', String(i), '--messages', String(N)],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const code = await new Promise((r) => child.on('exit', r));
    if (code !== 0) throw new Error(`case ${cases[i][1]} (${cases[i][0]}) failed: exit ${code}`);
    rows.push(JSON.parse(out));
  }
  console.log(`${N} echoes of a ${JSON.stringify(data).length}-byte JSON payload each\n`);
  console.log('| transport | server | bytes per echo on the wire | of uncompressed | server CPU per echo (µs) |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.transport} | ${r.name} | ${Math.round(r.wire / N)} | ${(r.wire / r.raw * 100).toFixed(0)} % | ` +
      `${r.cpu.toFixed(1)} |`);
  }
}
