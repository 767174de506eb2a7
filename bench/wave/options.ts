import { availableParallelism } from 'node:os';
import { z } from 'zod';

/** Every gmina and powiat in Poland: one case each in a national wave. */
export const NATIONAL_WAVE_CASES = 2791;
export const QUICK_CASES = 50;
/** The form accepts at most this many notifications per client address and hour (lambdas/core/config.ts caps the limit). */
export const MAX_CASES = 10_000;
export const DEFAULT_TIMEOUT_MS = 180_000;
/** One worker thread for the Lambda handlers per core (measured on 2 cores: 2 beat 1 and 0; see bench/wave/README.md). */
export const DEFAULT_LAMBDA_WORKERS = availableParallelism();
/** With --ses-rate: 2 h, longer than a national wave needs at 14 messages/s (~47 min for its ~39,000 e-mails). */
export const SES_RATE_TIMEOUT_MS = 2 * 3600_000;
/** SES's default maximum sending rate once out of the sandbox, messages per second. */
export const SES_DEFAULT_RATE = 14;

export const benchOptionsSchema = z
  .object({
    cases: z.coerce.number({ error: '--cases must be a number' }).int('--cases must be a whole number').min(1, '--cases must be at least 1').max(MAX_CASES, `--cases must be at most ${MAX_CASES} (the form's per-address hourly limit)`).optional(),
    concurrency: z.coerce.number({ error: '--concurrency must be a number' }).int('--concurrency must be a whole number').min(1, '--concurrency must be at least 1').optional(),
    quick: z.boolean().default(false),
    /** How long one participant waits for one e-mail before the case counts as failed. */
    timeoutMs: z.coerce.number({ error: '--timeout-ms must be a number' }).int().min(1000, '--timeout-ms must be at least 1000').optional(),
    lambdaWorkers: z.coerce.number({ error: '--lambda-workers must be a number' }).int('--lambda-workers must be a whole number').min(0, '--lambda-workers must be at least 0').max(64, '--lambda-workers must be at most 64').optional(),
    /** SES sending quota of the stand-in, messages per second (production default: 14); unset = unlimited. */
    sesRate: z.coerce.number({ error: '--ses-rate must be a number' }).positive('--ses-rate must be more than 0').max(10_000, '--ses-rate must be at most 10000').optional(),
    outDir: z.string().min(1).default('bench/results'),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.quick && o.cases !== undefined) ctx.addIssue({ code: 'custom', path: ['quick'], message: '--quick and --cases are mutually exclusive (--quick means --cases 50)' });
  })
  .transform((o) => {
    const cases = o.cases ?? (o.quick ? QUICK_CASES : NATIONAL_WAVE_CASES);
    // Under a sending quota a participant's next e-mail can wait as long as the whole wave takes to drain.
    const timeoutMs = o.timeoutMs ?? (o.sesRate ? SES_RATE_TIMEOUT_MS : DEFAULT_TIMEOUT_MS);
    return { cases, concurrency: Math.min(o.concurrency ?? cases, cases), timeoutMs, lambdaWorkers: o.lambdaWorkers ?? DEFAULT_LAMBDA_WORKERS, outDir: o.outDir, quick: o.quick, ...(o.sesRate ? { sesRate: o.sesRate } : {}) };
  });

export type BenchOptions = z.output<typeof benchOptionsSchema>;

export const USAGE = `usage: npm run bench -- [--quick | --cases N] [--concurrency K] [--lambda-workers W] [--ses-rate R] [--timeout-ms MS] [--out-dir DIR]
  --cases N           concurrent cases to play (default ${NATIONAL_WAVE_CASES}: every gmina and powiat; max ${MAX_CASES})
  --quick             ${QUICK_CASES} cases
  --concurrency K     at most K cases in flight at once (default: all of them)
  --lambda-workers W  run the Lambda handlers in W worker threads (default: one per core, ${DEFAULT_LAMBDA_WORKERS} here;
                      0 = in the stack's own thread)
  --ses-rate R        the SES stand-in accepts at most R messages/s and throttles the rest, as an SES account with
                      that quota (${SES_DEFAULT_RATE}/s by default in production); state machine waits as on AWS
  --timeout-ms MS     how long a participant waits for one e-mail (default 180000; 7200000 with --ses-rate)
  --out-dir DIR       where the JSON and SVG results go (default bench/results)`;

const FLAGS: Record<string, { key: 'cases' | 'concurrency' | 'timeoutMs' | 'outDir' | 'quick' | 'sesRate' | 'lambdaWorkers'; value: boolean }> = {
  '--lambda-workers': { key: 'lambdaWorkers', value: true },
  '--ses-rate': { key: 'sesRate', value: true },
  '--cases': { key: 'cases', value: true },
  '--concurrency': { key: 'concurrency', value: true },
  '--timeout-ms': { key: 'timeoutMs', value: true },
  '--out-dir': { key: 'outDir', value: true },
  '--quick': { key: 'quick', value: false },
};

export class OptionsError extends Error {}

/** Parses `--flag value`, `--flag=value` and `--quick`; throws OptionsError with every problem named. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const flag = FLAGS[name!];
    if (!flag) {
      problems.push(`unknown option ${JSON.stringify(arg)}`);
      continue;
    }
    if (!flag.value) {
      if (inline !== undefined) problems.push(`${name} takes no value`);
      raw[flag.key] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      problems.push(`${name} needs a value`);
      if (inline === undefined && value !== undefined) i--;
      continue;
    }
    if (value.trim() === '') problems.push(`${name} needs a value`);
    else raw[flag.key] = value;
  }
  if (problems.length) throw new OptionsError(problems.join('; '));
  const parsed = benchOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new OptionsError(parsed.error.issues.map((issue) => issue.message).join('; '));
  return parsed.data;
}
