import type { CaseStore } from '../adapters/case-store.js';
import { sendOnce } from '../adapters/mail-once.js';
import type { Mailer } from '../core/outbox.js';
import { deliveryEventSummary, isUndeliverable, type DeliveryEvent } from '../core/delivery-events.js';
import { stepUndeliverableEmail } from '../core/emails.js';
import type { StatusLinks } from '../core/links.js';
import { log } from '../core/log.js';
import type { CountCase } from '../core/metrics.js';
import { STEPS } from '../core/steps.js';

export interface DeliveryEventDeps {
  store: CaseStore;
  mailer: Mailer;
  statusLinks: StatusLinks;
  /** Told once when a step's recipient cannot be reached. */
  mrpipsEmail: string;
  /** EmailBounced / EmailComplained for every hard or soft bounce and complaint, StepUndeliverable when a step is marked. */
  count: CountCase;
  now?: Date;
}

const TIMELINE_ACTION: Record<DeliveryEvent['type'], string> = {
  Delivery: 'EMAIL_DELIVERED',
  Bounce: 'EMAIL_BOUNCED',
  Complaint: 'EMAIL_COMPLAINT',
  Reject: 'EMAIL_REJECTED',
  DeliveryDelay: 'EMAIL_DELAYED',
};

const WHAT_HAPPENED: Record<'Bounce' | 'Complaint' | 'Reject', string> = {
  Bounce: 'serwer odbiorcy trwale odrzuca pocztę na ten adres (adres nie istnieje albo jest na liście wstrzymanych adresów)',
  Complaint: 'odbiorca zgłosił wiadomość jako niechcianą',
  Reject: 'usługa pocztowa odmówiła wysłania wiadomości',
};

/**
 * One SES delivery event (core/delivery-events.ts) on the case it is about: a timeline entry per recipient
 * (idempotent by message id, event type and recipient). When the event says the address cannot be reached and
 * it is the current recipient of the pending step the message asked, the step is marked undeliverable (no
 * reminder goes there, see request-confirmation) and MRPiPS gets one e-mail naming the case, the step, the
 * address and the command that hands the step on. Mail to anyone else (a copy to the supplier, a notice) is
 * recorded and counted only. Safe to run again for the same event.
 */
export async function recordDeliveryEvent(deps: DeliveryEventDeps, event: DeliveryEvent): Promise<{ recorded: number; undeliverable: string[] }> {
  const now = deps.now ?? new Date();
  if (!event.tags) {
    log.warn('delivery event of a message about no case', { reason: `${event.type} of SES message ${event.messageId}` });
    return { recorded: 0, undeliverable: [] };
  }
  const { caseId, stepKey, mailKey } = event.tags;
  const record = await deps.store.getCase(caseId);
  if (!record) {
    log.warn('delivery event of an unknown case', { caseId, step: event.type, reason: event.messageId });
    return { recorded: 0, undeliverable: [] };
  }
  const step = stepKey ? await deps.store.getStep(caseId, stepKey) : undefined;
  const undeliverable: string[] = [];
  for (const recipient of event.recipients) {
    const written = await deps.store.updateCase(caseId, {
      id: `delivery:${event.messageId}:${event.type}:${recipient}`,
      at: event.at,
      actor: { role: 'SYSTEM' },
      action: TIMELINE_ACTION[event.type],
      ...(stepKey ? { step: stepKey } : {}),
      summary: deliveryEventSummary(event, recipient, step ? STEPS[step.step].title : undefined),
      details: { messageId: event.messageId, recipient, event: event.type, kind: event.kind ?? null, mail: mailKey },
    });
    if (written === 'applied' && event.type === 'Bounce') deps.count('EmailBounced');
    if (written === 'applied' && event.type === 'Complaint') deps.count('EmailComplained');

    if (!step || step.status !== 'PENDING' || step.recipient !== recipient || !isUndeliverable(event)) continue;
    const what = event.type as 'Bounce' | 'Complaint' | 'Reject';
    const marked = await deps.store.markStepUndeliverable(caseId, step.stepKey, { recipient, event: event.kind ? `${event.type} ${event.kind}` : event.type, messageId: event.messageId, at: event.at });
    // A retry of this very event (the e-mail to MRPiPS failed last time) finds its own mark.
    const ours = marked || (step.undeliverable?.messageId === event.messageId && step.undeliverable.recipient === recipient);
    if (!ours) continue;
    if (marked) deps.count('StepUndeliverable');
    undeliverable.push(recipient);
    await sendOnce(
      deps,
      caseId,
      `undeliverable:${step.stepKey}:${recipient}`,
      stepUndeliverableEmail({ record, step: step.step, stepKey: step.stepKey, address: recipient, what: WHAT_HAPPENED[what], to: deps.mrpipsEmail, statusUrl: deps.statusLinks(record) }),
      now,
    );
  }
  return { recorded: event.recipients.length, undeliverable };
}
