import { describe, expect, it } from 'vitest';
import { decodeTagValue, deliveryEventSchema, encodeTagValue, isUndeliverable, mailTags } from '../../lambdas/core/delivery-events.js';
import { acceptedSend, simulatorEvents, type SimulatedSend } from '../../local/ses-simulator.js';

/**
 * SES's delivery events as record-delivery-event reads them (lambdas/core/delivery-events.ts), and the events
 * the local mailbox simulator builds for each simulator address (local/ses-simulator.ts).
 */
const WHERE = { region: 'eu-central-1', account: '000000000000' };
const send = (to: string[]): SimulatedSend => ({
  messageId: '0107018c-local-message',
  source: '"Zmiana dostawcy SD (MRPiPS)" <no-reply@zmiana-sd.local>',
  destination: to,
  configurationSet: 'zmiana-sd-local',
  tags: Object.fromEntries(mailTags({ caseId: 'ZSD-2026-00042', mailKey: 'request:MZT_DEACTIVATED.1:0', stepKey: 'MZT_DEACTIVATED.1' }).map((t) => [t.Name, t.Value])),
});
const parsedEvents = (address: string) => simulatorEvents(send([address, 'anna.kowalska@mops.przykladowo.pl']), address, new Date('2026-12-02T10:00:00Z'), WHERE).map((e) => deliveryEventSchema.parse(e));

describe('message tags', () => {
  it('carry the case, the message and the step in the characters SES allows, and read back the same', () => {
    // GIVEN keys with dots, colons and a non-ASCII letter WHEN encoded
    for (const value of ['ZSD-2026-00042', 'request:MZT_DEACTIVATED.1:0:final', 'zażółć_gęślą']) {
      const encoded = encodeTagValue(value);
      // THEN only [A-Za-z0-9_-] is used, and decoding gives the value back
      expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeTagValue(encoded)).toBe(value);
    }
    expect(mailTags({ caseId: 'ZSD-2026-00042', mailKey: 'notice:x' }).map((t) => t.Name)).toEqual(['case', 'mail']);
  });
});

describe("the simulator's events, read by record-delivery-event", () => {
  it('success@ and ooto@: one delivery to that recipient, with the tags of the send', () => {
    for (const address of ['success@simulator.amazonses.com', 'ooto@simulator.amazonses.com']) {
      const events = parsedEvents(address);
      expect(events).toEqual([
        { type: 'Delivery', messageId: '0107018c-local-message', at: '2026-12-02T10:00:00.000Z', recipients: [address], tags: { caseId: 'ZSD-2026-00042', mailKey: 'request:MZT_DEACTIVATED.1:0', stepKey: 'MZT_DEACTIVATED.1' } },
      ]);
      expect(events.some(isUndeliverable)).toBe(false);
    }
  });

  it('bounce@: a hard bounce (Permanent/General); suppressionlist@: Permanent/Suppressed; both make the address unreachable', () => {
    expect(parsedEvents('bounce@simulator.amazonses.com')).toMatchObject([{ type: 'Bounce', kind: 'Permanent/General', recipients: ['bounce@simulator.amazonses.com'] }]);
    expect(parsedEvents('suppressionlist@simulator.amazonses.com')).toMatchObject([{ type: 'Bounce', kind: 'Permanent/Suppressed', recipients: ['suppressionlist@simulator.amazonses.com'] }]);
    expect(parsedEvents('bounce@simulator.amazonses.com').every(isUndeliverable)).toBe(true);
  });

  it('complaint@: delivered, then a complaint, which makes the address unreachable', () => {
    const events = parsedEvents('complaint@simulator.amazonses.com');
    expect(events.map((e) => [e.type, e.kind])).toEqual([['Delivery', undefined], ['Complaint', 'abuse']]);
    expect(events.map(isUndeliverable)).toEqual([false, true]);
  });

  it('a soft bounce and a delivery delay are not a reason to stop writing', () => {
    const base = { source: 'aws.ses', detail: { mail: { timestamp: '2026-12-02T10:00:00Z', messageId: 'm', destination: ['a@b.pl'] } } };
    const soft = deliveryEventSchema.parse({ ...base, 'detail-type': 'Email Bounced', detail: { ...base.detail, eventType: 'Bounce', bounce: { timestamp: 't', bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: 'a@b.pl' }] } } });
    const delayed = deliveryEventSchema.parse({ ...base, 'detail-type': 'Email Delivery Delayed', detail: { ...base.detail, eventType: 'DeliveryDelay', deliveryDelay: { timestamp: 't', delayType: 'MailboxFull', delayedRecipients: [{ emailAddress: 'a@b.pl' }] } } });
    expect([soft, delayed].map(isUndeliverable)).toEqual([false, false]);
    // AND mail without the product's tags is about no case
    expect(soft.tags).toBeUndefined();
  });

  it('refuses an event that is not an SES delivery event, naming the field', () => {
    const result = deliveryEventSchema.safeParse({ source: 'aws.ses', 'detail-type': 'Email Opened', detail: {} });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain('detail-type');
  });
});

describe('what the simulator sees of a send', () => {
  it('publishes only for SendEmail that SES accepted and that names a configuration set, as SES does', () => {
    const body = new URLSearchParams({
      Action: 'SendEmail',
      Source: 'no-reply@zmiana-sd.local',
      'Destination.ToAddresses.member.1': 'bounce@simulator.amazonses.com',
      'Destination.CcAddresses.member.1': 'success@simulator.amazonses.com',
      ConfigurationSetName: 'zmiana-sd-local',
      'Tags.member.1.Name': 'case',
      'Tags.member.1.Value': 'ZSD-2026-00042',
    }).toString();
    const accepted = '<SendEmailResponse><SendEmailResult><MessageId>abc-1</MessageId></SendEmailResult></SendEmailResponse>';
    expect(acceptedSend(body, accepted)).toEqual({
      messageId: 'abc-1',
      source: 'no-reply@zmiana-sd.local',
      destination: ['bounce@simulator.amazonses.com', 'success@simulator.amazonses.com'],
      configurationSet: 'zmiana-sd-local',
      tags: { case: 'ZSD-2026-00042' },
    });
    expect(acceptedSend(body.replace(/&ConfigurationSetName=[^&]+/, ''), accepted)).toBeUndefined();
    expect(acceptedSend(body, '<ErrorResponse><Error><Code>MessageRejected</Code></Error></ErrorResponse>')).toBeUndefined();
  });
});
