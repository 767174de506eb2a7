import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_ALIASES, buildBundle, ESM_REQUIRE_BANNER, externalImports, inputGroup, median, PROJECT_ROOT, sizeByGroup, TARGET_BUNDLE_KB } from '../../bench/bundles.js';
import {
  completedCaseCounts,
  costOfCase,
  emailsOf,
  functionOf,
  lambdaGbSeconds,
  PRICES,
  requestUnits,
  TARGET_USD_PER_CASE,
  unitPrice,
  walkCompletedCase,
  type CaseCounts,
} from '../../bench/cost.js';

describe('cost model arithmetic', () => {
  const zero: CaseCounts = {
    label: 'zero',
    stateTransitions: 0,
    lambdas: [],
    dynamoWru: 0,
    dynamoRru: 0,
    emailRecipients: 0,
    emailMessages: 0,
    httpRequests: 0,
    sqsRequests: 0,
    logBytes: 0,
    xrayTraces: 0,
    secretsManagerCalls: 0,
  };
  const line = (counts: CaseCounts, service: string) => costOfCase(counts).lines.find((l) => l.service === service)!;

  it('prices each count at its published unit price', () => {
    expect(unitPrice(PRICES.sfnTransition)).toBeCloseTo(0.000025, 12);
    expect(line({ ...zero, stateTransitions: 1_000 }, 'Step Functions Standard').usd).toBeCloseTo(0.025, 12);
    expect(line({ ...zero, emailRecipients: 1_000 }, 'SES e-mails').usd).toBeCloseTo(0.1, 12);
    expect(line({ ...zero, dynamoWru: 1_000_000 }, 'DynamoDB writes (on-demand)').usd).toBeCloseTo(PRICES.dynamoWru.usd, 12);
    expect(line({ ...zero, dynamoRru: 1_000_000 }, 'DynamoDB reads (on-demand)').usd).toBeCloseTo(PRICES.dynamoRru.usd, 12);
    expect(line({ ...zero, httpRequests: 1_000_000 }, 'API Gateway HTTP API').usd).toBeCloseTo(PRICES.httpApiRequest.usd, 12);
    expect(line({ ...zero, logBytes: 1024 ** 3 }, 'CloudWatch Logs ingestion').usd).toBeCloseTo(PRICES.logsIngestGb.usd, 12);
  });

  it('bills Lambda per GB-second, with INIT and first-use time per cold start, and per request', () => {
    const fn = { name: 'f', invocations: 10, avgDurationMs: 100, memoryMb: 1024, coldStarts: 2, initMs: 500, coldExtraMs: 250 };
    // 10 × 0.1 s + 2 × 0.75 s = 2.5 s at 1 GB.
    expect(lambdaGbSeconds([fn])).toBeCloseTo(2.5, 12);
    expect(lambdaGbSeconds([{ ...fn, memoryMb: 512 }])).toBeCloseTo(1.25, 12);
    const cost = costOfCase({ ...zero, lambdas: [fn] });
    expect(cost.lines.find((l) => l.service === 'Lambda duration (arm64)')!.usd).toBeCloseTo(2.5 * 0.0000133334, 12);
    expect(cost.lines.find((l) => l.service === 'Lambda requests')!.usd).toBeCloseTo(10 * 0.0000002, 12);
  });

  it('totals the lines and compares with the target', () => {
    const cost = costOfCase({ ...zero, stateTransitions: 40, emailRecipients: 18 });
    expect(cost.totalUsd).toBeCloseTo(40 * 0.000025 + 18 * 0.0001, 12);
    expect(cost.totalUsd).toBeCloseTo(cost.lines.reduce((s, l) => s + l.usd, 0), 12);
    expect(cost.withinTarget).toBe(cost.totalUsd < TARGET_USD_PER_CASE);
    expect(costOfCase({ ...zero, emailRecipients: 100 }).withinTarget).toBe(false);
  });

  it('rounds DynamoDB request units up: 1 WRU per KB written (a case update also puts its timeline entry), 1 RRU per 4 KB read consistently', () => {
    const ops = { caseReads: 1, stepReads: 1, smallReads: 0, caseWrites: 1, stepWrites: 1, smallWrites: 2, queryKb: 0 };
    expect(requestUnits(ops, { caseKb: 6, stepKb: 1.5, smallKb: 0.5 })).toEqual({ rru: 2 + 1, wru: 6 + 1 + 2 + 2 });
  });
});

