// sio-server, the main program, against real clients: socket.io-client 4.8,
// fetch and raw node:http requests. Covers the served socket.io client
// bundle (content types, ETag, 304), static files (content types, index,
// 404, traversal attempts), the HTTP emit API (auth, validation, limits,
// rooms and except), the demo chat's join/leave/message protocol, logging,
// shutdown, and the seed scenario: a burst of API emits to a client's room
// racing the client's connection and join.
//
// The server finds what it serves in its data directory beside the
// executable (BUILD/share/sio-server: the chat demo and the socket.io client
// pinned by tools/package-lock.json), whatever the current directory: the
// tests start it from the repository and from /tmp, and with --data-dir.

import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { startServer, buildDir, waitFor, withTimeout, fmt, diag, makeCert } from './support.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
process.chdir(REPO);

const TOKEN = 'test-token-0123456789';
const T = { timeout: 20_000 };
// The main program's client (tools/package-lock.json), not the tests' own.
const CLIENT_DIST = path.join(REPO, 'tools/node_modules/socket.io-client/dist');
const CLIENT_VERSION = JSON.parse(
  fs.readFileSync(path.join(REPO, 'tools/node_modules/socket.io-client/package.json'), 'utf8')).version;
const DEMO = path.join(REPO, 'tools/demo');
// A line the server logs at level error: "<timestamp> error <message>".
const ERROR_LINE = /^\S+ error /m;

// --- helpers -------------------------------------------------------------------

/** One HTTP request with the path sent exactly as given (fetch would
 * normalise "/../x"). Resolves { status, headers, body } or, when the server
 * drops the connection, { status: 0, error }. */
function raw(server, reqPath, { method = 'GET', headers = {}, body } = {}) {
  return withTimeout(new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: reqPath, method, headers, agent: false },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (error) => resolve({ status: 0, error }));
      });
    req.on('error', (error) => resolve({ status: 0, error }));
    req.end(body);
  }), 5000, `${method} ${reqPath}`);
}

/** POST /api/emit. `body` is sent as is when a string, else as JSON. */
async function api(server, body, { token = TOKEN, headers = {} } = {}) {
  const h = { 'content-type': 'application/json', ...headers };
  if (token !== null) h.authorization = `Bearer ${token}`;
  const res = await fetch(`${server.url}/api/emit`, {
    method: 'POST', headers: h, body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, text, json };
}

/** An error answer of the API: JSON {"error": "..."} (matching `message`). */
function assertJsonError(res, what, message) {
  assert.equal(res.headers['content-type'], 'application/json', `${what}: content type`);
  const json = JSON.parse(res.body.toString('utf8'));
  assert.deepEqual(Object.keys(json), ['error'], what);
  assert.equal(typeof json.error, 'string', what);
  if (message) assert.match(json.error, message, what);
}

// Client sockets opened by a test; closed after it whatever happened.
const sockets = new Set();
afterEach(() => {
  for (const s of sockets) s.close();
  sockets.clear();
});

/** A connected socket.io client (no reconnection). */
async function connect(server, opts = {}) {
  const socket = io(server.url, { forceNew: true, reconnection: false, ...opts });
  sockets.add(socket);
  await waitFor(socket, 'connect', 5000, { rejectOn: ['connect_error'] });
  return socket;
}

/** Emits with an acknowledgement and resolves with the reply. */
function ask(socket, event, ...args) {
  return socket.timeout(5000).emitWithAck(event, ...args);
}

/** Every event a socket receives, in order, as [event, ...args]. */
function record(socket) {
  const log = [];
  socket.onAny((...a) => log.push(a));
  return log;
}

/** Resolves when the server's output matches `re` (deadline `ms`). */
function waitOutput(server, re, ms = 5000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = server.output().match(re);
      if (!m) return false;
      clearTimeout(timer);
      server.proc.stderr.off('data', onData);
      resolve(m);
      return true;
    };
    const onData = () => setImmediate(check); // support.mjs's listener stores the chunk first
    const timer = setTimeout(() => {
      server.proc.stderr.off('data', onData);
      reject(new Error(`timed out after ${ms} ms waiting for ${re} in the server output:\n${server.output()}`));
    }, ms);
    server.proc.stderr.on('data', onData);
    check();
  });
}

function assertRefused(res, what, secret) {
  assert.ok(res.status === 0 || res.status === 400 || res.status === 403 || res.status === 404,
    `${what}: expected 400, 403, 404 or a dropped connection, got ${res.status}`);
  if (secret && res.body) assert.ok(!res.body.toString('latin1').includes(secret), `${what}: served the file`);
}

// --- servers --------------------------------------------------------------------

// main: defaults (demo page, client bundle) and the emit API.
// files: a temporary static directory and no API token.
let main;
let files;
let tmp;
const SECRET = 'SECRET-CONTENT-7f3a';

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-server-test-'));
  const root = path.join(tmp, 'static');
  fs.mkdirSync(path.join(root, 'sub'), { recursive: true });
  fs.mkdirSync(path.join(root, 'foo'), { recursive: true });
  const put = (name, data) => fs.writeFileSync(path.join(root, name), data);
  put('index.html', '<!doctype html><title>static index</title>');
  put('app.js', 'console.log("app");');
  put('style.css', 'body { color: red; }');
  put('data.json', '{"a":1}');
  put('img.png', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'));
  put('pic.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  put('favicon.ico', Buffer.from([0, 0, 1, 0]));
  put('notes.txt', 'some notes');
  put('blob.bin', Buffer.from([1, 2, 3]));
  for (const ext of ['woff2', 'woff', 'ttf', 'otf', 'eot']) put(`font.${ext}`, Buffer.from(`not really a ${ext}`));
  put('sub/index.html', '<p>sub index</p>');
  put('.hidden', 'hidden');
  // Outside the static root: must never be served.
  fs.writeFileSync(path.join(tmp, 'Makefile'), SECRET);
  fs.writeFileSync(path.join(tmp, 'secret.txt'), SECRET);
  fs.symlinkSync(path.join(tmp, 'secret.txt'), path.join(root, 'link.txt'));

  main = await startServer('sio-server', ['--api-token', TOKEN]);
  files = await startServer('sio-server', ['--static', root]);
});

