import type { z } from 'zod';
import { caseStore, type CaseStore } from '../adapters/case-store.js';
import { sendOnce } from '../adapters/mail-once.js';
import { outbox } from '../adapters/outbox.js';
import type { Mailer } from '../core/outbox.js';
import { loadSigningKeys } from '../adapters/signing-keys.js';
import { directory, mailConfig, stateMachineHandler } from '../adapters/runtime.js';
import { ROLE_LABEL } from '../core/case.js';
import { confirmationRequestEmail, supplierInformedEmail } from '../core/emails.js';
import { NotFoundError } from '../core/errors.js';
import { requestConfirmationEvent } from '../core/events.js';
import { formatDateTime } from '../core/format.js';
import { hashLinkId, linkUrl, newLinkId, statusLinks, type SigningKeys } from '../core/links.js';
import { addressOf, supplierContact, type Directory } from '../core/participants.js';
import { recipientUnreachable } from '../core/step-record.js';
import { STEPS, stepKey } from '../core/steps.js';

/**
 * The waitForTaskToken action of the confirmation protocol: store the task token on the step (only there),
 * issue a new signed link (which revokes older ones) and e-mail it: a request the first time, a reminder after.
 *
 * Each request (step instance, reminder number) is e-mailed once. Lambda may deliver this invocation twice
 * (the same task token), and the state machine retries it with a new token when it failed after the e-mail
 * went out; either run finds the request's e-mail marker (`MAIL#request:…`, written once the outbox accepted it) and
 * issues no second link or e-mail: the link in the participant's inbox stays the one that works, bound to the
 * current attempt's task token. A run that finds no marker (an earlier one failed before or while sending)
 * sends the request with a new link, so a request is never lost (at-least-once; see mail-once.ts).
 */
