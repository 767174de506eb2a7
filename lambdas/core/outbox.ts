import { z } from 'zod';
import { CASE_ID_PATTERN } from './case.js';
import type { MailTags } from './delivery-events.js';
import type { EmailMessage } from './emails.js';

/**
 * The outbox: every e-mail of the procedure is put on a queue (adapters/outbox.ts) and sent by one function,
 * send-email, at the pace SES's quota allows. Actions never wait for SES: a wave of cases cannot fail because
 * mail is slow, and a refusal by SES is the sender's business, not the state machine's.
 */

/** Where the product hands over an e-mail about a case. Deployed: the outbox queue; only send-email talks to SES. */
export interface Mailer {
  /** Hands the message over; resolves with an id of the hand-over (the queue's message id). */
  send(message: EmailMessage, about: MailTags): Promise<string | undefined>;
}

const address = z.string().min(3).max(320);

/** One message on the outbox queue: the rendered e-mail and what it is about (the tags SES's events bring back). */
export const outboxMessageSchema = z.strictObject({
  caseId: z.string().regex(CASE_ID_PATTERN, 'a case id'),
  mailKey: z.string().min(1).max(200),
  stepKey: z.string().min(1).max(40).optional(),
  queuedAt: z.iso.datetime(),
  /** How many times SES refused it for the sending rate so far (each time it went back to the queue). */
  throttled: z.number().int().min(0).default(0),
  message: z.strictObject({
    to: z.array(address).min(1).max(50),
    cc: z.array(address).max(50),
    subject: z.string().min(1).max(998),
    html: z.string().min(1),
    text: z.string().min(1),
  }),
});
export type OutboxMessage = z.infer<typeof outboxMessageSchema>;

export function outboxMessage(message: EmailMessage, about: MailTags, queuedAt: Date): OutboxMessage {
  return { caseId: about.caseId, mailKey: about.mailKey, ...(about.stepKey ? { stepKey: about.stepKey } : {}), queuedAt: queuedAt.toISOString(), throttled: 0, message };
}

/** What SES counts against the sending rate: every recipient of a message (To and Cc) is one. */
export const quotaUnits = (message: Pick<EmailMessage, 'to' | 'cc'>): number => message.to.length + message.cc.length;

/** Most recipients one message of the procedure has (a notice to the JST and its copy to the supplier; a message with a link has one). */
export const MAX_RECIPIENTS_PER_MESSAGE = 2;

/**
 * How the sender is deployed for a sending rate (messages per second, SES's maximum send rate): the numbers CDK
 * deploys (lib/email-outbox.ts) and the local stack models (local/outbox.ts). Lambda polls a standard queue with
 * at least two concurrent invocations (an event source mapping's maximum concurrency is 2 or more); they take
 * their turns on one schedule of the account's sending time (SendSchedule), so together they never go faster
 * than the quota, and each gets about its share of it. A batch is what one sender
 * sends in BATCH_SECONDS at its share: long enough that the pause between two batches (Lambda deleting, polling,
 * invoking) costs little of the quota, short enough for the function's timeout; above 10 messages Lambda needs a
 * batching window (1 s), and at most MAX_BATCH keeps the event far below Lambda's 6 MB payload (a message is
 * ~10–25 KB of HTML and text).
 */
export interface SenderSettings {
  /** SES's maximum send rate the sender keeps to, messages (recipients) per second. */
  sendRatePerSecond: number;
  /** The event source mapping's maximum concurrency (and so the number of senders at once). */
  maximumConcurrency: number;
  /** Messages per invocation. */
  batchSize: number;
  /** How long Lambda gathers a batch of more than 10 (0 for 10 or fewer). */
  maximumBatchingWindowSeconds: number;
  /** The sender's Lambda timeout. */
  timeoutSeconds: number;
  /** The queue's visibility timeout: six times the function's timeout, as Lambda's documentation advises for SQS. */
  visibilityTimeoutSeconds: number;
  /** Receives of one message before SQS moves it to the dead-letter queue (5, the least Lambda's documentation advises). */
  maxReceiveCount: number;
  /** How long an unsent message is kept (SQS's longest: 14 days). */
  retentionSeconds: number;
}

const SENDER_CONCURRENCY = 2;
const BATCH_SECONDS = 20;
const MAX_BATCH = 100;
export const SENDER_TIMEOUT_SECONDS = 60;

