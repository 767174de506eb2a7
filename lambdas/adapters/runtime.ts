import type { z } from 'zod';
import { mailConfigSchema, parseConfig, type MailConfig } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { Directory } from '../core/participants.js';
import { classifyAwsError } from './errors.js';

/**
 * Dependencies are built once per Lambda environment, on first use (so tests and the local stack can set
 * the environment first). Handlers receive them as arguments of the action, which keeps actions testable.
 * Each adapter module exports its own factory (caseStore in case-store.ts, mailer in mailer.ts, workflow in
 * workflow.ts, loadStatusLinks in signing-keys.ts), so a function loads only the SDK clients it uses: loading
 * an SDK client is most of a cold start.
 */
export function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const mailConfig = once((): MailConfig => parseConfig(mailConfigSchema, process.env));
export const directory = (): Directory => ({ mrpipsEmail: mailConfig().MRPIPS_EMAIL, voivodeshipAdmins: mailConfig().VOIVODESHIP_ADMINS });

/**
 * Wraps an action invoked by a state machine: parse the event with zod (a bad payload is a ValidationError,
 * never retried), run the action, log by case id, and turn retryable AWS errors into TransientError.
 */
export function stateMachineHandler<S extends z.ZodTypeAny, R>(action: string, schema: S, run: (input: z.infer<S>) => Promise<R>): (event: unknown) => Promise<R> {
  return async (event: unknown) => {
    const parsed = schema.safeParse(event);
    if (!parsed.success) {
      const message = `Invalid ${action} event: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`).join('; ')}`;
      log.error(message, { action });
      throw new ValidationError(message);
    }
    const input = parsed.data as { caseId?: string; step?: string };
    const started = Date.now();
    try {
      const result = await run(parsed.data);
      log.info('action done', { action, caseId: input.caseId, step: input.step, ms: Date.now() - started });
      return result;
    } catch (error) {
      const classified = classifyAwsError(error);
      const err = classified instanceof Error ? classified : new Error(String(classified));
      log.error('action failed', { action, caseId: input.caseId, step: input.step, error: err.name, reason: err.message });
      throw err;
    }
  };
}