export async function requestConfirmation(
  input: z.infer<typeof requestConfirmationEvent>,
  deps: { store: CaseStore; mailer: Mailer; directory: Directory; keys: SigningKeys; baseUrl: string; now?: Date },
) {
  const now = deps.now ?? new Date();
  const record = await deps.store.getCase(input.caseId);
  if (!record) throw new NotFoundError(`Case ${input.caseId} not found`);
  const def = STEPS[input.step];
  const key = stepKey(input.step, input.round);
  // A step handed to a colleague stays with the colleague when it is reminded.
  const existing = await deps.store.getStep(input.caseId, key);
  const recipient = existing?.recipient ?? addressOf(def.role, record, deps.directory);
  const expiresAt = Math.floor(now.getTime() / 1000) + input.responseTimeoutSeconds;
  const deadline = new Date(expiresAt * 1000).toISOString();
  const requestId = `${key}:${input.remindersSent}${input.final ? ':final' : ''}`;
  const mailKey = `request:${requestId}`;
  const statusUrl = statusLinks(deps.baseUrl, deps.keys, Math.floor(now.getTime() / 1000))(input.caseId);
  // The supplier is told what the JST is asked to do in a message of its own (no link: the address is unverified),
  // once per request (its own mail key), after the JST's request went out.
  const informSupplier = async (by: string) => {
    const supplier = def.copySupplier ? supplierContact(record) : undefined;
    if (!supplier || supplier === recipient) return;
    const message = supplierInformedEmail({ record, step: input.step, round: input.round, comment: input.comment, to: supplier, deadline: formatDateTime(by), remindersSent: input.remindersSent, final: input.final, statusUrl });
    await sendOnce(deps, input.caseId, `supplier:${requestId}`, message, now);
  };
  const requested = (to: string, by: string) => ({
    id: `requested:${requestId}`,
    at: now.toISOString(),
    actor: { role: 'SYSTEM' as const },
    action: input.final ? 'FINAL_LINK_SENT' : input.remindersSent === 0 ? 'CONFIRMATION_REQUESTED' : 'REMINDER_SENT',
    step: key,
    summary: input.final
      ? `Termin kroku „${def.title}” minął; wysłano ostatni link do: ${to}. Sprawa czeka na decyzję MRPiPS.`
      : input.remindersSent === 0
        ? `Wysłano prośbę o potwierdzenie kroku „${def.title}” do: ${ROLE_LABEL[def.role]} (${to}); termin ${formatDateTime(by)}.`
        : `Wysłano przypomnienie nr ${input.remindersSent} o kroku „${def.title}” do: ${to}.`,
  });

  if (existing && (await deps.store.mailQueued(input.caseId, mailKey))) {
    // Already e-mailed (a second delivery, or a retry after the send): keep its link, bind it to this task
    // token (nothing to do for the very same token, or once the step is answered and its token used up),
    // and finish the timeline entry (idempotent by its id).
    const answered = existing.status === 'COMPLETED' && !existing.taskToken;
    if (existing.taskToken !== input.taskToken && !answered) await deps.store.bindTaskToken(input.caseId, key, input.taskToken);
    await informSupplier(existing.deadline);
    await deps.store.updateCase(input.caseId, requested(existing.recipient, existing.deadline));
    return { stepKey: key, deadline: existing.deadline };
  }

  const pending = {
    caseId: input.caseId,
    stepKey: key,
    step: input.step,
    round: input.round,
    role: def.role,
    recipient,
    taskToken: input.taskToken,
    linkExpiresAt: expiresAt,
    deadline,
    remindersSent: input.remindersSent,
    lastSentAt: now.toISOString(),
    comment: input.comment,
    now: now.toISOString(),
  };
  if (existing && recipientUnreachable(existing) && existing.recipient === recipient) {
    // SES reported this address undeliverable (MRPiPS was told, record-delivery-event): another e-mail to it would
    // only bounce again and harm the account's reputation. The step keeps waiting under this task, with its
    // current link, until MRPiPS hands it to a reachable address (reassign), which sends the link there.
    await deps.store.putPendingStep({ ...pending, linkIdHash: existing.linkIdHash });
    await deps.store.updateCase(input.caseId, {
      id: `withheld:${requestId}`,
      at: now.toISOString(),
      actor: { role: 'SYSTEM' },
      action: 'REMINDER_WITHHELD',
      step: key,
      summary: `Nie wysłano ${input.remindersSent === 0 ? 'prośby' : `przypomnienia nr ${input.remindersSent}`} o kroku „${def.title}” do: ${recipient}, ponieważ wiadomości na ten adres nie można doręczyć. Sprawa czeka na przekazanie kroku przez MRPiPS na inny adres.`,
    });
    return { stepKey: key, deadline };
  }

  const linkId = newLinkId();
  await deps.store.putPendingStep({ ...pending, linkIdHash: hashLinkId(linkId) });
  const url = linkUrl(deps.baseUrl, { caseId: input.caseId, step: key, role: def.role, recipient, expiresAt, linkId }, deps.keys);
  const outboxMessageId = await deps.mailer.send(
    confirmationRequestEmail({ record, step: input.step, round: input.round, comment: input.comment, to: recipient, url, deadline: formatDateTime(deadline), remindersSent: input.remindersSent, statusUrl, delegatedBy: existing?.delegatedBy, final: input.final }),
    { caseId: input.caseId, mailKey, stepKey: key },
  );
  // A crash between the queueing and this marker queues the request again on the retry (with a newer link).
  await deps.store.recordMailQueued(input.caseId, mailKey, { outboxMessageId, at: now.toISOString() });
  await informSupplier(deadline);
  await deps.store.updateCase(input.caseId, requested(recipient, deadline));
  return { stepKey: key, deadline };
}

export const handler = stateMachineHandler('request-confirmation', requestConfirmationEvent, async (input) =>
  requestConfirmation(input, { store: caseStore(), mailer: outbox(), directory: directory(), keys: await loadSigningKeys(), baseUrl: mailConfig().PUBLIC_BASE_URL }),
);
