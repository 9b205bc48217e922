// sio-testserver --scenario: a file of steps played against a real
// socket.io-client 4; exit 0 when every step was met, 1 with a diff of what
// was expected against what the client did, 2 for a file it cannot use.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { buildDir, startServer, waitFor, withTimeout } from './support.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const scenario = (name) => path.join(HERE, 'scenarios', name);
const T = { timeout: 30000 };

it('a scenario that the client follows: exit 0', T, async () => {
  const srv = await startServer('sio-testserver', ['--scenario', scenario('pass.json')]);
  const s = io(srv.url, { forceNew: true, auth: { user: 'ann' }, reconnection: false });
  try {
    const welcome = waitFor(s, 'welcome');
    await waitFor(s, 'connect');
    assert.equal(await welcome, 'hi');
    assert.equal(await s.timeout(5000).emitWithAck('add', 1, 2), 3);
    const done = waitFor(s, 'done');
    s.emit('bytes', Buffer.from([1, 2, 3]));
    assert.deepEqual([...(await done)], [4, 5]);
    s.disconnect();
    const exit = await withTimeout(srv.exited, 10000, 'the scenario');
    assert.equal(exit.code, 0, srv.output());
    assert.match(srv.output(), /scenario .*pass\.json: all 7 steps met/);
    assert.doesNotMatch(srv.output(), /Sanitizer|runtime error:/);
  } finally {
    s.close();
    await srv.stop();
  }
});

it('a scenario that the client does not follow: exit 1 and a diff', T, async () => {
  const srv = await startServer('sio-testserver', ['--scenario', scenario('fail.json')]);
  const s = io(srv.url, { forceNew: true, reconnection: false });
  try {
    await waitFor(s, 'connect');
    s.emit('hello', { name: 'bob' });
    const exit = await withTimeout(srv.exited, 10000, 'the scenario');
    assert.equal(exit.code, 1, srv.output());
    const out = srv.output();
    assert.doesNotMatch(out, /Sanitizer|runtime error:/);
    assert.match(out, /step 2 of 3 was not met/);
    assert.match(out, /^--- expected \(step 2, within 1000 ms\)$/m);
    assert.match(out, /^- \{"event": ?"hello", ?"args": ?\[\{"name": ?"ann"\}\]\}$/m);
    assert.match(out, /^\+ \{"seq":2,.*"kind":"event",.*"event":"hello","args":\[\{"name":"bob"\}\]\}$/m);
    assert.doesNotMatch(out, /never-sent/);
  } finally {
    s.close();
    await srv.stop();
  }
});

it('a scenario file it cannot use: exit 2 and why', T, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sio-scenario-'));
  const cases = [
    ['not json', '{"steps": ['],
    ['no steps', '{}'],
    ['two commands in a step', '{"steps":[{"emit":{},"wait":{}}]}'],
    ['a bad timeout', '{"steps":[{"expect":{},"timeout_ms":-5}]}'],
  ];
  try {
    for (const [what, text] of cases) {
      const file = path.join(dir, 'bad.json');
      fs.writeFileSync(file, text);
      const r = await new Promise((resolve) => execFile(path.join(buildDir(), 'sio-testserver'),
        ['--port', '0', '--scenario', file], { timeout: 10000 }, (err, stdout, stderr) => resolve({ err, stderr })));
      assert.equal(r.err?.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, /scenario .*bad\.json: /, what);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
