import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { z } from 'zod';
import { mailConfigSchema, parseConfig, tableConfigSchema, type MailConfig } from '../core/config.js';
import { ValidationError } from '../core/errors.js';
import { log } from '../core/log.js';
import type { Directory } from '../core/participants.js';
import { CaseStore } from './case-store.js';
import { classifyAwsError } from './errors.js';
import { Mailer } from './mailer.js';
import { Workflow } from './workflow.js';
import { loadSigningKeys } from './signing-keys.js';
import { statusLinks, type StatusLinks } from '../core/links.js';

/**
 * Dependencies are built once per Lambda environment, on first use (so tests and the local stack can set
 * the environment first). Handlers receive them as arguments of the action, which keeps actions testable.
 */
function once<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

export const caseStore = once(() => new CaseStore(new DynamoDBClient({}), parseConfig(tableConfigSchema, process.env).TABLE_NAME));
export const mailConfig = once((): MailConfig => parseConfig(mailConfigSchema, process.env));
export const mailer = once(() => new Mailer(new SESClient({}), mailConfig().SENDER_EMAIL));
export const workflow = once(() => new Workflow(new SFNClient({})));
/** Read-only status links for e-mails, signed with the current link key. */
export async function statusLinksNow(): Promise<StatusLinks> {
  return statusLinks(mailConfig().PUBLIC_BASE_URL, await loadSigningKeys(), Math.floor(Date.now() / 1000));
}
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
