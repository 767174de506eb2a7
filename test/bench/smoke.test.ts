import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { InboxIndex } from '../../bench/wave/inbox.js';
import { parseBenchArgs } from '../../bench/wave/options.js';
import { renderSvg } from '../../bench/wave/report.js';
import { runWave } from '../../bench/wave/wave.js';
import { completedCaseCounts } from '../../bench/cost.js';

describe('npm run bench (national wave), smoke', () => {
  it('plays 5 cases over HTTP with zero errors and a well-formed result, the handlers in a worker thread', async () => {
    const result = await runWave({ cases: 5, concurrency: 5, timeoutMs: 15_000, lambdaWorkers: 1, log: () => undefined });
    expect(result.errors).toEqual([]);
    expect(result.casesCompleted).toBe(5);
    expect(result.variants).toEqual({ WITH_MIGRATION: 3, WITHOUT_MIGRATION: 2 });
    expect(result.voivodeships).toBe(5);
    expect(result.executionsStarted).toBeGreaterThanOrEqual(5 * 8);
    expect(result.stateTransitions).toBeGreaterThan(0);
    expect(result.stateTransitionsPerSecond).toBeGreaterThan(0);
    expect(result.casesPerSecond).toBeGreaterThan(0);
    expect(result.peakRssBytes).toBeGreaterThanOrEqual(result.rssBeforeBytes);
    // The stand-ins run in processes of their own, and their memory is counted.
    expect(result.peakRssByProcessBytes.dynamodb).toBeGreaterThan(0);
    expect(result.peakRssByProcessBytes.ses).toBeGreaterThan(0);
    expect(result.caseDurationMs.count).toBe(5);
    expect(result.cpuMsPerCase.stack).toBeGreaterThan(0);
    // The cost of a case from what the run counted: the counts agree with the model's walk of the ASL files.
    const counted = result.costPerCase!.counted;
    const walked = (['WITH_MIGRATION', 'WITH_MIGRATION', 'WITH_MIGRATION', 'WITHOUT_MIGRATION', 'WITHOUT_MIGRATION'] as const).map((v) => completedCaseCounts(v).counts);
    expect(counted.stateTransitions).toBeCloseTo(walked.reduce((sum, c) => sum + c.stateTransitions, 0) / 5, 5);
    expect(counted.emailMessages).toBe(16);
    expect(counted.emailRecipients).toBeCloseTo(walked.reduce((sum, c) => sum + c.emailRecipients, 0) / 5, 5);
    // The form's page (its token) and POST, and the page and the answer of each of the 7 steps.
    expect(counted.httpRequests).toBe(16);
    expect(counted.invocations['confirmation-links']).toBe(14);
    expect(result.dynamodb.writeUnits).toBeGreaterThanOrEqual(result.dynamodb.writes);
    expect(result.dynamodb.readUnits).toBeGreaterThan(0);
    expect(result.costPerCase!.cost.totalUsd).toBeGreaterThan(0);
    expect(result.cpuMsPerCase.dynamodb).toBeGreaterThan(0);
    // Every Lambda task ran (in the worker thread; the local Step Functions service counts the invocations).
    expect(result.lambdaInvocations['request-confirmation']).toBe(5 * 7);
    // Six hand-overs per case: contact→variant, variant→codes, codes→deactivation, deactivation→b+c, b+c→verify, verify→completed.
    expect(result.handoverLatencyMs.count).toBe(30);
    expect(Object.keys(result.handoverLatencyByStepMs)).toHaveLength(6);
    const p = result.handoverLatencyMs;
    expect(p.p50).toBeLessThanOrEqual(p.p95);
    expect(p.p95).toBeLessThanOrEqual(p.p99);
    expect(p.p99).toBeLessThanOrEqual(p.max);
    const svg = renderSvg(result);
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(30);
  }, 20_000);

  it('validates its options with clear messages', () => {
    expect(parseBenchArgs([])).toMatchObject({ cases: 2791, concurrency: 2791 });
    expect(parseBenchArgs(['--quick'])).toMatchObject({ cases: 50, concurrency: 50 });
    expect(parseBenchArgs(['--cases', '300', '--concurrency=100'])).toMatchObject({ cases: 300, concurrency: 100 });
    expect(() => parseBenchArgs(['--cases', 'abc'])).toThrow('--cases must be a number');
    expect(() => parseBenchArgs(['--cases', '0'])).toThrow('--cases must be at least 1');
    expect(() => parseBenchArgs(['--cases'])).toThrow('--cases needs a value');
    expect(() => parseBenchArgs(['--quick', '--cases', '10'])).toThrow('mutually exclusive');
    expect(() => parseBenchArgs(['--fast'])).toThrow('unknown option "--fast"');
    expect(parseBenchArgs(['--lambda-workers', '0'])).toMatchObject({ lambdaWorkers: 0 });
    expect(() => parseBenchArgs(['--lambda-workers', '-1'])).toThrow('--lambda-workers must be at least 0');
    // A sending quota: participants wait up to 2 h for an e-mail unless told otherwise.
    expect(parseBenchArgs(['--ses-rate', '14'])).toMatchObject({ sesRate: 14, timeoutMs: 7_200_000 });
    expect(parseBenchArgs(['--ses-rate', '14', '--timeout-ms', '60000'])).toMatchObject({ sesRate: 14, timeoutMs: 60_000 });
    expect(parseBenchArgs([])).not.toHaveProperty('sesRate');
    expect(() => parseBenchArgs(['--ses-rate', '0'])).toThrow('--ses-rate must be more than 0');
  });
});

describe("the wave's inbox index", () => {
  it('keeps two e-mails that share a message id (the SES stand-in draws ids from 9 digits) and polls with ?since', async () => {
    const email = (subject: string, to: string, at: number) => ({ messageId: 'ses-123456789', from: 'x@y.pl', destination: { to: [to], cc: [], bcc: [] }, subject, body: { text: 'x' }, at });
    const store = [email('[ZSD-2026-00001] A: Uzgodnienie trybu', 'a@b.pl', 100), email('[ZSD-2026-00002] B: Deaktywacja — potwierdzono', 'a@b.pl', 101)];
    const queries: string[] = [];
    const server = createServer((req, res) => {
      const since = Number(new URL(req.url!, 'http://x').searchParams.get('since'));
      queries.push(String(since));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ templates: [], emails: store.filter((e) => e.at >= since) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const inbox = new InboxIndex(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      await inbox.pollOnce();
      await inbox.pollOnce();
      expect(inbox.emailsSeen).toBe(2);
      expect(queries).toEqual(['0', '101']);
      expect((await inbox.take('a@b.pl', 'ZSD-2026-00002', ['potwierdzono'], 100)).subject).toContain('B:');
      expect((await inbox.take('a@b.pl', 'ZSD-2026-00001', ['Uzgodnienie'], 100)).subject).toContain('A:');
      await expect(inbox.take('a@b.pl', 'ZSD-2026-00001', ['Uzgodnienie'], 50)).rejects.toThrow('no e-mail to a@b.pl for ZSD-2026-00001');
    } finally {
      server.close();
    }
  });
});
