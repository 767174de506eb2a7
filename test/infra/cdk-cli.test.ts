import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { placeholderAdminEmail, VOIVODESHIP_CODES } from '../../lib/config.js';
import { PROJECT_ROOT } from '../../lib/paths.js';
import { ESM_REQUIRE_BANNER } from '../../lib/procedure-function.js';
import { ACTION_NAMES } from '../../lib/procedure-functions.js';
import type { CfnTemplate } from './synth.js';

const outdirs: string[] = [];
const tempOutdir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-cdk-'));
  outdirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const run = (command: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(command, args, {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', ...env },
  });

describe('cdk CLI', () => {
  it('`cdk synth --quiet -c nag=true -c allowPlaceholderAddresses=true` succeeds offline (cdk-nag clean), warns loudly of the placeholders, and bundles every function as ESM with the AWS SDK inside', { timeout: 150_000 }, () => {
    // GIVEN
    const outdir = tempOutdir();
    // WHEN (nag=true registers cdk-nag's AwsSolutions pack in bin/app.ts: any unacknowledged finding fails the synth)
    const result = run('npx', ['cdk', 'synth', '--quiet', '-c', 'nag=true', '-c', 'allowPlaceholderAddresses=true', '--output', outdir]);
    // THEN
    expect(result.error).toBeUndefined();
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toContain('DO NOT DEPLOY THIS SYNTH');
    expect(result.stderr).toMatch(/Placeholders: senderEmail \(address no-reply@zmiana-sd\.example\.gov\.pl\); voivodeshipAdmins/);
    const template = JSON.parse(readFileSync(join(outdir, 'SupplierChangeStack.template.json'), 'utf8')) as CfnTemplate;
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(ACTION_NAMES.length);
    for (const fn of functions) {
      const assetHash = String(fn.Properties!.Code.S3Key).replace(/\.zip$/, '');
      const bundle = readFileSync(join(outdir, `asset.${assetHash}`, 'index.mjs'), 'utf8');
      expect(bundle.startsWith(ESM_REQUIRE_BANNER)).toBe(true);
      expect(existsSync(join(outdir, `asset.${assetHash}`, 'index.mjs.map'))).toBe(true);
      // The SDK is bundled (every function uses DynamoDB), with the environment credentials in place of the
      // default chain (BUNDLE_ALIASES): nothing is imported from the runtime's packages.
      expect(bundle).not.toMatch(/from\s*"@(aws-sdk|smithy)\//);
      expect(bundle).toMatch(/"DynamoDBServiceException"/);
      expect(bundle).toContain('Unable to find environment variable credentials.');
      expect(bundle).not.toContain('defaultProvider::fromSSO');
    }
  });

  it('`cdk synth` with cdk.json\'s context refuses placeholder addresses, naming each key (and the voivodeships) in one error', { timeout: 60_000 }, () => {
    // GIVEN the default sender, two voivodeships' placeholders and an ops alert address on a reserved domain
    const outdir = tempOutdir();
    const admins = Object.fromEntries(VOIVODESHIP_CODES.map((code) => [code, ['02', '32'].includes(code) ? placeholderAdminEmail(code) : `mzt.${code}@uw.gov.pl`]));
    // WHEN
    const result = run('npx', ['cdk', 'synth', '--quiet', '-c', `voivodeshipAdmins=${JSON.stringify(admins)}`, '-c', 'opsAlertEmail=dyzur@ops.test', '--output', outdir]);
    // THEN
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      [
        'Invalid CDK context:',
        '  - context "senderEmail": placeholder address no-reply@zmiana-sd.example.gov.pl',
        '  - context "voivodeshipAdmins": placeholder addresses for voivodeships 02, 32',
        '  - context "opsAlertEmail": placeholder address dyzur@ops.test',
        'Placeholder addresses, on domains reserved for examples and tests',
      ].join('\n'),
    );
    expect(result.stderr).toContain('-c allowPlaceholderAddresses=true');
    expect(existsSync(join(outdir, 'SupplierChangeStack.template.json'))).toBe(false);
  });

  it('bin/app.ts rejects bad context with a message naming the key', { timeout: 60_000 }, () => {
    // GIVEN context as the CLI hands it to the app
    const context = {
      responseTimeoutDays: 'seven',
      voivodeshipAdmins: '{"02":"adm@uw.gov.pl"}',
      notificationsPerHourPerIp: '0',
      stalledWaitDays: '365',
      reminderSchedule: '{"MZT_DEACTIVATED":{"responseTimeoutSeconds":0}}',
    };
    // WHEN
    const result = run('npx', ['tsx', 'bin/app.ts'], { CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: tempOutdir() });
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid CDK context');
    expect(result.stderr).toContain('context "responseTimeoutDays": must be a number');
    expect(result.stderr).toContain('context "voivodeshipAdmins" (at 04): is missing');
    expect(result.stderr).toContain('context "notificationsPerHourPerIp": must be at least 1');
    expect(result.stderr).toContain('context "stalledWaitDays": must be at most 200');
    expect(result.stderr).toContain('context "reminderSchedule" (at MZT_DEACTIVATED.responseTimeoutSeconds): must be at least 1');
  });
});
