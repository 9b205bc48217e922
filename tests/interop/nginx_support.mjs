// nginx in front of sio-server processes, for the tests: the configuration
// of docs/deploy/nginx.conf with the test's ports, run by a real nginx that
// needs no root (its own prefix, pid file, logs and temporary folders under
// a temporary directory, in the foreground, stopped by its PID).
//
//   const redis = await startRedis();
//   const c = await startNginxCluster({ backends: 2, args: ['--redis', redis.url] });
//   ... c.url (nginx), c.backends[i] (startServer's), await c.backendOf(socketId) ...
//   await c.stop();
//
// Each backend is `sio-server --port 0 --cors-origin <nginx's origin>
// --trust-proxy 127.0.0.1 ...args` (a page served through nginx has nginx's
// origin, not the backend's), serving the demo chat and the client bundle.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startServer, stopChecked } from './support.mjs';
import { freePort, startChild } from './cluster_support.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const TEMPLATE = path.join(REPO, 'docs', 'deploy', 'nginx.conf');
const DEMO = path.join(REPO, 'tools', 'demo');
const CLIENT_DIST = path.join(REPO, 'tests', 'node_modules', 'socket.io-client', 'dist');
const HOST = '127.0.0.1';
const FIND_DEADLINE_MS = 5000;

/**
 * docs/deploy/nginx.conf with `listen` on HOST:port and `backends` (ports)
 * as the servers of both upstreams. Fails if the template no longer has the
 * lines this replaces.
 */
export function nginxSiteConf(port, backends) {
  const text = fs.readFileSync(TEMPLATE, 'utf8');
  const listen = /^(\s*)listen 8080;$/m;
  const servers = /^(\s*)server 127\.0\.0\.1:3001;\n\s*server 127\.0\.0\.1:3002;$/gm;
  assert.match(text, listen, `${TEMPLATE}: no "listen 8080;" line`);
  assert.equal(text.match(servers)?.length, 2, `${TEMPLATE}: two upstreams of 127.0.0.1:3001 and :3002 expected`);
  return text
    .replace(listen, `$1listen ${HOST}:${port};`)
    .replace(servers, (_, indent) => backends.map((p) => `${indent}server ${HOST}:${p};`).join('\n'));
}

/** The top-level nginx.conf of a run under `dir`, including the site. */
function mainConf(dir, site) {
  const p = (name) => path.join(dir, name);
  return `worker_processes 2;
pid ${p('nginx.pid')};
error_log stderr notice;
events { worker_connections 1024; }
http {
    access_log ${p('access.log')};
    client_body_temp_path ${p('client_body')};
    proxy_temp_path ${p('proxy')};
    fastcgi_temp_path ${p('fastcgi')};
    uwsgi_temp_path ${p('uwsgi')};
    scgi_temp_path ${p('scgi')};
    include ${site};
}
`;
}

/**
 * Starts nginx on HOST:port in front of `backends` (ports). Resolves with
 * { port, url, dir, output(), stop() } once its workers run; rejects with
 * its output if it fails (the port taken, say).
 */
export async function startNginx(port, backends) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-nginx-'));
  // Run as root, nginx's workers take the user nobody: they must reach the
  // temporary folders (nginx makes them theirs).
  fs.chmodSync(dir, 0o755);
  const site = path.join(dir, 'sio.conf');
  fs.writeFileSync(site, nginxSiteConf(port, backends));
  fs.writeFileSync(path.join(dir, 'nginx.conf'), mainConf(dir, site));
  const args = ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', 'stderr', '-g', 'daemon off;'];
  let child;
  try {
    child = await startChild('nginx', args, (out) => /start worker process/.test(out), `nginx on port ${port}`);
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async () => {
    const r = await child.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    return r;
  };
  return { ...child, port, url: `http://${HOST}:${port}`, dir, stop };
}

/**
 * Starts `backends` sio-server processes (with `args`) and nginx in front
 * of them. nginx's port is picked first, as the backends must allow its
 * origin; should another process take it before nginx starts, everything
 * is started again (three times at most). Resolves with
 * { url, nginx, backends, backendOfSocket(id), backendOfName(name),
 * outputs(), stop() }: backendOf* resolve with the index of the backend that
 * logged the connection of that socket id, or of a client of that name,
 * waiting for the line with a deadline.
 */
export async function startNginxCluster({ backends: n = 2, args = [] } = {}) {
  let lastErr;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const origin = `http://${HOST}:${port}`;
    const backends = [];
    try {
      for (let i = 0; i < n; i++) {
        // At the debug level: backendOfName reads the chat's names there.
        backends.push(await startServer('sio-server', ['--cors-origin', origin, '--trust-proxy', HOST,
          '--static', DEMO, '--client-dir', CLIENT_DIST, '--log-level', 'debug', ...args]));
      }
      const nginx = await startNginx(port, backends.map((b) => b.port));
      return cluster(nginx, backends);
    } catch (err) {
      lastErr = err;
      await Promise.all(backends.map((b) => b.stop()));
      if (!/Address already in use/.test(err.message)) throw err;
    }
  }
  throw lastErr;
}

function cluster(nginx, backends) {
  // sio-server logs "... info connect address=... socket=<id> sid=<sid>",
  // and at the debug level the chat's "... debug name socket=<id> name=<name>".
  async function backendOf(needle, ms = FIND_DEADLINE_MS) {
    const deadline = performance.now() + ms;
    for (;;) {
      const found = backends.findIndex((b) => b.output().includes(needle));
      if (found >= 0) return found;
      if (performance.now() > deadline) {
        throw new Error(`no backend logged the connection of ${needle} within ${ms} ms:\n` +
          backends.map((b, i) => `-- backend ${i}:\n${b.output()}`).join('\n'));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  async function stop() {
    const errors = [];
    await nginx.stop();
    for (const b of backends) {
      try { await stopChecked(b); } catch (err) { errors.push(err); }
    }
    if (errors.length) throw errors[0];
  }
  /** The output of nginx and every backend, for a failure's message. */
  const outputs = () => [`-- nginx:\n${nginx.output()}`,
    ...backends.map((b, i) => `-- backend ${i} (port ${b.port}):\n${b.output()}`)].join('\n');
  return {
    url: nginx.url,
    nginx,
    backends,
    backendOfSocket: (id) => backendOf(` socket=${id} sid=`),
    backendOfName: (name) => backendOf(` name=${name}\n`),
    outputs,
    stop,
  };
}
