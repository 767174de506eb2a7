import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localConfig } from '../../local/config.js';
import { IAM_CHECK_ENV, type IamCheckRecord } from '../../local/iam/check.js';
import { KEPT_GRANTS } from '../../local/iam/kept-grants.js';
import { resolvePolicies, unusedGrants, type PolicyTemplate } from '../../local/iam/policies.js';
import { policyTemplateOf } from '../../local/iam/template.js';
import { synthesize } from '../infra/synth.js';

/**
 * IAM proven on every call (local/iam/): before the run, the app is synthesized once with the local stack's sender
 * and its policies written for every local stack of the run to check its calls against (IAM_CHECK_TEMPLATE); after
 * it, what all of them used is put together, and every grant no call used is printed and written to
 * test-output/iam-unused-grants.json, with the reason it is kept where KEPT_GRANTS gives one.
 */
const OUTPUT = 'test-output';
const REPORT = join(OUTPUT, 'iam-unused-grants.json');

export default function setup(): () => void {
  // A directory of this run's own: two runs at once (in one work tree) each keep their policies and records.
  const dir = mkdtempSync(join(tmpdir(), 'zmiana-sd-iam-'));
  const calls = join(dir, 'calls');
  mkdirSync(calls);
  // The local stack's sender (a placeholder address, which a synth for deployment refuses).
  const { stack, json, outdir } = synthesize({ allowPlaceholderAddresses: true, senderEmail: localConfig(process.env).SENDER_EMAIL });
  rmSync(outdir, { recursive: true, force: true });
  const templateFile = join(dir, 'policies.json');
  writeFileSync(templateFile, JSON.stringify(policyTemplateOf(stack, json.Resources)));
  // The forks take the environment as it is once the global setup has run.
  process.env[IAM_CHECK_ENV.template] = templateFile;
  process.env[IAM_CHECK_ENV.output] = calls;
  return () => {
    try {
      report(JSON.parse(readFileSync(templateFile, 'utf8')) as PolicyTemplate, calls);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function report(template: PolicyTemplate, callsDir: string): void {
  const records = readdirSync(callsDir).map((file) => JSON.parse(readFileSync(join(callsDir, file), 'utf8')) as IamCheckRecord);
  // No suite started a local stack: nothing was exercised, so nothing can be called unused.
  if (records.length === 0) return;
  const used = new Set(records.flatMap((record) => record.used));
  const unused = unusedGrants(resolvePolicies(template, records[0]!.names), used, KEPT_GRANTS);
  const calls = records.reduce((sum, record) => sum + record.calls.reduce((n, call) => n + call.count, 0), 0);
  const unattributed = records.reduce((sum, record) => sum + Object.values(record.unattributed).reduce((n, count) => n + count, 0), 0);
  mkdirSync(OUTPUT, { recursive: true });
  writeFileSync(REPORT, `${JSON.stringify({ stacks: records.length, calls, unused }, null, 2)}\n`);
  const toRemove = unused.filter((grant) => !grant.kept);
  const lines = unused.map((g) => `  ${g.kept ? 'kept' : 'UNUSED'}  ${g.principal}  ${g.action}  ${g.resource}${g.condition ? ` if ${JSON.stringify(g.condition)}` : ''}${g.kept ? `\n          why: ${g.kept}` : ''}`);
  console.log(
    `\nIAM: ${calls} calls of ${records.length} local stacks checked against the synthesized policies (${unattributed} requests of the tests' own clients through the proxies not checked); ` +
      `${unused.length} granted actions never used (${toRemove.length} without a reason to keep them), ${REPORT}:\n${lines.join('\n')}\n`,
  );
}