after(async () => {
  const results = await Promise.all([main, files].filter(Boolean).map((s) => s.stop()));
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  for (const r of results) assert.equal(r.code, 0, `server exit: ${JSON.stringify(r)}`);
  for (const s of [main, files]) {
    if (s) assert.ok(!ERROR_LINE.test(s.output()), `error lines in the server output:\n${s.output()}`);
  }
});

// --- the data directory -------------------------------------------------------------

describe('data directory', () => {
  /** `/` is the demo and `/socket.io/socket.io.js` the pinned bundle. */
  async function servesDemoAndBundle(srv) {
    const page = await raw(srv, '/');
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'], /^text\/html; charset=utf-8$/);
    assert.ok(page.body.equals(fs.readFileSync(path.join(DEMO, 'index.html'))), 'the demo page differs');
    const js = await raw(srv, '/socket.io/socket.io.js');
    assert.equal(js.status, 200);
    assert.equal(js.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(js.headers.etag, `"${CLIENT_VERSION}"`);
    assert.ok(js.body.equals(fs.readFileSync(path.join(CLIENT_DIST, 'socket.io.js'))), 'the bundle differs');
  }

  it('started from /tmp, the server finds it beside its executable', T, async () => {
    const srv = await startServer('sio-server', ['--api-token', TOKEN], { cwd: os.tmpdir() });
    try {
      await diag(srv, async () => {
        await servesDemoAndBundle(srv);
        const dir = fs.realpathSync(path.join(buildDir(), 'share', 'sio-server'));
        assert.match(srv.output(), new RegExp(`^\\S+ info data directory ${dir}$`, 'm'));
        // The startup log names what it serves, with the real port.
        const base = `http://localhost:${srv.port}`;
        for (const line of [`static files (the chat demo by default): ${base}/`,
          `Socket.IO endpoint: ${base}/socket.io/`, `socket.io client: ${base}/socket.io/socket.io.js`,
          `emit API (POST, bearer token): ${base}/api/emit`]) {
          assert.ok(srv.output().includes(` info ${line}\n`), `no "${line}" in:\n${srv.output()}`);
        }
      });
    } finally {
      await srv.stop();
    }
  });

  it('with TLS and --host, the URLs say https and the address', T, async () => {
    const dir = path.join(tmp, 'tls');
    fs.mkdirSync(dir, { recursive: true });
    const files = makeCert(dir);
    const srv = await startServer('sio-server', ['--host', '127.0.0.1', '--tls-cert', files.cert,
      '--tls-key', files.key, '--no-static'], { cwd: os.tmpdir() });
    try {
      const base = `https://127.0.0.1:${srv.port}`;
      await srv.untilOutput(new RegExp(` info socket\\.io client: ${base}/socket\\.io/socket\\.io\\.js$`, 'm'));
      const out = srv.output();
      assert.ok(out.includes(` info Socket.IO endpoint: ${base}/socket.io/\n`), out);
      assert.ok(!/static files|emit API/.test(out), `neither is on:\n${out}`);
    } finally {
      await srv.stop();
    }
  });

  it('--data-dir and SIO_SERVER_DATA_DIR choose another; --client-dir and --static override one part', T,
    async () => {
      const other = path.join(tmp, 'data');
      fs.mkdirSync(path.join(other, 'demo'), { recursive: true });
      fs.mkdirSync(path.join(other, 'client'), { recursive: true });
      fs.writeFileSync(path.join(other, 'demo', 'index.html'), '<p>other demo</p>');
      fs.writeFileSync(path.join(other, 'client', 'socket.io.js'), '/* other client */');
      const cases = [
        [['--data-dir', other], {}, '<p>other demo</p>', '/* other client */'],
        [[], { SIO_SERVER_DATA_DIR: other }, '<p>other demo</p>', '/* other client */'],
        [['--data-dir', other, '--client-dir', CLIENT_DIST], {}, '<p>other demo</p>', null],
        [['--data-dir', other, '--static', DEMO], {}, null, '/* other client */'],
      ];
      for (const [args, env, page, client] of cases) {
        const srv = await startServer('sio-server', args, { cwd: os.tmpdir(), env });
        try {
          await diag(srv, async () => {
            const what = `${args.join(' ')} ${JSON.stringify(env)}`;
            const p = await raw(srv, '/');
            const c = await raw(srv, '/socket.io/socket.io.js');
            assert.deepEqual([p.status, c.status], [200, 200], what);
            if (page) assert.equal(p.body.toString(), page, what);
            else assert.ok(p.body.equals(fs.readFileSync(path.join(DEMO, 'index.html'))), what);
            if (client) assert.equal(c.body.toString(), client, what);
            else assert.ok(c.body.equals(fs.readFileSync(path.join(CLIENT_DIST, 'socket.io.js'))), what);
          });
        } finally {
          await srv.stop();
        }
      }
    });

  it('a --data-dir or SIO_SERVER_DATA_DIR that is not a directory is an error', T, async () => {
    for (const [args, env] of [[['--data-dir', path.join(tmp, 'nowhere')], {}],
      [[], { SIO_SERVER_DATA_DIR: path.join(tmp, 'secret.txt') }]]) {
      const out = await new Promise((resolve) => {
        execFile(path.join(buildDir(), 'sio-server'), ['--port', '0', ...args],
          { timeout: 5000, cwd: os.tmpdir(), env: { ...process.env, ...env } },
          (err, stdout, stderr) => resolve({ code: err?.code ?? 0, stderr }));
      });
      assert.equal(out.code, 1, out.stderr);
      assert.match(out.stderr, /^\S+ error data directory .*(No such file|not a directory)/m, out.stderr);
    }
  });
});

// --- the program ------------------------------------------------------------------

describe('command line', () => {
  it('--help lists every option', T, async () => {
    const bin = path.join(buildDir(), 'sio-server');
    const out = await new Promise((resolve, reject) => {
      execFile(bin, ['--help'], { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    for (const flag of ['--host', '--port', '--path', '--ping-interval', '--ping-timeout', '--upgrade-timeout',
      '--connect-timeout', '--max-payload', '--cors-origin', '--cors-credentials', '--static', '--api-token',
      '--log-level', '--log-format', '--client-dir', '--data-dir', '--help']) {
      assert.ok(out.includes(flag), `--help does not mention ${flag}:\n${out}`);
    }
  });

  it('--port 0 picks a free port and says which', T, async () => {
    const proc = spawn(path.join(buildDir(), 'sio-server'), ['--port', '0', '--host', '127.0.0.1'],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      let err = '';
      const port = await withTimeout(new Promise((resolve, reject) => {
        proc.stderr.on('data', (c) => {
          err += c;
          const m = err.match(/^sio-server listening on port (\d+)$/m); // as it is in the text format
          if (m) resolve(Number(m[1]));
        });
        exited.then((e) => reject(new Error(`exited first: ${JSON.stringify(e)}\n${err}`)));
      }), 5000, 'the listening line');
      assert.ok(port > 0 && port !== 3000, `port ${port}`);
      const res = await fetch(`http://127.0.0.1:${port}/socket.io/socket.io.js`);
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    } finally {
      proc.kill('SIGTERM');
    }
    assert.deepEqual(await withTimeout(exited, 5000, 'exit'), { code: 0, signal: null });
  });

  // The log's text format, key=value (logs.test.mjs reads the JSON one).
  it('logs connections, disconnections with their reason, and refused requests', T, () => diag(main, async () => {
    const s = await connect(main);
    const id = s.id;
    const sid = s.io.engine.id;
    await waitOutput(main, new RegExp(`^\\S+Z info connect address=127\\.0\\.0\\.1 transport=(polling|websocket) ` +
      `protocol=4 namespace=/ socket=${id} sid=${sid}$`, 'm'));
    s.disconnect();
    await waitOutput(main, new RegExp(`^\\S+Z info disconnect address=127\\.0\\.0\\.1 transport=(polling|websocket) ` +
      `protocol=4 namespace=/ socket=${id} duration_ms=\\d+ reason="client namespace disconnect"$`, 'm'));
    // A file that is not there: a 404 for a GET, a debug line.
    assert.equal((await raw(main, '/no-such-file-4711')).status, 404);
    const bad = await fetch(`${main.url}/socket.io/?EIO=4&transport=nope`);
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
    await waitOutput(main, /^\S+Z info refused status=400 code=0 reason="Transport unknown" method=GET path=\/socket\.io\/ address=127\.0\.0\.1$/m);
    assert.doesNotMatch(main.output(), /no-such-file-4711/, 'a 404 for a GET at the info level');
    // A request path cannot forge a log line (libwebsockets cuts it at the
    // LF; a quote is escaped).
    assert.equal((await raw(main, '/x%22%0a2020-01-01T00:00:00.000Z%20error%20forged')).status, 404);
    assert.ok(!ERROR_LINE.test(main.output()), main.output());
  }));

  it('--log-level warn drops info lines; SIO_API_TOKEN sets the token', T, async () => {
    process.env.SIO_API_TOKEN = 'from-the-environment';
    let srv;
    try {
      srv = await startServer('sio-server', ['--log-level', 'warn']);
    } finally {
      delete process.env.SIO_API_TOKEN;
    }
    try {
      await diag(srv, async () => {
        const s = await connect(srv);
        assert.equal((await api(srv, { rooms: [s.id], event: 'x' }, { token: 'from-the-environment' })).status, 200);
        assert.equal((await api(srv, { event: 'x' })).status, 401);
        await waitOutput(srv, /^\S+ warn refused status=401 /m);
        s.disconnect();
        assert.ok(!/^\S+ info /m.test(srv.output()), `info lines at --log-level warn:\n${srv.output()}`);
      });
    } finally {
      await srv.stop();
    }
  });

  it('bad options are refused', T, async () => {
    const bin = path.join(buildDir(), 'sio-server');
    for (const args of [['--log-level', 'loud'], ['--log-format', 'xml'], ['--port', '70000'], ['--ping-interval', 'x'], ['--path', 'nope'],
      ['--no-such-option'], ['extra']]) {
      const code = await new Promise((resolve) => {
        execFile(bin, args, { timeout: 5000 }, (err) => resolve(err ? err.code : 0));
      });
      assert.equal(code, 2, `${args.join(' ')}: exit ${code}`);
    }
  });

  it('SIGTERM disconnects every client and exits 0', T, async () => {
    const srv = await startServer('sio-server', []);
    await diag(srv, async () => {
      const a = await connect(srv).catch(async (e) => { await srv.stop(); throw e; });
      const b = await connect(srv, { transports: ['websocket'] }).catch(async (e) => { await srv.stop(); throw e; });
      const reasons = Promise.all([waitFor(a, 'disconnect', 5000), waitFor(b, 'disconnect', 5000)]);
      const exit = await srv.stop();
      // As Node's io.close(): the sockets are closed with their transport.
      for (const r of await reasons) assert.match(r, /^(transport close|io server disconnect)$/);
      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}`);
      assert.ok(!exit.forced, 'had to be killed');
      assert.match(srv.output(), /info disconnect .* reason="server shutting down"$/m);
      assert.ok(!ERROR_LINE.test(srv.output()));
    });
  });
});

// --- the client bundle ------------------------------------------------------------

describe('socket.io client bundle', () => {
  const bundles = fs.readdirSync(CLIENT_DIST)
    .filter((f) => /^socket\.io(\.msgpack|\.esm)?(\.min)?\.js(\.map)?$/.test(f)).sort();

  it('is the pinned socket.io-client dist', () => {
    for (const f of ['socket.io.js', 'socket.io.min.js', 'socket.io.js.map', 'socket.io.min.js.map']) {
      assert.ok(bundles.includes(f), `${f} missing from ${CLIENT_DIST}`);
    }
  });

  for (const file of bundles) {
    it(`serves /socket.io/${file} with its content type and ETag`, T, () => diag(main, async () => {
      const res = await raw(main, `/socket.io/${file}`);
      assert.equal(res.status, 200);
      const want = file.endsWith('.map') ? /^application\/json\b/ : /^application\/javascript; charset=utf-8$/;
      assert.match(res.headers['content-type'], want);
      assert.equal(res.headers.etag, `"${CLIENT_VERSION}"`);
      assert.ok(res.body.equals(fs.readFileSync(path.join(CLIENT_DIST, file))), 'body differs from the file');
    }));
  }

  it('answers 304 with no body to a matching If-None-Match', T, () => diag(main, async () => {
    const etag = `"${CLIENT_VERSION}"`;
    for (const inm of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const res = await raw(main, '/socket.io/socket.io.min.js', { headers: { 'if-none-match': inm } });
      assert.equal(res.status, 304, `If-None-Match: ${inm}`);
      assert.equal(res.body.length, 0);
    }
    const stale = await raw(main, '/socket.io/socket.io.js', { headers: { 'if-none-match': '"0.0.1"' } });
    assert.equal(stale.status, 200);
    assert.ok(stale.body.length > 1000);
  }));

  it('ignores the query string and answers HEAD without a body', T, () => diag(main, async () => {
    const q = await raw(main, '/socket.io/socket.io.js?v=123');
    assert.equal(q.status, 200);
    const head = await raw(main, '/socket.io/socket.io.js', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.match(head.headers['content-type'], /^application\/javascript/);
    assert.equal(head.body.length, 0);
    // The connection stays usable: a request after a HEAD on the same socket.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const one = (method) => new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port: main.port, path: '/socket.io/socket.io.min.js', method, agent },
          (res) => { const c = []; res.on('data', (d) => c.push(d)); res.on('end', () => resolve(Buffer.concat(c))); });
        req.on('error', reject);
        req.end();
      });
      await withTimeout(one('HEAD'), 5000, 'HEAD');
      const body = await withTimeout(one('GET'), 5000, 'GET after HEAD');
      assert.ok(body.equals(fs.readFileSync(path.join(CLIENT_DIST, 'socket.io.min.js'))));
    } finally {
      agent.destroy();
    }
  }));

  it('404 for other files of the client path', T, () => diag(main, async () => {
    for (const p of ['/socket.io/socket.io.jsx', '/socket.io/package.json', '/socket.io/../package.json']) {
      assert.equal((await raw(main, p)).status, 404, p);
    }
  }));

  it('with --client-dir missing, the bundle answers 404 and a warning is logged', T, async () => {
    const srv = await startServer('sio-server', ['--client-dir', path.join(tmp, 'nowhere')]);
    try {
      await diag(srv, async () => {
        assert.equal((await raw(srv, '/socket.io/socket.io.js')).status, 404);
        assert.match(srv.output(), /^\S+ warn socket\.io client not found/m);
      });
    } finally {
      await srv.stop();
    }
  });
});

// --- static files ---------------------------------------------------------------

describe('static files', () => {
  const types = {
    '/index.html': /^text\/html/,
    '/app.js': /^application\/javascript/,
    '/style.css': /^text\/css/,
    '/data.json': /^application\/json/,
    '/img.png': /^image\/png$/,
    '/pic.svg': /^image\/svg\+xml$/,
    '/favicon.ico': /^image\/(x-icon|vnd\.microsoft\.icon)$/,
    '/notes.txt': /^text\/plain/,
    '/blob.bin': /^application\/octet-stream$/,
    '/font.woff2': /^font\/woff2$/,
    '/font.woff': /^font\/woff$/,
    '/font.ttf': /^font\/ttf$/,
    '/font.otf': /^font\/otf$/,
    '/font.eot': /^application\/vnd\.ms-fontobject$/,
  };
  it('are served with their content type', T, () => diag(files, async () => {
    for (const [p, ct] of Object.entries(types)) {
      const res = await raw(files, p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers['content-type'], ct, p);
      assert.ok(res.body.equals(fs.readFileSync(path.join(tmp, 'static', p))), `${p}: body`);
    }
  }));

  it('/ and a directory with a slash give index.html', T, () => diag(files, async () => {
    const root = await raw(files, '/?transports=polling');
    assert.equal(root.status, 200);
    assert.match(root.headers['content-type'], /^text\/html/);
    assert.equal(root.body.toString(), '<!doctype html><title>static index</title>');
    const sub = await raw(files, '/sub/');
    assert.equal(sub.body.toString(), '<p>sub index</p>');
  }));

  it('the default static directory is the chat demo', T, () => diag(main, async () => {
    const res = await raw(main, '/');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/html/);
    const html = res.body.toString();
    assert.ok(html.includes('/socket.io/socket.io.js'), 'the demo loads the client');
    for (const id of ['name', 'room', 'join', 'leave', 'text', 'send', 'messages', 'status']) {
      assert.ok(html.includes(`id="${id}"`), `#${id} missing from the demo page`);
    }
    const js = await raw(main, '/chat.js');
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'], /^application\/javascript/);
  }));

  it('ETag and 304', T, () => diag(files, async () => {
    const first = await raw(files, '/style.css');
    assert.ok(first.headers.etag, 'no ETag');
    const again = await raw(files, '/style.css', { headers: { 'if-none-match': first.headers.etag } });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
  }));

  it('404 for missing and hidden files and directories without a slash', T, () => diag(files, async () => {
    for (const p of ['/missing.html', '/.hidden', '/sub', '/foo/', '/nope/']) {
      assert.equal((await raw(files, p)).status, 404, p);
    }
  }));

  it('only GET and HEAD', T, () => diag(files, async () => {
    assert.equal((await raw(files, '/index.html', { method: 'POST', body: 'x' })).status, 405);
    assert.equal((await raw(files, '/index.html', { method: 'DELETE' })).status, 405);
    const head = await raw(files, '/index.html', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
  }));

  const attempts = ['/../Makefile', '/%2e%2e/Makefile', '/..%2fMakefile', '/%2e%2e%2fMakefile', '/foo/../../Makefile',
    '/foo/../../etc/passwd', '/..\\Makefile', '/%5c..%5cMakefile', '/foo/..%5c..%5cMakefile', '/../secret.txt',
    '/static/../secret.txt', '/link.txt', '/index.html%00.png', '//etc/passwd', '/./../Makefile',
    '/.%2e/Makefile', '/%2e./secret.txt'];
  it('path traversal attempts are refused', T, () => diag(files, async () => {
    for (const p of attempts) assertRefused(await raw(files, p), p, SECRET);
    // The server is still there.
    assert.equal((await raw(files, '/notes.txt')).status, 200);
  }));

  // libwebsockets decodes "/%00..." to "/" and the handler only sees the
  // path up to the NUL, so it serves the index (inside the root, but it
  // should be refused): the transport must refuse a %00 in the path.
  it('a NUL in the path is refused', T, () => diag(files, async () => {
    // ('/%00' alone is not in the list: libwebsockets 4.1 drops a trailing
    // %00 before the server sees the path, which is then '/', the index.)
    for (const p of ['/%00/x', '/notes.txt%00', '/index.html%00.png']) assertRefused(await raw(files, p), p);
  }));

  it('path traversal out of the demo directory is refused', T, () => diag(main, async () => {
    const makefile = fs.readFileSync(path.join(REPO, 'Makefile'), 'utf8').slice(0, 40);
    for (const p of ['/../../Makefile', '/%2e%2e/%2e%2e/Makefile', '/..%2f..%2fMakefile', '/foo/../../../Makefile',
      '/..\\..\\Makefile', '/foo/../../etc/passwd']) {
      assertRefused(await raw(main, p), p, makefile);
    }
  }));
});

// --- the HTTP emit API ------------------------------------------------------------

describe('HTTP emit API', () => {
  it('is off (404) when no token is configured', T, () => diag(files, async () => {
    const res = await api(files, { event: 'x' });
    assert.equal(res.status, 404);
    assert.match(res.json?.error, /emit API is off/, res.text);
    assert.equal((await api(files, { event: 'x' }, { token: null })).status, 404);
  }));

  it('401 for a missing or wrong token', T, () => diag(main, async () => {
    const cases = [
      ['no header', { token: null }],
      ['wrong token', { token: 'wrong' }],
      ['a prefix of the token', { token: TOKEN.slice(0, -1) }],
      ['the token and more', { token: `${TOKEN}x` }],
      ['empty token', { token: '' }],
      ['Basic scheme', { token: null, headers: { authorization: `Basic ${TOKEN}` } }],
      ['the bare token', { token: null, headers: { authorization: TOKEN } }],
    ];
    for (const [what, opts] of cases) {
      const res = await api(main, { event: 'x' }, opts);
      assert.equal(res.status, 401, what);
      assert.equal(typeof res.json?.error, 'string', `${what}: ${res.text}`);
    }
    // The scheme is case-insensitive.
    const ok = await api(main, { event: 'x' }, { token: null, headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(ok.status, 200);
  }));

  it('405 for other methods', T, () => diag(main, async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const res = await raw(main, '/api/emit', { method, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 405, method);
      assertJsonError(res, method);
    }
  }));

  it('404 JSON for other paths under /api; the library\'s 404 elsewhere, whatever the method', T,
    () => diag(main, async () => {
      for (const [method, p] of [['POST', '/api/emits'], ['GET', '/api/emit/x'], ['POST', '/api'], ['GET', '/api/'],
        ['DELETE', '/api/nope']]) {
        const res = await raw(main, p, { method, headers: { authorization: `Bearer ${TOKEN}` }, body: '{}' });
        assert.equal(res.status, 404, `${method} ${p}`);
        assertJsonError(res, `${method} ${p}`);
      }
      // Outside /api: a POST to a path that is not there is not found (it
      // was once 405), and "/apix" is not the API.
      for (const [method, p] of [['POST', '/nope'], ['POST', '/apix'], ['PUT', '/missing.html']]) {
        const res = await raw(main, p, { method, body: 'x' });
        assert.equal(res.status, 404, `${method} ${p}`);
      }
    }));

  const bad = [
    ['empty body', ''],
    ['not JSON', 'hello', /^invalid JSON/],
    ['truncated', '{"event":"x"'],
    ['trailing data', '{"event":"x"} {}'],
    ['trailing comma', '{"event":"x",}'],
    ['single quotes', "{'event':'x'}"],
    ['an array', '["x"]'],
    ['a string', '"x"'],
    ['bad literal', '{"event":"x","data":[tru]}'],
    ['bad number', '{"event":"x","data":[01]}'],
    ['raw control character', '{"event":"a\tb"}'],
    ['lone surrogate', '{"event":"\\ud800"}'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])],
    ['too deep', `{"event":"x","data":${'['.repeat(200)}${']'.repeat(200)}}`],
    ['event missing', '{}', /"event" is required/],
    ['event not a string', '{"event":1}'],
    ['event null', '{"event":null}'],
    ['event empty', '{"event":""}'],
    ['event reserved', '{"event":"connect"}'],
    ['event reserved (disconnect)', '{"event":"disconnect"}'],
    ['event reserved (removeListener)', '{"event":"removeListener"}'],
    ['event with NUL', '{"event":"a\\u0000b"}'],
    ['rooms not an array', '{"event":"x","rooms":"A"}', /"rooms" must be an array of strings/],
    ['rooms of numbers', '{"event":"x","rooms":[1]}'],
    ['rooms nested', '{"event":"x","rooms":[["A"]]}'],
    ['except an object', '{"event":"x","except":{}}'],
    ['except of null', '{"event":"x","except":[null]}'],
    ['data an object', '{"event":"x","data":{"a":1}}'],
    ['data a string', '{"event":"x","data":"s"}'],
    ['data with a placeholder', '{"event":"x","data":[{"_placeholder":true,"num":0}]}'],
    ['namespace not a string', '{"event":"x","namespace":5}'],
    ['namespace without a slash', '{"event":"x","namespace":"chat"}'],
    ['unknown field', '{"event":"x","room":"A"}', /unknown field "room"/],
    ['duplicate field', '{"event":"x","event":"y"}', /duplicate field "event"/],
  ];
  for (const [what, body, message] of bad) {
    it(`400 for ${what}`, T, () => diag(main, async () => {
      const res = await fetch(`${main.url}/api/emit`, {
        method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body,
      });
      const text = await res.text();
      assert.equal(res.status, 400, `${what}: ${res.status} ${text}`);
      const json = JSON.parse(text);
      assert.equal(typeof json.error, 'string');
      assert.ok(json.error.length > 0);
      if (message) assert.match(json.error, message);
    }));
  }

  it('413 (JSON) over the body limit', T, () => diag(main, async () => {
    // Only the headers: the server answers from the Content-Length, and the
    // client does not race the server's close with its writes.
    const res = await withTimeout(new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: main.port, path: '/api/emit', method: 'POST', agent: false,
        headers: { authorization: `Bearer ${TOKEN}`, 'content-length': 2 << 20 } }, (r) => {
        const chunks = [];
        r.on('data', (c) => chunks.push(c));
        r.on('end', () => {
          resolve({ status: r.statusCode, headers: r.headers, body: Buffer.concat(chunks) });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    }), 5000, 'the 413');
    assert.equal(res.status, 413);
    assertJsonError(res, '413', /body too large: at most 1048576 bytes/);
    // Outside the API the library's own answer stays.
    const page = await raw(main, '/index.html', { method: 'POST', headers: { 'content-length': 2 << 20 } });
    assert.equal(page.status, 413);
    assert.match(page.headers['content-type'], /^text\/plain/);
    // Just under the limit is fine.
    const fits = await api(main, { event: 'big', rooms: ['nobody'], data: ['a'.repeat(1000 * 1000)] });
    assert.equal(fits.status, 200, fits.text);
  }));

  // A chunked body (Node's http.request without a length) is decoded, up to
  // the same limit as a body with a length.
  it('chunked bodies are read; over the limit, 413', T,
    () => diag(main, async () => {
      const post = (pieces) => withTimeout(new Promise((resolve) => {
        const req = http.request({ host: '127.0.0.1', port: main.port, path: '/api/emit', method: 'POST', agent: false,
          headers: { authorization: `Bearer ${TOKEN}`, 'transfer-encoding': 'chunked' } }, (r) => {
          let text = '';
          r.on('data', (d) => { text += d; });
          r.on('end', () => resolve({ status: r.statusCode, text, connection: r.headers.connection,
            ctype: r.headers['content-type'] }));
        });
        req.on('error', (e) => resolve({ status: e.code }));
        (async () => {
          for (const p of pieces) await new Promise((done) => req.write(p, done));
          req.end();
        })().catch(() => {});
      }), 5000, 'chunked POST');
      const small = await post(['{"event":"x",', '"rooms":["nobody"]}']);
      assert.equal(small.status, 200, small.text);
      assert.deepEqual(JSON.parse(small.text), { recipients: 0 });
      // The server answers 413 and closes at once: a client still writing
      // its chunks may see the closed connection before the answer.
      const big = await post(Array.from({ length: 20 }, () => 'a'.repeat(64 * 1024)));
      assert.ok([413, 'ECONNRESET', 'EPIPE'].includes(big.status), `big chunked POST: ${big.status}`);
      if (big.status === 413) {
        assert.equal(big.ctype, 'application/json');
        assert.match(JSON.parse(big.text).error, /body too large/);
      }
    }));

  it('200 with the number of recipients; rooms and except', T, () => diag(main, async () => {
    const a = await connect(main);
    const ab = await connect(main, { transports: ['websocket'] });
    const b = await connect(main, { transports: ['polling'] });
    for (const [s, rooms] of [[a, ['api A']], [ab, ['api A', 'api B']], [b, ['api B']]]) {
      for (const room of rooms) assert.deepEqual(await ask(s, 'join', room), { ok: true });
    }
    const got = [a, ab, b].map(record);
    const sentinels = [a, ab, b].map((s) => waitFor(s, 'sentinel', 5000));

    const res = await api(main, { rooms: ['api A'], except: ['api B'], event: 'news', data: [1, 'x', { y: [true, null] }] });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { recipients: 1 });
    const s = await api(main, { namespace: '/', rooms: ['api A', 'api B'], event: 'sentinel' });
    assert.deepEqual(s.json, { recipients: 3 });
    await Promise.all(sentinels);
    assert.deepEqual(got[0], [['news', 1, 'x', { y: [true, null] }], ['sentinel']]);
    assert.deepEqual(got[1], [['sentinel']]);
    assert.deepEqual(got[2], [['sentinel']]);
  }));

  it('rooms omitted: the whole namespace; unknown namespace: 404', T, () => diag(main, async () => {
    const s = await connect(main);
    const got = record(s);
    const unknown = await api(main, { namespace: '/nowhere', event: 'x', data: [1] });
    assert.deepEqual([unknown.status, unknown.json], [404, { error: 'no namespace "/nowhere"' }]);
    const none = await api(main, { rooms: ['no such room'], event: 'x' });
    assert.deepEqual(none.json, { recipients: 0 });
    const everyone = waitFor(s, 'hello', 5000);
    const all = await api(main, { event: 'hello', data: [] });
    assert.equal(all.status, 200);
    assert.ok(all.json.recipients >= 1, all.text);
    await everyone;
    assert.deepEqual(got, [['hello']]);
    // A client can connect to no namespace other than "/": the API did not create one.
    const other = io(`${main.url}/nowhere`, { forceNew: true, reconnection: false });
    sockets.add(other);
    const err = await waitFor(other, 'connect_error', 5000);
    assert.match(err.message, /Invalid namespace/);
  }));

  it('a single socket by its id room, and unicode data', T, () => diag(main, async () => {
    const s = await connect(main);
    const got = waitFor(s, 'direct', 5000);
    const res = await api(main, { rooms: [s.id], event: 'direct', data: ['héllo \u{1F600} "q" \\ \n'] });
    assert.deepEqual(res.json, { recipients: 1 });
    assert.equal(await got, 'héllo \u{1F600} "q" \\ \n');
  }));
});

// --- the demo chat protocol -------------------------------------------------------

describe('chat protocol', () => {
  it('join and leave with acks', T, () => diag(main, async () => {
    const s = await connect(main);
    for (const room of ['A', 'room 1', 'a.b-c_d', 'x'.repeat(64)]) {
      assert.deepEqual(await ask(s, 'join', room), { ok: true }, room);
    }
    assert.deepEqual(await ask(s, 'join', 'A'), { ok: true }, 'joining again is fine');
    assert.deepEqual(await ask(s, 'leave', 'A'), { ok: true });
    const again = await ask(s, 'leave', 'A');
    assert.equal(again.ok, false);
    assert.equal(typeof again.error, 'string');
  }));

  it('bad room names are refused', T, () => diag(main, async () => {
    const s = await connect(main);
    const bad = ['', 'x'.repeat(65), 'a/b', 'é', '<script>', 'a\nb', 'tab\there', 42, null, { room: 'A' }, ['A'],
      'abcdefghijABCDEFGHIJ', s.id];
    for (const room of bad) {
      const r = await ask(s, 'join', room);
      assert.equal(r.ok, false, `join ${fmt(room)}: ${fmt(r)}`);
      assert.equal(typeof r.error, 'string');
      assert.ok(r.error.length > 0);
    }
    // Nor can a socket leave its own room.
    assert.equal((await ask(s, 'leave', s.id)).ok, false);
    const direct = waitFor(s, 'still', 5000);
    assert.deepEqual((await api(main, { rooms: [s.id], event: 'still' })).json, { recipients: 1 });
    await direct;
  }));

  it('a socket is in at most 16 rooms', T, () => diag(main, async () => {
    const s = await connect(main);
    for (let i = 0; i < 16; i++) assert.deepEqual(await ask(s, 'join', `r${i}`), { ok: true }, `r${i}`);
    const over = await ask(s, 'join', 'r16');
    assert.equal(over.ok, false);
    assert.match(over.error, /rooms/);
    assert.deepEqual(await ask(s, 'join', 'r3'), { ok: true }, 'a room already joined');
    assert.deepEqual(await ask(s, 'leave', 'r0'), { ok: true });
    assert.deepEqual(await ask(s, 'join', 'r16'), { ok: true });
    assert.equal((await ask(s, 'join', 'r17')).ok, false);
  }));

  it('messages reach the room, sender included, with name and time', T, () => diag(main, async () => {
    const alice = await connect(main, { auth: { name: 'alice' } });
    const bob = await connect(main, { transports: ['websocket'] });
    const carol = await connect(main, { transports: ['polling'] });
    assert.deepEqual(await ask(alice, 'join', 'chat A'), { ok: true });
    assert.deepEqual(await ask(bob, 'join', 'chat A'), { ok: true });
    assert.deepEqual(await ask(carol, 'join', 'chat B'), { ok: true });
    assert.deepEqual(await ask(bob, 'name', 'bob'), { ok: true });
    const logs = [alice, bob, carol].map(record);

    const before = Date.now();
    const toAlice = waitFor(alice, 'message', 5000);
    const toBob = waitFor(bob, 'message', 5000);
    assert.deepEqual(await ask(alice, 'message', { room: 'chat A', text: 'hi <b>bob</b> é' }), { ok: true });
    for (const m of [await toAlice, await toBob]) {
      assert.equal(m.room, 'chat A');
      assert.equal(m.from, 'alice');
      assert.equal(m.text, 'hi <b>bob</b> é');
      assert.equal(typeof m.at, 'number');
      assert.ok(m.at >= before - 5000 && m.at <= Date.now() + 5000, `at ${m.at}`);
    }
    const reply = waitFor(alice, 'message', 5000);
    assert.deepEqual(await ask(bob, 'message', { room: 'chat A', text: 'hello' }), { ok: true });
    assert.equal((await reply).from, 'bob');
    // carol (room B) got neither: her own message to B arrives first.
    const own = waitFor(carol, 'message', 5000);
    assert.deepEqual(await ask(carol, 'message', { room: 'chat B', text: 'only B' }), { ok: true });
    await own;
    assert.deepEqual(logs[2].map((e) => [e[0], e[1].text]), [['message', 'only B']]);
    assert.deepEqual(logs[0].map((e) => e[1].text), ['hi <b>bob</b> é', 'hello']);
  }));

  it('messages to a room not joined, and bad messages, are refused', T, () => diag(main, async () => {
    const s = await connect(main);
    const other = await connect(main);
    assert.deepEqual(await ask(s, 'join', 'mine'), { ok: true });
    assert.deepEqual(await ask(other, 'join', 'theirs'), { ok: true });
    const seen = record(other);
    const bad = [
      ['a room not joined', { room: 'theirs', text: 'hi' }],
      ['a bad room name', { room: 'a/b', text: 'hi' }],
      ['no text', { room: 'mine' }],
      ['empty text', { room: 'mine', text: '' }],
      ['text too long', { room: 'mine', text: 'x'.repeat(2001) }],
      ['text not a string', { room: 'mine', text: 5 }],
      ['room not a string', { room: 5, text: 'hi' }],
      ['a string', 'hi'],
      ['nothing', undefined],
    ];
    for (const [what, msg] of bad) {
      const r = await ask(s, 'message', msg);
      assert.equal(r.ok, false, `${what}: ${fmt(r)}`);
      assert.equal(typeof r.error, 'string', what);
    }
    assert.deepEqual(await ask(s, 'message', { room: 'mine', text: 'x'.repeat(2000) }), { ok: true });
    const sentinel = waitFor(other, 'sentinel', 5000);
    await api(main, { rooms: ['theirs'], event: 'sentinel' });
    await sentinel;
    assert.deepEqual(seen, [['sentinel']], 'the refused message reached the room');
  }));

  it('bad names are refused; the default name is a guest name', T, () => diag(main, async () => {
    const s = await connect(main, { auth: { name: 'x'.repeat(40) } });
    for (const name of ['', 'x'.repeat(33), 'a\nb', 7, null]) {
      const r = await ask(s, 'name', name);
      assert.equal(r.ok, false, `name ${fmt(name)}`);
    }
    assert.deepEqual(await ask(s, 'join', 'names'), { ok: true });
    const m = waitFor(s, 'message', 5000);
    await ask(s, 'message', { room: 'names', text: 'who am i' });
    assert.match((await m).from, /^guest-/);
  }));
});

// --- the seed scenario ----------------------------------------------------------------

// A backend emits numbered events to a client's room through the HTTP API
// from the moment the client starts connecting, on several concurrent
// streams (each stream sequential, so its order is defined). Every event the
// server counted the client as a recipient of must arrive, in stream order,
// none duplicated; every event whose POST started after the join ack must be
// among them; and the server logs no error.
async function burst(transports) {
  const srv = await startServer('sio-server', ['--api-token', TOKEN]);
  const client = io(srv.url, { forceNew: true, reconnection: false, ...(transports ? { transports } : {}) });
  sockets.add(client);
  try {
    await diag(srv, async () => {
      const ROOM = 'burst';
      const STREAMS = 4;
      const MIN_PER_STREAM = 50; // at least 200 events
      const AFTER_JOIN = 10;     // per stream, POSTs started after the join ack
      const received = [];
      client.on('n', (stream, i) => received.push([stream, i]));
      let joinedAt = null;

      const streams = Array.from({ length: STREAMS }, (_, s) => (async () => {
        const out = [];
        let after = 0;
        for (let i = 0; i < 5000 && (i < MIN_PER_STREAM || joinedAt === null || after < AFTER_JOIN); i++) {
          const startedAfterJoin = joinedAt !== null;
          const res = await api(srv, { rooms: [ROOM], event: 'n', data: [s, i] });
          assert.equal(res.status, 200, res.text);
          out.push({ i, recipients: res.json.recipients, startedAfterJoin });
          if (startedAfterJoin) after++;
        }
        return out;
      })());

      await waitFor(client, 'connect', 5000, { rejectOn: ['connect_error'] });
      assert.deepEqual(await ask(client, 'join', ROOM), { ok: true });
      joinedAt = performance.now();
      const results = await withTimeout(Promise.all(streams), 15000, 'the emit streams');

      const done = waitFor(client, 'done', 5000);
      assert.deepEqual((await api(srv, { rooms: [ROOM], event: 'done' })).json, { recipients: 1 });
      await done;

      let delivered = 0;
      for (let s = 0; s < STREAMS; s++) {
        const out = results[s];
        const first = out.findIndex((r) => r.recipients === 1);
        assert.ok(first >= 0, `stream ${s}: no event reached the client`);
        for (const r of out.slice(first)) {
          assert.equal(r.recipients, 1, `stream ${s}: event ${r.i} had ${r.recipients} recipients after the join`);
        }
        for (const r of out) {
          if (r.startedAfterJoin) assert.equal(r.recipients, 1, `stream ${s}: event ${r.i} started after the join ack`);
          assert.ok(r.recipients === 0 || r.recipients === 1);
        }
        const want = out.slice(first).map((r) => r.i);
        const got = received.filter(([st]) => st === s).map(([, i]) => i);
        assert.deepEqual(got, want, `stream ${s}: received events differ from those emitted to the client`);
        delivered += want.length;
      }
      assert.equal(received.length, delivered, 'duplicated or unexpected events');
      assert.ok(results.reduce((n, out) => n + out.length, 0) >= STREAMS * MIN_PER_STREAM);
      assert.ok(!ERROR_LINE.test(srv.output()), 'error lines in the server output');
    });
  } finally {
    client.close();
    const exit = await srv.stop();
    assert.equal(exit.code, 0, `server exit ${JSON.stringify(exit)}\n${srv.output()}`);
    assert.ok(!ERROR_LINE.test(srv.output()), `error lines in the server output:\n${srv.output()}`);
  }
}

describe('seed scenario: an API burst racing the connection and join', () => {
  it('polling with upgrade to WebSocket (the default)', { timeout: 40_000 }, () => burst(null));
  it('WebSocket only', { timeout: 40_000 }, () => burst(['websocket']));
  it('polling only', { timeout: 40_000 }, () => burst(['polling']));
});
