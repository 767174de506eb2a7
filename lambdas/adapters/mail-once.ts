import type { EmailMessage } from '../core/emails.js';
import { log } from '../core/log.js';
import type { CaseStore } from './case-store.js';
import type { Mailer } from '../core/outbox.js';

/**
 * Idempotent e-mail for the state machines' actions. Lambda delivers an invocation at least once and the state
 * machines retry an action that failed after it had queued its e-mail; neither may queue the message twice.
 * Each message has a deterministic key naming what it is about (`applied:<step.round>`, `notice:<kind>`,
 * `escalated:<step.round>:<reminders>`, `request:<step.round>:<reminders>` …); after the outbox accepts it, a
 * marker item `CASE#<id>` / `MAIL#<key>` is written (single-item conditional put), and a run that finds the
 * marker queues nothing new. The sender (send-email) records on the same marker when SES accepted the message,
 * and does not send a message whose marker says so: a second copy on the queue (a crash between the queueing
 * and the marker, or SQS delivering a message twice) is not sent twice.
 *
 * This is at-least-once, not exactly-once: two copies sent at the very same moment can both go out. It never
 * loses one: the marker is only written after the outbox accepted the message.
 */
export async function sendOnce(deps: { store: CaseStore; mailer: Mailer }, caseId: string, key: string, message: EmailMessage, now = new Date()): Promise<'sent' | 'already sent'> {
  if (await deps.store.mailQueued(caseId, key)) {
    log.info('e-mail already queued', { caseId, step: key });
    return 'already sent';
  }
  const outboxMessageId = await deps.mailer.send(message, { caseId, mailKey: key });
  await deps.store.recordMailQueued(caseId, key, { outboxMessageId, at: now.toISOString() });
  return 'sent';
}

/** Several messages about one event: the first is keyed `key`, the next ones `key:2`, `key:3` … (in a fixed order). */
export async function sendAllOnce(deps: { store: CaseStore; mailer: Mailer }, caseId: string, key: string, messages: EmailMessage[], now = new Date()): Promise<void> {
  for (const [index, message] of messages.entries()) await sendOnce(deps, caseId, index === 0 ? key : `${key}:${index + 1}`, message, now);
}
