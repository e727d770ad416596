import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { connectionOptions, parseQueueUrl, reconnectMs, RECONNECT_ENV } from '../../src/queue/connection.js';
import { tmp } from '../lab/helpers.js';
import { freePort, SLOW, startNormkit } from './helpers.js';

test('parseQueueUrl accepts redis://HOST:PORT[/DB] with defaults, credentials and IPv6', () => {
  assert.deepEqual(parseQueueUrl('redis://127.0.0.1:6380/2'), { display: 'redis://127.0.0.1:6380/2', host: '127.0.0.1', port: 6380, db: 2 });
  assert.deepEqual(parseQueueUrl('redis://redis'), { display: 'redis://redis:6379/0', host: 'redis', port: 6379, db: 0 });
  assert.deepEqual(parseQueueUrl('redis://redis:6379/'), { display: 'redis://redis:6379/0', host: 'redis', port: 6379, db: 0 });
  const auth = parseQueueUrl('redis://lab:p%40ss@q.example:7000/1');
  assert.equal(auth.username, 'lab');
  assert.equal(auth.password, 'p@ss');
  assert.equal(auth.display, 'redis://lab:***@q.example:7000/1', 'the password never appears in messages');
  assert.equal(parseQueueUrl('redis://:secret@h:1').display, 'redis://:***@h:1/0');
  const v6 = parseQueueUrl('redis://[::1]:6390/3');
  assert.equal(v6.host, '::1');
  assert.equal(v6.display, 'redis://[::1]:6390/3');
});

test('parseQueueUrl rejects malformed URLs, quoting them (password hidden)', () => {
  const bad: [string, RegExp][] = [
    ['localhost:6379', /queue URL "localhost:6379" has scheme "localhost:"; expected redis:\/\/HOST:PORT\[\/DB\]/],
    ['not a url', /queue URL "not a url" is not a URL/],
    ['http://h:6379', /"http:\/\/h:6379" has scheme "http:"/],
    ['rediss://h:6379', /TLS is not supported/],
    ['redis://h:6379/zero', /database must be a number, got "zero"/],
    ['redis://h:6379/1/2', /database must be a number, got "1\/2"/],
    ['redis://h:99999', /is not a URL/],
    ['redis://h:0', /port 0/],
    ['redis://:hunter2@h:1/0?tls=1', /"redis:\/\/:\*\*\*@h:1\/0\?tls=1" has a query or fragment \("\?tls=1"\)/],
  ];
  for (const [url, re] of bad) assert.throws(() => parseQueueUrl(url), re, url);
  assert.throws(() => parseQueueUrl('redis://:hunter2@h:1/0?x'), (e: Error) => !e.message.includes('hunter2'));
});

test('the reconnect window comes from NORMKIT_QUEUE_RECONNECT_MS, checked; retries stop after it', () => {
  const saved = process.env[RECONNECT_ENV];
  try {
    delete process.env[RECONNECT_ENV];
    assert.equal(reconnectMs(10_000), 10_000);
    process.env[RECONNECT_ENV] = '2500';
    assert.equal(reconnectMs(10_000), 2500);
    process.env[RECONNECT_ENV] = 'soon';
    assert.throws(() => reconnectMs(10_000), /NORMKIT_QUEUE_RECONNECT_MS must be a number of milliseconds, got "soon"/);
  } finally {
    if (saved === undefined) delete process.env[RECONNECT_ENV];
    else process.env[RECONNECT_ENV] = saved;
  }
  let gaveUp = 0;
  const o = connectionOptions(parseQueueUrl('redis://h:1'), 1000, () => gaveUp++);
  const retry = o.retryStrategy as (times: number) => number | null;
  // 100 + 200 + 300 + 400 = 1000 ms waited before the 4th retry; the 5th would exceed the window
  assert.deepEqual([1, 2, 3, 4].map(retry), [100, 200, 300, 400]);
  assert.equal(gaveUp, 0);
  assert.equal(retry(5), null);
  assert.equal(gaveUp, 1);
});

test('the CLI refuses a malformed queue URL before doing anything, and names an unreachable one', async () => {
  const out = tmp('queue-bad');
  const m = await startNormkit(['run', 'queue-slow', '--profile', 'smoke', '--out', out, '--queue', 'redis//127.0.0.1:6379'], { NORMKIT_EXTRA_EXPERIMENTS: SLOW }).done;
  assert.notEqual(m.code, 0);
  assert.match(m.out, /queue URL "redis\/\/127\.0\.0\.1:6379" is not a URL/);
  const w = await startNormkit(['worker', '--queue', 'redis://127.0.0.1:6379/db1']).done;
  assert.notEqual(w.code, 0);
  assert.match(w.out, /database must be a number, got "db1"/);
  assert.ok(!existsSync(join(out, 'study.json')));

  // nothing listens on a port just released: refused at once, retried for the window, then a clear error
  const port = await freePort();
  const env = { NORMKIT_EXTRA_EXPERIMENTS: SLOW, [RECONNECT_ENV]: '800' };
  const [c, wk] = await Promise.all([
    startNormkit(['run', 'queue-slow', '--profile', 'smoke', '--out', out, '--queue', `redis://127.0.0.1:${port}/4`, '--no-progress'], env).done,
    startNormkit(['worker', '--queue', `redis://127.0.0.1:${port}`], env).done,
  ]);
  assert.equal(c.code, 1, c.out);
  assert.match(c.out, new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/4 \\(last error: connect ECONNREFUSED`));
  assert.doesNotMatch(c.out, /at .*\.js:\d+/, 'no stack trace');
  assert.equal(wk.code, 1, wk.out);
  assert.match(wk.out, new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}/0`));
  assert.ok(!existsSync(join(out, 'runs')), 'no run was stored');
});