describe('counts of a completed case, from the ASL', () => {
  it('maps FunctionName substitutions to lambdas/<name>', () => {
    expect(functionOf('${RegisterCaseFunctionArn}')).toBe('register-case');
    expect(functionOf('${ChangeCollectionStatesFunctionArn}')).toBe('change-collection-states');
  });

  it('walks every state of the happy path, children and Parallel branches included', () => {
    for (const variant of ['WITH_MIGRATION', 'WITHOUT_MIGRATION'] as const) {
      const walk = walkCompletedCase(variant);
      expect(walk.childExecutions.map((c) => c.step)).toEqual(['CONFIRM_CONTACT', 'AGREE_VARIANT', 'NEW_COLLECTIONS', 'OLD_SD_DEACTIVATED', 'NEW_SD_FEEDING', 'MZT_DEACTIVATED', 'VERIFY_COLLECTIONS']);
      expect(walk.childTransitions).toBe(14); // Request confirmation → Return response, 7 times
      expect(walk.parentTransitions).toBe(27);
      expect(walk.path.at(-1)).toBe('Case completed');
      expect(walk.path).toContain(variant === 'WITH_MIGRATION' ? '3d Archive old collections' : '4d Close old collections');
    }
  });

  it('adds a verification round and a correction of feeding per failed verification', () => {
    const walk = walkCompletedCase('WITH_MIGRATION', 2);
    expect(walk.childExecutions.filter((c) => c.step === 'VERIFY_COLLECTIONS').map((c) => c.round)).toEqual([1, 2, 3]);
    expect(walk.childExecutions.filter((c) => c.step === 'NEW_SD_FEEDING').map((c) => c.round)).toEqual([1, 2, 3]);
    // Per round: the parent's Next round, Correct feeding, Record corrected feeding, Verify, Record verification and
    // the Choice again (6), plus two children of 2 states each.
    expect(walk.parentTransitions + walk.childTransitions).toBe(41 + 2 * (6 + 4));
  });

  it('sends exactly the e-mails the end-to-end test expects per participant', () => {
    // test/e2e/procedure.test.ts (WITH data migration): JST 7, MRPiPS 6, voivodeship administrator 1.
    const { emails, counts } = completedCaseCounts('WITH_MIGRATION');
    const to = (role: string) => emails.filter((e) => e.to === role).length;
    expect([to('JST'), to('MRPIPS'), to('VOIVODESHIP_ADMIN')]).toEqual([7, 6, 1]);
    // Supplier in copy of the informational notices (the new codes, the outcome); told of both step-b requests in
    // messages of its own (the JST's carry a link that acts).
    expect(emails.filter((e) => e.ccSupplier).map((e) => e.what)).toEqual(['new collection codes', 'case completed']);
    expect(emails.filter((e) => e.supplierInformed).map((e) => e.what)).toEqual(['OLD_SD_DEACTIVATED request', 'NEW_SD_FEEDING request']);
    expect(counts.emailMessages).toBe(16);
    expect(counts.emailRecipients).toBe(18);
    const withoutSupplier = completedCaseCounts('WITH_MIGRATION', { assumptions: { supplierContact: false } }).counts;
    expect([withoutSupplier.emailMessages, withoutSupplier.emailRecipients]).toEqual([14, 14]);
    expect(emailsOf({ fn: 'send-notice', state: 'd Escalate verification', payload: { notice: 'VERIFICATION_ESCALATED' } })).toHaveLength(2);
  });

  it('stays under the target per completed case with the default assumptions', () => {
    for (const variant of ['WITH_MIGRATION', 'WITHOUT_MIGRATION'] as const) {
      const { counts } = completedCaseCounts(variant);
      expect(counts.httpRequests).toBe(2 + 14 + 3);
      // (+ send-email, one invocation per message at its dearest)
      expect(counts.lambdas.reduce((s, l) => s + l.invocations, 0)).toBe(1 + 7 + 7 + 2 + 1 + 2 + 14 + 3 + 16);
      const cost = costOfCase(counts);
      expect(cost.totalUsd).toBeGreaterThan(0.002);
      expect(cost.totalUsd).toBeLessThan(TARGET_USD_PER_CASE);
    }
  });
});

