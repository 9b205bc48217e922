// Helpers for the tests of sio-testserver: start it with its control API on
// a free port, and call the control API.
import assert from 'node:assert/strict';
import { before, after, afterEach } from 'node:test';
import { startServer, stopChecked } from './support.mjs';

/**
 * Starts build/sio-testserver (Socket.IO on a free port, the control API on
 * another) with short heartbeats, so that ping timeouts fire within a
 * second. Returns the server (support.mjs's startServer) plus
 * `control` (its base URL) and `ctl(command, body)`.
 */
export async function startTestServer(args = []) {
  const srv = await startServer('sio-testserver', [
    '--control-port', '0', '--ping-interval', '300', '--ping-timeout', '200', ...args,
  ]);
  const m = await srv.untilOutput(/control API on (http:\/\/[\d.]+:\d+)\//);
  srv.control = m[1];
  srv.ctl = (command, body = {}) => call(srv.control, command, body);
  srv.ok = async (command, body = {}) => {
    const r = await srv.ctl(command, body);
    assert.equal(r.status, 200, `${command} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  return srv;
}

/** POSTs `body` to the control API's `command`; resolves {status, json}. */
export async function call(base, command, body = {}) {
  const res = await fetch(`${base}/${command}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(15000),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = text; }
  return { status: res.status, json };
}

/**
 * For a describe(): one sio-testserver for its tests, reset after each,
 * with the clients the tests made closed. Returns { srv() (the server),
 * connect(io, opts) (a client of `io` with quick reconnections; opts.nsp a
 * namespace) }.
 */
export function testServerSuite() {
  let srv;
  const clients = [];
  before(async () => { srv = await startTestServer(); });
  afterEach(async () => {
    while (clients.length) clients.pop().close();
    await srv.ok('reset');
  });
  after(() => stopChecked(srv)); // exit 0, no sanitizer report
  return {
    srv: () => srv,
    connect(io, opts = {}) {
      const s = io(`${srv.url}${opts.nsp || ''}`, {
        forceNew: true, reconnectionDelay: 50, reconnectionDelayMax: 100, ...opts,
      });
      clients.push(s);
      return s;
    },
  };
}
