import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeDenial, evaluateCalls, resolvePolicies, type Denial, type LocalNames, type PolicyTemplate } from './policies.js';
import { IamRecorder, type AwsCall, type RecorderScope } from './recorder.js';

/**
 * The IAM check of one local stack: on when the test run's global setup (test/iam/global-setup.ts) has written the
 * synthesized policies and named them in IAM_CHECK_TEMPLATE; each stack then records its calls and, when it
 * closes, evaluates them, writes what it used to IAM_CHECK_OUTPUT (for the run's report of unused grants) and
 * throws on a denial.
 */
export const IAM_CHECK_ENV = { template: 'IAM_CHECK_TEMPLATE', output: 'IAM_CHECK_OUTPUT' } as const;

/** What one stack leaves for the run's report. */
export interface IamCheckRecord {
  names: LocalNames;
  calls: (AwsCall & { count: number })[];
  used: string[];
  denials: Denial[];
  /** Requests through the proxies made as no principal: the tests' own clients (and direct handler calls), not recorded. */
  unattributed: Record<string, number>;
}

export class IamCheck {
  readonly recorder: IamRecorder;

  private constructor(
    private readonly template: PolicyTemplate,
    private readonly outputDir: string | undefined,
    scope: RecorderScope,
  ) {
    this.recorder = new IamRecorder(scope);
  }

  /** The check, when this run asks for it (IAM_CHECK_TEMPLATE), else undefined. */
  static fromEnvironment(scope: RecorderScope, env: NodeJS.ProcessEnv = process.env): IamCheck | undefined {
    const file = env[IAM_CHECK_ENV.template];
    if (!file) return undefined;
    return new IamCheck(JSON.parse(readFileSync(file, 'utf8')) as PolicyTemplate, env[IAM_CHECK_ENV.output], scope);
  }

  /** Evaluates every call recorded; throws naming each denied call and each request it could not decode. */
  async finish(names: LocalNames): Promise<void> {
    this.recorder.close();
    const calls = [...this.recorder.calls.values()];
    const { denials, used } = await evaluateCalls(resolvePolicies(this.template, names), calls.map(({ call }) => call), names.account);
    if (this.outputDir) {
      mkdirSync(this.outputDir, { recursive: true });
      const record: IamCheckRecord = { names, calls: calls.map(({ call, count }) => ({ ...call, count })), used: [...used], denials, unattributed: Object.fromEntries(this.recorder.unattributed) };
      writeFileSync(join(this.outputDir, `${process.pid}-${randomUUID()}.json`), JSON.stringify(record));
    }
    const problems = [
      ...denials.map(describeDenial),
      ...[...this.recorder.undecoded].map(([what, count]) => `${count}× ${what}: local/iam/recorder.ts does not know what IAM authorises it against`),
    ];
    if (problems.length) throw new Error(`IAM check failed:\n  ${problems.join('\n  ')}`);
  }
}