describe('bundles', () => {
  let dir: string;
  beforeAll(async () => {
    const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
    await mkdir(cache, { recursive: true });
    dir = await mkdtemp(join(cache, 'bench-bundles-test-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('groups metafile inputs by package and project folder', () => {
    expect(inputGroup('node_modules/zod/v4/locales/he.js')).toBe('zod');
    expect(inputGroup('node_modules/@aws-sdk/client-ses/dist-es/index.js')).toBe('@aws-sdk/client-ses');
    expect(inputGroup('node_modules/@smithy/core/dist-es/index.js')).toBe('@smithy/*');
    expect(inputGroup('lambdas/core/steps.ts')).toBe('lambdas/core');
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('builds as ProcedureFunction does (same banner and aliases)', async () => {
    const deployed = await import('../../lib/procedure-function.js');
    expect(ESM_REQUIRE_BANNER).toBe(deployed.ESM_REQUIRE_BANNER);
    expect(BUNDLE_ALIASES).toEqual(deployed.BUNDLE_ALIASES);
  }, 60_000);

  it('bundles the AWS SDK into the deployed register-case, without the default credential chain', async () => {
    const built = await buildBundle('deployed', join(PROJECT_ROOT, 'lambdas', 'register-case', 'index.ts'), join(dir, 'deployed'));
    expect(externalImports(built.metafile)).toEqual([]);
    expect(built.mapBytes).toBeGreaterThan(0);
    const groups = sizeByGroup(built.metafile).map((g) => g.group);
    expect(groups).toEqual(expect.arrayContaining(['@aws-sdk/client-dynamodb', '@aws-sdk/credential-provider-env', '@smithy/*', 'zod']));
    // The chain's links and the STS/SSO clients they use (about 140 KB of this bundle without the alias).
    const inputs = Object.keys(built.metafile.inputs);
    expect(inputs.filter((p) => /@aws-sdk\/(credential-provider-(node|ini|sso|process|web-identity|http|login)|nested-clients|token-providers)\/|credential-provider-imds/.test(p))).toEqual([]);
  }, 20_000);

  it('with the AWS SDK external, the project code and zod alone stay under the 250 KB target', async () => {
    const built = await buildBundle('external', join(PROJECT_ROOT, 'lambdas', 'register-case', 'index.ts'), join(dir, 'external'));
    expect(externalImports(built.metafile).length).toBeGreaterThan(0);
    expect(externalImports(built.metafile).every((p) => p.startsWith('@aws-sdk/'))).toBe(true);
    expect(built.bytes / 1024).toBeLessThan(TARGET_BUNDLE_KB);
  }, 20_000);

  it('the deployed record-failure bundle runs in a bare node: validation, DynamoDB calls with the environment credentials, an EMF metric line', async () => {
    // A stand-in for DynamoDB: the conditional update of ZSD-2026-00042 fails and the case is not found (an
    // unregistered case); ZSD-2026-00043 is updated.
    const requests: { target: string; authorization: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        const target = String(req.headers['x-amz-target']);
        requests.push({ target, authorization: String(req.headers.authorization) });
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        if (target.endsWith('.UpdateItem') && body.includes('CASE#ZSD-2026-00042')) {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' }));
        } else res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const built = await buildBundle('deployed', join(PROJECT_ROOT, 'lambdas', 'record-failure', 'index.ts'), join(dir, 'record-failure'));
      const script = `
        const { handler } = await import(process.argv[1]);
        const bad = await handler({ caseId: 'nope' }).then(() => 'accepted', (e) => e.name);
        const good = await handler({ caseId: 'ZSD-2026-00042', step: 'PROCEDURE', round: 0, failure: { Error: 'X', Cause: 'y' } });
        await handler({ caseId: 'ZSD-2026-00043', step: 'PROCEDURE', round: 0, failure: { Error: 'X', Cause: 'z' } });
        process.stdout.write('\\n' + JSON.stringify({ bad, good }));
      `;
      // Only what Lambda sets: no profile or shared config for the SDK to fall back on.
      const env = {
        PATH: process.env.PATH,
        NODE_OPTIONS: '--enable-source-maps',
        AWS_REGION: 'eu-central-1',
        AWS_ACCESS_KEY_ID: 'AKIDBUNDLETEST',
        AWS_SECRET_ACCESS_KEY: 'secret',
        AWS_SESSION_TOKEN: 'token',
        AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        TABLE_NAME: 'cases',
        LOG_LEVEL: 'ERROR',
        POWERTOOLS_METRICS_NAMESPACE: 'ZmianaSD',
        POWERTOOLS_SERVICE_NAME: 'SupplierChangeStack',
      };
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, pathToFileURL(built.file).href], { env, cwd: dir, timeout: 30_000 });
      const lines = stdout.trim().split('\n').filter(Boolean);
      expect(JSON.parse(lines.at(-1)!)).toEqual({ bad: 'ValidationError', good: { reason: 'X: y' } });
      // Only the case that was marked FAILED is counted, as CloudWatch reads an embedded-metric-format line.
      expect(lines.slice(0, -1).map((line) => JSON.parse(line) as Record<string, any>)).toEqual([
        expect.objectContaining({ _aws: expect.objectContaining({ CloudWatchMetrics: [{ Namespace: 'ZmianaSD', Dimensions: [['service']], Metrics: [{ Name: 'CaseFailed', Unit: 'Count' }] }] }), service: 'SupplierChangeStack', CaseFailed: 1 }),
      ]);
      // Each: the steps and incidents still holding a task token (none), then
      // 00042: the refused update, the read that finds no case, its waiting incidents closed (none);
      // 00043: the update, its timeline entry, its waiting incidents closed (none).
      const [update, get, query, put] = ['UpdateItem', 'GetItem', 'Query', 'PutItem'].map((op) => `DynamoDB_20120810.${op}`);
      expect(requests.map((r) => r.target)).toEqual([query, query, update, get, query, query, query, update, put, query]);
      expect(requests.every((r) => r.authorization.startsWith('AWS4-HMAC-SHA256 Credential=AKIDBUNDLETEST/'))).toBe(true);
    } finally {
      server.close();
    }
  }, 30_000);
});
