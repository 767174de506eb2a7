import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalLambda } from './stepfunctions/index.js';

/**
 * SES's mailbox simulator and event publishing, locally. On AWS, a message sent with a configuration set to
 * one of the simulator's addresses (https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator)
 * produces the events a real mailbox would, and the configuration set's event destination publishes them; here
 * a small HTTP proxy in front of the SES stand-in (aws-ses-v2-local, which only stores mail) sees each
 * SendEmail that SES accepted and, for its simulator recipients, builds those events in the shape SES publishes
 * to EventBridge (the event-publishing record, https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-contents.html,
 * as `detail` of an `aws.ses` event, https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html) and
 * hands them to record-delivery-event asynchronously, as the rule in lib/delivery-event-watch.ts does:
 *   - success@  → Delivery;
 *   - bounce@   → Bounce, Permanent/General (SMTP 550 5.1.1);
 *   - suppressionlist@ → Bounce, Permanent/Suppressed (SES refuses to deliver to an address on its suppression list);
 *   - complaint@ → Delivery, then Complaint (the mailbox accepts it, the person marks it as spam);
 *   - ooto@     → Delivery (the out-of-office reply goes to the sender's Return-Path; SES publishes no event for it).
 * Other recipients get no events (the stand-in has no mailboxes to deliver to). Like SES, nothing is published
 * for a send that names no configuration set.
 */
export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';
export type SimulatorMailbox = 'success' | 'bounce' | 'suppressionlist' | 'complaint' | 'ooto';

export interface SimulatedSend {
  messageId: string;
  source: string;
  destination: string[];
  configurationSet: string;
  /** The message tags of the send, as given. */
  tags: Record<string, string>;
}

export interface SesEventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ses';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** The mailbox a simulator address stands for (the local part may carry a `+label`, as SES allows). */
export function simulatorMailbox(address: string): SimulatorMailbox | undefined {
  const [local, domain] = address.toLowerCase().split('@');
  if (domain !== SIMULATOR_DOMAIN || !local) return undefined;
  const mailbox = local.split('+')[0];
  return (['success', 'bounce', 'suppressionlist', 'complaint', 'ooto'] as const).find((m) => m === mailbox);
}

/** The events SES publishes for one simulator recipient of a send, in the order it publishes them. */
export function simulatorEvents(send: SimulatedSend, recipient: string, at: Date, where: { region: string; account: string }): SesEventBridgeEvent[] {
  const mailbox = simulatorMailbox(recipient);
  if (!mailbox) return [];
  const time = at.toISOString();
  const mail = {
    timestamp: time,
    source: send.source,
    sendingAccountId: where.account,
    messageId: send.messageId,
    destination: send.destination,
    headersTruncated: false,
    tags: {
      'ses:configuration-set': [send.configurationSet],
      'ses:source-ip': ['127.0.0.1'],
      'ses:from-domain': [send.source.replace(/^.*@/, '').replace(/>$/, '')],
      'ses:caller-identity': ['local'],
      ...Object.fromEntries(Object.entries(send.tags).map(([name, value]) => [name, [value]])),
    },
  };
  const event = (detailType: string, detail: Record<string, unknown>): SesEventBridgeEvent => ({
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.ses',
    account: where.account,
    time,
    region: where.region,
    resources: [`arn:aws:ses:${where.region}:${where.account}:configuration-set/${send.configurationSet}`],
    detail: { ...detail, mail },
  });
  const delivery = event('Email Delivered', {
    eventType: 'Delivery',
    delivery: { timestamp: time, processingTimeMillis: 1, recipients: [recipient], smtpResponse: '250 2.6.0 Message received', reportingMTA: 'a1-1.smtp-out.amazonses.com' },
  });
  const bounce = (bounceSubType: string, diagnosticCode: string) =>
    event('Email Bounced', {
      eventType: 'Bounce',
      bounce: { feedbackId: randomUUID(), bounceType: 'Permanent', bounceSubType, bouncedRecipients: [{ emailAddress: recipient, action: 'failed', status: '5.1.1', diagnosticCode }], timestamp: time, reportingMTA: 'dns; amazonses.com' },
    });
  switch (mailbox) {
    case 'success':
    case 'ooto':
      return [delivery];
    case 'bounce':
      return [bounce('General', 'smtp; 550 5.1.1 user unknown')];
    case 'suppressionlist':
      return [bounce('Suppressed', 'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.')];
    case 'complaint':
      return [delivery, event('Email Complaint Received', { eventType: 'Complaint', complaint: { feedbackId: randomUUID(), complainedRecipients: [{ emailAddress: recipient }], timestamp: time, userAgent: 'Amazon SES Mailbox Simulator', complaintFeedbackType: 'abuse', arrivalDate: time } })];
  }
}