export function senderSettings(sendRatePerSecond: number): SenderSettings {
  const perSender = sendRatePerSecond / SENDER_CONCURRENCY;
  const batchSize = Math.max(1, Math.min(MAX_BATCH, Math.floor((perSender * BATCH_SECONDS) / MAX_RECIPIENTS_PER_MESSAGE)));
  return {
    sendRatePerSecond,
    maximumConcurrency: SENDER_CONCURRENCY,
    batchSize,
    maximumBatchingWindowSeconds: batchSize > 10 ? 1 : 0,
    timeoutSeconds: SENDER_TIMEOUT_SECONDS,
    visibilityTimeoutSeconds: 6 * SENDER_TIMEOUT_SECONDS,
    maxReceiveCount: 5,
    retentionSeconds: 14 * 86_400,
  };
}

/**
 * A message SES refused for the sending rate goes back to the queue with this delay (SQS allows up to 900 s):
 * a second at first, doubling to 15 minutes, so a quota used up for the day (SES answers `Throttling` then too)
 * waits without spinning. After MAX_THROTTLED_RETURNS it is left to the queue's redrive (dead-letter queue and
 * its alarm): bounded, and visible.
 */
export const MAX_THROTTLED_RETURNS = 150;
export const throttledDelaySeconds = (throttled: number): number => Math.min(900, 2 ** Math.min(throttled, 10));

/**
 * Time lost (a late timer, the pause between two batches) that may be made up at once: SES absorbs short bursts
 * (its quota is a second's worth), so at most CATCH_UP_MS, and never so much that the second's worth could not
 * also take the largest message (at 1 message/s: nothing).
 */
export const CATCH_UP_MS = 250;
export const catchUpMs = (ratePerSecond: number): number => Math.max(0, Math.min(CATCH_UP_MS, 1000 - (MAX_RECIPIENTS_PER_MESSAGE * 1000) / ratePerSecond));

/**
 * When SES's second holds no more than the next message (catchUpMs is 0), two sends a hair less than a slot
 * apart on arrival (network and timer jitter) are refused: such slots are this much longer.
 */
export const SLOT_GUARD_MS = 30;
const slotGuardMs = (ratePerSecond: number): number => (catchUpMs(ratePerSecond) === 0 ? SLOT_GUARD_MS : 0);

/**
 * The account's sending time, shared by every sender at once (adapters/send-schedule.ts keeps it in the case
 * table): SES's quota is the account's, and two senders pacing apart would collide whenever their sends fall in
 * the same second (at 1 message/s SES's burst is a single message). `book` reserves the next `ms` of it, never
 * starting earlier than `catchUp` ms before `now`, and resolves with when the reservation starts (epoch ms).
 */
export interface SendSchedule {
  book(ms: number, now: number, catchUp: number): Promise<number>;
}

/** A schedule one process keeps to itself (tests; the rule every schedule follows). */
export class LocalSendSchedule implements SendSchedule {
  private nextAt = -Infinity;

  async book(ms: number, now: number, catchUp: number): Promise<number> {
    const start = nextSlotStart(this.nextAt, now, catchUp);
    this.nextAt = start + ms;
    return start;
  }
}

/** When the next reservation starts: where the schedule is, or (if it fell behind) at most `catchUp` ms ago. */
export const nextSlotStart = (scheduledAt: number, now: number, catchUp: number): number => Math.max(scheduledAt, now - catchUp);

/**
 * Paces sends at the account's rate in quota units (recipients) per second on the shared schedule: each send
 * starts when its reservation does. A clock and a sleep are given, so the pacing is tested without waiting.
 */
export class SendPacer {
  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: { now(): number; sleep(ms: number): Promise<void> },
    private readonly schedule: SendSchedule,
  ) {}

  /** Waits for the slot of a message of `units` recipients, booked on the schedule. */
  async slot(units: number): Promise<void> {
    const start = await this.schedule.book((units * 1000) / this.ratePerSecond + slotGuardMs(this.ratePerSecond), this.clock.now(), catchUpMs(this.ratePerSecond));
    const wait = start - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait);
  }

  /** SES refused for the rate: the next second of the schedule goes unused by anyone. */
  async backOff(): Promise<void> {
    await this.schedule.book(1000, this.clock.now(), 0);
  }
}
