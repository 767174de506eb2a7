import type { CaseStore } from '../adapters/case-store.js';
import type { DeliveryEvent } from '../core/delivery-events.js';
import { EmailRejected, SendingRateExceeded } from '../core/errors.js';
import { log } from '../core/log.js';
import type { CountCase } from '../core/metrics.js';
import { MAX_THROTTLED_RETURNS, outboxMessageSchema, quotaUnits, throttledDelaySeconds, type Mailer, type OutboxMessage, type SendPacer } from '../core/outbox.js';

/** One message of the outbox as Lambda's SQS event carries it (only what the sender uses). */
export interface QueuedEmail {
  messageId: string;
  body: string;
  receiveCount: number;
}

export interface OutboxSenderDeps {
  store: CaseStore;
  /** SES (adapters/ses-mailer.ts). */
  ses: Mailer;
  /** Puts a message back on the outbox, after a delay (adapters/outbox.ts Outbox.put). */
  requeue: (message: OutboxMessage, delaySeconds: number) => Promise<unknown>;
  /** Records a message SES refused for good on its case, as SES's own Reject event would be (services/delivery-events.ts). */
  recordRejection: (event: DeliveryEvent) => Promise<unknown>;
  pacer: SendPacer;
  /** EmailSent for every message SES accepted, EmailThrottled for every refusal for the rate. */
  count: CountCase;
  now?: () => Date;
}

/** What became of a batch: the ids Lambda must leave on the queue (SQS's ReportBatchItemFailures). */
export interface OutboxBatchResult {
  batchItemFailures: { itemIdentifier: string }[];
  sent: number;
  alreadySent: number;
  throttled: number;
  rejected: number;
}

/**
 * Sends a batch of the outbox through SES, paced at this sender's share of SES's sending rate.
 *
 * - SES accepted it: recorded on the message's marker (MAIL#<key>, with SES's message id), deleted from the queue.
 * - Its marker says SES accepted it already (a second copy on the queue): not sent again, deleted.
 * - SES refused it for the rate (`Throttling`: a burst over the quota, or the day's quota used up): it goes back
 *   to the queue with a growing delay (throttledDelaySeconds), and this invocation still succeeds — no function
 *   error, no alarm, nothing in the state machine. After MAX_THROTTLED_RETURNS it is left to the queue's
 *   redrive instead, so even that loop ends (in the dead-letter queue, alarmed).
 * - SES rejected the message itself (MessageRejected): a delivery failure on its case (the step's recipient is
 *   marked unreachable and MRPiPS told, as for a Reject event), deleted.
 * - Anything else (sending paused for the account, access denied, SES or DynamoDB failing, an unreadable
 *   message): left on the queue; after the queue's maxReceiveCount SQS moves it to the dead-letter queue, whose
 *   alarm calls the operator, who fixes the cause and moves the messages back (`npm run cases -- redrive`).
 *   When SES refuses the account as such (paused, denied), the rest of the batch is not even started.
 */