/** A SendEmail (SES v1 query API) that SES accepted: its parameters and the MessageId of the answer. */
export function acceptedSend(requestBody: string, responseBody: string): SimulatedSend | undefined {
  const params = new URLSearchParams(requestBody);
  const messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(responseBody)?.[1];
  const configurationSet = params.get('ConfigurationSetName');
  if (params.get('Action') !== 'SendEmail' || !messageId || !configurationSet) return undefined;
  const destination: string[] = [];
  const tags: Record<string, { name?: string; value?: string }> = {};
  for (const [key, value] of params) {
    if (/^Destination\.(To|Cc|Bcc)Addresses\.member\.\d+$/.test(key)) destination.push(value);
    const tag = /^Tags\.member\.(\d+)\.(Name|Value)$/.exec(key);
    if (tag) tags[tag[1]!] = { ...tags[tag[1]!], [tag[2] === 'Name' ? 'name' : 'value']: value };
  }
  return {
    messageId,
    source: params.get('Source') ?? '',
    destination,
    configurationSet,
    tags: Object.fromEntries(Object.values(tags).flatMap((t) => (t.name && t.value !== undefined ? [[t.name, t.value]] : []))),
  };
}

export interface LocalSesSimulator {
  /** The endpoint to give the SDK (AWS_ENDPOINT_URL_SES, or the fault layer's upstream). */
  url: string;
  /** Resolves when every event published so far has been handled (the stack waits before it stops). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const readAll = async (stream: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
};

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

/** Starts the simulator in front of the SES stand-in at `upstream`; events go to `recordDeliveryEvent`. */
export async function startSesSimulator(options: { upstream: string; host: string; region: string; account: string; recordDeliveryEvent: LocalLambda }): Promise<LocalSesSimulator> {
  const inFlight = new Set<Promise<void>>();
  const publish = (events: SesEventBridgeEvent[]) => {
    // One after the other, as a complaint follows its delivery.
    const delivery: Promise<void> = events
      .reduce<Promise<unknown>>((previous, event) => previous.then(() => options.recordDeliveryEvent(event)), Promise.resolve())
      .then(
        () => undefined,
        (error: unknown) => console.error('record-delivery-event failed:', error),
      )
      .finally(() => inFlight.delete(delivery));
    inFlight.add(delivery);
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const headers = Object.fromEntries(Object.entries(req.headers).filter(([name, value]) => value !== undefined && !HOP_BY_HOP.has(name)) as [string, string][]);
      const answer = await fetch(new URL(req.url ?? '/', options.upstream), { method: req.method, headers, ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }) });
      const text = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml', 'content-length': String(text.length) });
      res.end(text);
      if (answer.status !== 200 || req.method !== 'POST') return;
      const send = acceptedSend(body.toString('utf8'), text.toString('utf8'));
      if (!send) return;
      const at = new Date();
      const events = send.destination.flatMap((recipient) => simulatorEvents(send, recipient, at, options));
      if (events.length) publish(events);
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`SES simulator: ${error instanceof Error ? error.message : String(error)}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const settled = async () => {
    // A handled event may send mail (to MRPiPS) that publishes more: wait until none is left.
    while (inFlight.size) await Promise.all([...inFlight]);
  };
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    settled,
    async close() {
      await settled();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
