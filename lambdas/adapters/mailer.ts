import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { mailConfig, once } from './runtime.js';
import type { EmailMessage } from '../core/emails.js';

/** Sends one Polish e-mail (HTML with a plain-text part) from the configured sender through SES. */
export class Mailer {
  constructor(
    private readonly ses: SESClient,
    private readonly sender: string,
  ) {}

  async send(message: EmailMessage): Promise<string | undefined> {
    const out = await this.ses.send(
      new SendEmailCommand({
        // Quoted: unquoted parentheses in a display name are an address comment.
        Source: `"Zmiana dostawcy SD (MRPiPS)" <${this.sender}>`,
        Destination: { ToAddresses: message.to, ...(message.cc.length ? { CcAddresses: message.cc } : {}) },
        Message: {
          Subject: { Data: message.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
        },
      }),
    );
    return out.MessageId;
  }
}

/** The mailer of this Lambda environment (see once() in runtime.ts). */
export const mailer = once(() => new Mailer(new SESClient({}), mailConfig().SENDER_EMAIL));