export async function sendOutboxBatch(deps: OutboxSenderDeps, batch: QueuedEmail[]): Promise<OutboxBatchResult> {
  const now = deps.now ?? (() => new Date());
  const result: OutboxBatchResult = { batchItemFailures: [], sent: 0, alreadySent: 0, throttled: 0, rejected: 0 };
  const left = new Set<string>();
  const leave = (item: QueuedEmail) => left.add(item.messageId);
  /** Set once nothing more of the batch may be started (SES refused the account, or the schedule is unavailable). */
  let accountRefusedBy: unknown;

  /** One message, from its slot to what SES answered; never throws (a failure leaves it on the queue). */
  const deliver = async (item: QueuedEmail, parsed: OutboxMessage): Promise<void> => {
    const about = { caseId: parsed.caseId, mailKey: parsed.mailKey, ...(parsed.stepKey ? { stepKey: parsed.stepKey } : {}) };
    // Logged: the case and the queue's message id; never the mail key (one names an address) or the message.
    const caseId = parsed.caseId;
    const outboxMessageId = item.messageId;
    try {
      const sesMessageId = await deps.ses.send(parsed.message, about);
      result.sent++;
      deps.count('EmailSent');
      // SES has it: a failure to note that must not send it again (the worst is a second copy sent later).
      await deps.store.recordMailSentBySes(parsed.caseId, parsed.mailKey, { ...(sesMessageId ? { sesMessageId } : {}), at: now().toISOString() }).catch((error: unknown) =>
        log.warn('e-mail sent; its marker not updated', { caseId, outboxMessageId, reason: error instanceof Error ? error.message : String(error) }),
      );
    } catch (error) {
      if (error instanceof SendingRateExceeded) {
        await deps.pacer.backOff().catch(() => undefined);
        result.throttled++;
        deps.count('EmailThrottled');
        if (parsed.throttled >= MAX_THROTTLED_RETURNS) {
          log.error('e-mail refused for the sending rate too many times; left for the dead-letter queue', { caseId, outboxMessageId, reason: error.message });
          leave(item);
          return;
        }
        try {
          await deps.requeue({ ...parsed, throttled: parsed.throttled + 1 }, throttledDelaySeconds(parsed.throttled));
        } catch (requeueError) {
          log.warn('throttled e-mail not requeued; it returns after the visibility timeout', { caseId, outboxMessageId, reason: String(requeueError) });
          leave(item);
        }
        return;
      }
      if (error instanceof EmailRejected) {
        try {
          await deps.recordRejection({ type: 'Reject', messageId: `outbox-${item.messageId}`, at: now().toISOString(), recipients: [...parsed.message.to, ...parsed.message.cc], kind: sesReason(error), tags: about });
          result.rejected++;
          log.warn('e-mail rejected by SES; recorded on the case', { caseId, outboxMessageId, error: error.name });
        } catch (recordError) {
          log.error('e-mail rejected by SES; recording it failed, left on the queue', { caseId, outboxMessageId, reason: String(recordError) });
          leave(item);
        }
        return;
      }
      log.error('e-mail not sent; left on the queue', { caseId, outboxMessageId, error: error instanceof Error ? error.name : 'Error', reason: whatSesSaid(error), receiveCount: item.receiveCount });
      leave(item);
      if (accountRefused(error)) accountRefusedBy = error;
    }
  };

  // The pacer times the start of each send; sends overlap (at most a batch), so a slow answer from SES or
  // DynamoDB does not slow the rate. Once SES refuses the account, nothing more of the batch is started.
  // Each message's marker is read before its turn (all at once), so a send follows its slot without a read between.
  const entries = batch.map((item) => {
    const parsed = parseQueued(item);
    const sentBefore = parsed ? deps.store.mailSentBySes(parsed.caseId, parsed.mailKey).then((sent) => ({ sent }), (error: unknown) => ({ error })) : undefined;
    return { item, parsed, sentBefore };
  });
  const sending: Promise<void>[] = [];
  for (const { item, parsed, sentBefore } of entries) {
    if (!parsed || !sentBefore || accountRefusedBy !== undefined) {
      leave(item);
      continue;
    }
    const marker = await sentBefore;
    if ('error' in marker) {
      log.error('e-mail not sent; left on the queue', { caseId: parsed.caseId, outboxMessageId: item.messageId, error: 'MarkerUnreadable', reason: String(marker.error), receiveCount: item.receiveCount });
      leave(item);
      continue;
    }
    if (marker.sent) {
      log.info('e-mail already sent by SES; second copy dropped', { caseId: parsed.caseId, outboxMessageId: item.messageId });
      result.alreadySent++;
      continue;
    }
    try {
      await deps.pacer.slot(quotaUnits(parsed.message));
    } catch (error) {
      // Without the shared schedule a send could overrun the quota: what is left waits on the queue instead.
      log.error('sending schedule unavailable; e-mail left on the queue', { caseId: parsed.caseId, outboxMessageId: item.messageId, reason: error instanceof Error ? error.message : String(error) });
      accountRefusedBy = error;
      leave(item);
      continue;
    }
    if (accountRefusedBy !== undefined) {
      leave(item);
      continue;
    }
    sending.push(deliver(item, parsed));
  }
  await Promise.all(sending);
  result.batchItemFailures = batch.filter((item) => left.has(item.messageId)).map((item) => ({ itemIdentifier: item.messageId }));
  return result;
}

function parseQueued(item: QueuedEmail): OutboxMessage | undefined {
  let json: unknown;
  try {
    json = JSON.parse(item.body);
  } catch {
    log.error('outbox message is not JSON; left for the dead-letter queue', { outboxMessageId: item.messageId });
    return undefined;
  }
  const parsed = outboxMessageSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const reason = parsed.error.issues.map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
  log.error('outbox message unreadable; left for the dead-letter queue', { outboxMessageId: item.messageId, reason });
  return undefined;
}

/** SES's own reason for a rejection (as a Reject event's `reason` would give it), without the mailer's framing. */
const sesReason = (error: Error): string => (error.cause instanceof Error ? error.cause.message : error.message).slice(0, 256);

/** What the service said (the SES mailer's own message names the recipients, which are not logged). */
const whatSesSaid = (error: unknown): string => {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
};

/** SES refuses the account, not the message: every other message of the batch would be refused the same way. */
const accountRefused = (error: unknown): boolean => error instanceof Error && (error.name === 'SendingPaused' || error.name === 'SesAccessDenied');
