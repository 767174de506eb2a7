import { z } from 'zod';
import { CASE_ID_PATTERN } from './case.js';

/**
 * SES's delivery events (event publishing through the configuration set the mailer names, delivered by an
 * EventBridge rule; lib/delivery-event-watch.ts). The record is the one SES documents for event publishing
 * (https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html: `eventType`, `mail`
 * and one object per type), as the `detail` of an EventBridge event from `aws.ses`
 * (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html). SES may add fields: unknown ones are
 * ignored.
 */

/** The message tags the mailer puts on every message about a case (never a token or a link). */
export interface MailTags {
  caseId: string;
  /**
   * The mail-once key (mail-once.ts) or another key naming the message — one message per key and case: send-email
   * does not send a message whose key SES has already accepted for the case (it takes it for a second copy).
   */
  mailKey: string;
  /** The step instance (`B.1`) when the message is that step's request to its recipient. */
  stepKey?: string;
}

/** SES tag names and values allow only ASCII letters, digits, `_` and `-`: every other byte (and `_`) is `_XX`. */
export function encodeTagValue(value: string): string {
  return [...new TextEncoder().encode(value)].map((byte) => (/[A-Za-z0-9-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

export function decodeTagValue(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '_') {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(value.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/** The SES message tags (Name/Value) of a message about a case. */
export function mailTags(tags: MailTags): { Name: string; Value: string }[] {
  return [
    { Name: 'case', Value: encodeTagValue(tags.caseId) },
    { Name: 'mail', Value: encodeTagValue(tags.mailKey) },
    ...(tags.stepKey ? [{ Name: 'step', Value: encodeTagValue(tags.stepKey) }] : []),
  ];
}

/** The SES event types the configuration set publishes (lib/email-sender.ts), with EventBridge's detail-type of each. */
export const DELIVERY_EVENT_TYPES = {
  Delivery: 'Email Delivered',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Reject: 'Email Rejected',
  DeliveryDelay: 'Email Delivery Delayed',
} as const;
export type DeliveryEventType = keyof typeof DELIVERY_EVENT_TYPES;

const address = z.string().min(3).max(320);
const recipients = (field: string) => z.array(z.object({ [field]: address }).transform((r) => r[field] as string)).min(1).max(100);

const detail = z.discriminatedUnion('eventType', [
  z.object({ eventType: z.literal('Delivery'), delivery: z.object({ timestamp: z.string(), recipients: z.array(address).min(1).max(100) }) }),
  z.object({
    eventType: z.literal('Bounce'),
    bounce: z.object({ timestamp: z.string(), bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']), bounceSubType: z.string().max(64), bouncedRecipients: recipients('emailAddress') }),
  }),
  z.object({ eventType: z.literal('Complaint'), complaint: z.object({ timestamp: z.string(), complainedRecipients: recipients('emailAddress'), complaintFeedbackType: z.string().max(64).optional() }) }),
  z.object({ eventType: z.literal('Reject'), reject: z.object({ reason: z.string().max(256) }) }),
  z.object({ eventType: z.literal('DeliveryDelay'), deliveryDelay: z.object({ timestamp: z.string(), delayType: z.string().max(64), delayedRecipients: recipients('emailAddress') }) }),
]);

const mail = z.object({
  timestamp: z.string(),
  messageId: z.string().min(1).max(256),
  destination: z.array(address).min(1).max(100),
  tags: z.record(z.string(), z.array(z.string().max(256))).default({}),
});

/** One delivery event as the product records it. */
export interface DeliveryEvent {
  type: DeliveryEventType;
  messageId: string;
  at: string;
  /** The recipients the event is about (all of the message's for a Reject). */
  recipients: string[];
  /** Bounce: `Permanent/General`, `Permanent/Suppressed`, `Transient/MailboxFull` …; Complaint: its feedback type; Reject: SES's reason. */
  kind?: string;
  /** From the message's tags; absent for mail the product did not tag. */
  tags?: MailTags;
}

const tagOf = (tags: Record<string, string[]>, name: string) => (tags[name]?.[0] ? decodeTagValue(tags[name][0]) : undefined);

/** An EventBridge event from SES's event publishing, parsed at the edge of record-delivery-event. */
export const deliveryEventSchema = z
  .object({
    source: z.literal('aws.ses'),
    'detail-type': z.enum(Object.values(DELIVERY_EVENT_TYPES) as [string, ...string[]]),
    detail: z.intersection(z.object({ mail }), detail),
  })
  .transform(({ detail: d }): DeliveryEvent => {
    const caseId = tagOf(d.mail.tags, 'case');
    const mailKey = tagOf(d.mail.tags, 'mail');
    const stepKey = tagOf(d.mail.tags, 'step');
    const tags = caseId && CASE_ID_PATTERN.test(caseId) && mailKey ? { caseId, mailKey, ...(stepKey ? { stepKey } : {}) } : undefined;
    const base = { messageId: d.mail.messageId, ...(tags ? { tags } : {}) };
    switch (d.eventType) {
      case 'Delivery':
        return { ...base, type: 'Delivery', at: d.delivery.timestamp, recipients: d.delivery.recipients };
      case 'Bounce':
        return { ...base, type: 'Bounce', at: d.bounce.timestamp, recipients: d.bounce.bouncedRecipients, kind: `${d.bounce.bounceType}/${d.bounce.bounceSubType}` };
      case 'Complaint':
        return { ...base, type: 'Complaint', at: d.complaint.timestamp, recipients: d.complaint.complainedRecipients, ...(d.complaint.complaintFeedbackType ? { kind: d.complaint.complaintFeedbackType } : {}) };
      case 'Reject':
        return { ...base, type: 'Reject', at: d.mail.timestamp, recipients: d.mail.destination, kind: d.reject.reason };
      case 'DeliveryDelay':
        return { ...base, type: 'DeliveryDelay', at: d.deliveryDelay.timestamp, recipients: d.deliveryDelay.delayedRecipients, kind: d.deliveryDelay.delayType };
    }
  });

/**
 * Whether no further message to this address will arrive: a hard bounce (SES suppresses the address, or the
 * mailbox does not exist), a complaint (the person marked it as spam; sending again harms the account's
 * reputation), or a message SES refused to send. Soft bounces and delays are only recorded.
 */
export function isUndeliverable(event: DeliveryEvent): boolean {
  return event.type === 'Complaint' || event.type === 'Reject' || (event.type === 'Bounce' && event.kind?.startsWith('Permanent/') === true);
}

/** What happened, in the timeline's formal Polish. */
export function deliveryEventSummary(event: DeliveryEvent, recipient: string, stepTitle?: string): string {
  const message = stepTitle ? `Wiadomość w sprawie kroku „${stepTitle}”` : 'Wiadomość w sprawie';
  switch (event.type) {
    case 'Delivery':
      return `${message} została doręczona do: ${recipient}.`;
    case 'Bounce':
      return event.kind?.startsWith('Permanent/')
        ? `${message} nie została doręczona do: ${recipient} — adres odrzuca pocztę trwale (${event.kind}).`
        : `${message} nie została jeszcze doręczona do: ${recipient} — przejściowy błąd doręczenia (${event.kind}).`;
    case 'Complaint':
      return `Odbiorca ${recipient} zgłosił wiadomość w sprawie jako niechcianą; kolejne wiadomości na ten adres nie będą wysyłane.`;
    case 'Reject':
      return `${message} do: ${recipient} została odrzucona przez usługę pocztową i nie została wysłana (${event.kind}).`;
    case 'DeliveryDelay':
      return `Doręczenie wiadomości w sprawie do: ${recipient} jest opóźnione (${event.kind}); usługa pocztowa ponawia próby.`;
  }
}
