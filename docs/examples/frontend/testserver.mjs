// Starts sio-testserver for a test and talks to its control API.
//
//   const ts = await startTestServer(['--cors-origin', 'http://127.0.0.1:5173']);
//   await ts.control('on-event', { event: 'send', ack: [{ id: 1 }] });
//   const entry = await ts.control('wait', { event: 'send' });
//   await ts.stop();
//
// The binary is $SIO_TESTSERVER, else $SIO_BUILD_DIR/sio-testserver, else
// build/sio-testserver.
import { spawn } from 'node:child_process';
import path from 'node:path';

export function testServerPath() {
  return process.env.SIO_TESTSERVER || path.join(process.env.SIO_BUILD_DIR || 'build', 'sio-testserver');
}

/**
 * Spawns sio-testserver on free ports (args are added to the command line)
 * and resolves once both are open: { url, controlUrl, control(command,
 * body), output(), exited, stop() }. `exited` resolves with the exit code.
 */
export async function startTestServer(args = [], { control = true } = {}) {
  const argv = ['--port', '0', ...(control ? ['--control-port', '0'] : []), ...args];
  const proc = spawn(testServerPath(), argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  let out = '';
  const exited = new Promise((resolve) => proc.on('exit', (code) => resolve(code)));
  const ready = new Promise((resolve, reject) => {
    proc.stderr.on('data', (chunk) => {
      out += chunk;
      const port = /listening on port (\d+)/.exec(out);
      const ctl = /control API on (http:\/\/\S+)\//.exec(out);
      if (port && (ctl || !control)) resolve({ port: port[1], controlUrl: ctl && ctl[1] });
    });
    exited.then((code) => reject(new Error(`sio-testserver exited (${code}) before it listened:\n${out}`)));
  });
  const { port, controlUrl } = await ready;
  return {
    url: `http://127.0.0.1:${port}`,
    controlUrl,
    output: () => out,
    exited,
    /** POSTs a command; resolves with its JSON answer, rejects on an error status. */
    async control(command, body = {}) {
      const res = await fetch(`${controlUrl}/${command}`, { method: 'POST', body: JSON.stringify(body) });
      const json = await res.json();
      if (!res.ok) throw new Error(`${command}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    },
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      return exited;
    },
  };
}
