import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Collector } from '../../src/collectors/collector.js';
import { gauge, sample } from '../../src/exposition/family.js';
import { silentLogger } from '../../src/log.js';
import type { Collection } from '../../src/scrape/load-snapshot.js';
import { EarlyCollectors } from '../../src/scrape/early-collectors.js';
import { Scraper } from '../../src/scrape/scraper.js';
import { fixedSettings } from '../../src/scrape/settings-source.js';
import { type Part, type PartName, partValue, type Snapshot } from '../../src/snapshot.js';
import { defaultSettings } from '../support/settings.js';

const TIME = 1_800_000_000;

/** A collection whose parts the test hands over one at a time; `tells` says whether it reports each part. */
function stagedCollection(tells: boolean) {
  const parts: Partial<Record<PartName, Part<unknown>>> = {};
  const listeners: ((soFar: Snapshot) => void)[] = [];
  let finish: (snapshot: Snapshot) => void = () => undefined;
  const done = new Promise<Snapshot>((resolve) => {
    finish = resolve;
  });
  const view = (version: string): Snapshot => ({ time: TIME, dispatcharrVersion: version, parts: { ...parts } as Snapshot['parts'] });
  const collection: Collection = {
    done,
    partial: () => view('unknown'),
    ...(tells && {
      onPart(listener: (soFar: Snapshot) => void) {
        listeners.push(listener);
      },
    }),
  };
  return {
    collection,
    read(name: PartName, value: unknown) {
      parts[name] = { ok: true, value, seconds: 0.01 };
      for (const listener of listeners) listener(view('unknown'));
    },
    finish: () => finish(view('0.29.0')),
  };
}

/** Collectors that count their runs: one per part, and one that needs none and reports the version. */
function countingCollectors() {
  const runs = { accounts: 0, programmes: 0, version: 0, rows: 0 };
  const collectors: Collector[] = [
    {
      name: 'version',
      needs: [],
      collect(snapshot) {
        runs.version++;
        return [gauge('test_version', 'version', [sample(1, { version: snapshot.dispatcharrVersion })])];
      },
    },
    {
      name: 'accounts',
      needs: ['m3uAccounts'],
      collect(snapshot) {
        runs.accounts++;
        return [gauge('test_accounts', 'accounts', [sample(partValue(snapshot, 'm3uAccounts').length)])];
      },
    },
    {
      name: 'rows',
      needs: ['m3uAccounts'],
      collect(snapshot) {
        runs.rows++;
        const accounts = partValue(snapshot, 'm3uAccounts');
        return [
          gauge(
            'test_account_row',
            'one line per account',
            accounts.map((_, i) => sample(i, { account: `a${i}` })),
          ),
        ];
      },
    },
    {
      name: 'programmes',
      needs: ['programmes'],
      collect(snapshot) {
        runs.programmes++;
        return [gauge('test_programmes', 'programmes', [sample(partValue(snapshot, 'programmes').length)])];
      },
    },
  ];
  return { runs, collectors };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function scrapeStaged(tells: boolean, as: 'text' | 'gzip body' = 'text', accounts = 2) {
  const staged = stagedCollection(tells);
  const { runs, collectors } = countingCollectors();
  const scraper = new Scraper({
    collectors,
    collect: () => staged.collection,
    settings: fixedSettings(defaultSettings()),
    logger: silentLogger,
    collectionSeconds: 10,
  });
  const answer =
    as === 'text'
      ? scraper.scrape(Date.now() + 10_000)
      : scraper.body(Date.now() + 10_000, { gzip: true }).then((body) => {
          const text = Buffer.concat(body.chunks).toString('utf8');
          body.release();
          return text;
        });
  await nextTurn();
  staged.read(
    'm3uAccounts',
    Array.from({ length: accounts }, () => ({})),
  );
  // Turns enough for the families of the collectors run early to be rendered ahead.
  for (let turn = 0; turn < 5; turn++) await nextTurn();
  await nextTurn();
  const beforeProgrammes = { ...runs };
  staged.read('programmes', [{}]);
  staged.finish();
  const text = await answer;
  return { text, beforeProgrammes, runs };
}

test('a collector runs as soon as its parts are read, once, and the output is the same as when it runs at the end', async () => {
  const early = await scrapeStaged(true);
  assert.deepEqual(early.beforeProgrammes, { accounts: 1, programmes: 0, version: 0, rows: 1 });
  assert.deepEqual(early.runs, { accounts: 1, programmes: 1, version: 1, rows: 1 });

  const late = await scrapeStaged(false);
  assert.deepEqual(late.beforeProgrammes, { accounts: 0, programmes: 0, version: 0, rows: 0 });
  assert.deepEqual(late.runs, { accounts: 1, programmes: 1, version: 1, rows: 1 });

  // The same families and outcomes (durations and the process families aside); the collector that needs no part saw
  // the version, known only at the end.
  const collected = (text: string) => text.split('\n').filter((line) => /^(test_|dispatcharr_exporter_collector_success)/.test(line));
  assert.deepEqual(collected(early.text), collected(late.text));
  assert.equal(collected(early.text).length, 10); // four families (five lines), success of the four and of process
  assert.match(early.text, /^test_version\{version="0\.29\.0"\} 1$/m);
  assert.match(early.text, /^test_accounts 2$/m);
  assert.match(early.text, /^test_programmes 1$/m);
});

test('a gzip body with families rendered while the snapshot was read has the lines of one rendered at the end', async () => {
  const collected = (text: string) => text.split('\n').filter((line) => /^(test_|dispatcharr_exporter_collector_success)/.test(line));
  // 600 accounts: the rows collector's family is large enough to be rendered ahead, the accounts one is not.
  const early = await scrapeStaged(true, 'gzip body', 600);
  assert.deepEqual(early.beforeProgrammes, { accounts: 1, programmes: 0, version: 0, rows: 1 });
  const late = collected((await scrapeStaged(false, 'gzip body', 600)).text);
  assert.equal(late.length, 608); // 603 lines of four families, success of the four and of process
  assert.deepEqual(collected(early.text), late);
});

test('only a collector with at least 512 lines is rendered ahead, in full, and handed to one rendering', async () => {
  const { collectors } = countingCollectors();
  for (const [accounts, rendered] of [
    [600, ['test_account_row']], // 600 rows; the accounts count is one line
    [2, []],
  ] as const) {
    const early = new EarlyCollectors(collectors, defaultSettings(), silentLogger);
    const parts: Partial<Record<PartName, Part<unknown>>> = {
      m3uAccounts: { ok: true, value: Array.from({ length: accounts }, () => ({})), seconds: 0.01 },
    };
    early.partRead({ time: TIME, dispatcharrVersion: 'unknown', parts: parts as Snapshot['parts'] });
    // One turn to run the collectors, two for the slices of 512 and 88 lines, one to find nothing left.
    for (let turn = 0; turn < 4; turn++) await nextTurn();
    const ahead = early.ahead();
    assert.deepEqual(
      ahead?.parts.map((part) => part.families.map((family) => family.name)),
      rendered.map((name) => [name]),
    );
    assert.ok(ahead?.parts.every((part) => !part.step())); // nothing left to render
    assert.equal(early.ahead(), undefined);
    for (const part of ahead?.parts ?? []) part.release();
  }
});
