import type { EmailMessage } from '../core/emails.js';
import { log } from '../core/log.js';
import type { CaseStore } from './case-store.js';
import type { Mailer } from './mailer.js';

/**
 * Idempotent e-mail for the state machines' actions. Lambda delivers an invocation at least once and the state
 * machines retry an action that failed after it had sent its e-mail; neither may send the message twice.
 * Each message has a deterministic key naming what it is about (`applied:<step.round>`, `notice:<kind>`,
 * `escalated:<step.round>:<reminders>`, `request:<step.round>:<reminders>` …); after SES accepts it, a marker
 * item `CASE#<id>` / `MAIL#<key>` is written (single-item conditional put), and a run that finds the marker
 * does not send again.
 *
 * This is at-least-once, not exactly-once: a crash after SES accepted the message and before the marker is
 * written, or two deliveries running at the very same time, can still send it twice. It never loses one:
 * the marker is only written after the send succeeded.
 */
export async function sendOnce(deps: { store: CaseStore; mailer: Mailer }, caseId: string, key: string, message: EmailMessage, now = new Date()): Promise<'sent' | 'already sent'> {
  if (await deps.store.mailSent(caseId, key)) {
    log.info('e-mail already sent', { caseId, step: key });
    return 'already sent';
  }
  const messageId = await deps.mailer.send(message, { caseId, mailKey: key });
  await deps.store.recordMailSent(caseId, key, { messageId, at: now.toISOString() });
  return 'sent';
}

/** Several messages about one event: the first is keyed `key`, the next ones `key:2`, `key:3` … (in a fixed order). */
export async function sendAllOnce(deps: { store: CaseStore; mailer: Mailer }, caseId: string, key: string, messages: EmailMessage[], now = new Date()): Promise<void> {
  for (const [index, message] of messages.entries()) await sendOnce(deps, caseId, index === 0 ? key : `${key}:${index + 1}`, message, now);
}
