// A node --test reporter for tools/run-tests.sh: one line per test file as
// it finishes ("ok" or "FAIL", its cases, its time), and after a failing
// file's line every failed case in full (its error, and what the file wrote
// to stdout and stderr). The TAP of the whole run goes to a log file through
// a second reporter; this one is for the person watching.
//
//   node --test --test-reporter=./tools/test-line-reporter.mjs \
//        --test-reporter-destination=stdout ...
//
import path from 'node:path';
import { inspect } from 'node:util';

const root = process.cwd();

function fileState() {
  return { pass: 0, fail: 0, skip: 0, todo: 0, failures: [], output: [], start: performance.now() };
}

function describeError(err) {
  if (!err) return '(no error recorded)';
  // node wraps a test's error in ERR_TEST_FAILURE; its cause is the real one.
  const real = err.code === 'ERR_TEST_FAILURE' && err.cause ? err.cause : err;
  return typeof real === 'object' ? inspect(real, { depth: 6, breakLength: 100 }) : String(real);
}

function indent(text, by = '    ') {
  return text.replace(/\n$/, '').split('\n').map((l) => by + l).join('\n');
}

export default async function* lineReporter(source) {
  const files = new Map();
  const state = (file) => {
    const key = file ?? '(no file)';
    if (!files.has(key)) files.set(key, fileState());
    return files.get(key);
  };
  for await (const ev of source) {
    const d = ev.data ?? {};
    switch (ev.type) {
      case 'test:dequeue':
        if (d.nesting === 0 && d.file && d.name === d.file) state(d.file).start = performance.now();
        break;
      case 'test:pass': {
        if (d.details?.type === 'suite') break; // a describe() block: not a case
        const s = state(d.file);
        if (d.skip) s.skip++;
        else if (d.todo) s.todo++;
        else s.pass++;
        break;
      }
      case 'test:fail': {
        if (d.details?.type === 'suite' && !d.details?.error?.cause) break;
        const s = state(d.file);
        if (d.todo) { s.todo++; break; }
        s.fail++;
        s.failures.push(`  not ok - ${d.name}\n${indent(describeError(d.details?.error))}`);
        break;
      }
      case 'test:stdout':
      case 'test:stderr':
        state(d.file).output.push(d.message);
        break;
      case 'test:complete':
        // The end of a file: node reports it as a test named by its path.
        if (d.nesting === 0 && d.file && d.name === d.file) {
          const s = state(d.file);
          const name = path.relative(root, d.file);
          const secs = ((d.details?.duration_ms ?? performance.now() - s.start) / 1000).toFixed(1);
          const bad = s.fail > 0 || d.details?.passed === false;
          const counts = [`${s.pass} passed`];
          if (s.fail) counts.push(`${s.fail} failed`);
          if (s.skip + s.todo) counts.push(`${s.skip + s.todo} skipped`);
          let line = `${bad ? 'FAIL' : 'ok  '} ${name.padEnd(44)} ${counts.join(', ')} (${secs} s)\n`;
          if (bad) {
            if (s.failures.length === 0) s.failures.push(`  the file failed: ${describeError(d.details?.error)}`);
            line += s.failures.join('\n') + '\n';
            if (s.output.length) line += `  output of ${name}:\n${indent(s.output.join(''))}\n`;
          }
          files.delete(d.file);
          yield line;
        }
        break;
      default:
        break;
    }
  }
}
