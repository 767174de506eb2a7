import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { mailConfig, once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';
import type { EmailMessage } from '../core/emails.js';
import { SendingRateExceeded } from '../core/errors.js';

/** SES's answers when the account's sending rate or daily quota is used up (SES v1 `Throttling`). */
const SES_THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException']);

/** Sends one Polish e-mail (HTML with a plain-text part) from the configured sender through SES. */
export class Mailer {
  constructor(
    private readonly ses: SESClient,
    private readonly sender: string,
  ) {}

  async send(message: EmailMessage): Promise<string | undefined> {
    const command = new SendEmailCommand({
      // Quoted: unquoted parentheses in a display name are an address comment.
      Source: `"Zmiana dostawcy SD (MRPiPS)" <${this.sender}>`,
      Destination: { ToAddresses: message.to, ...(message.cc.length ? { CcAddresses: message.cc } : {}) },
      Message: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
      },
    });
    try {
      return (await this.ses.send(command)).MessageId;
    } catch (error) {
      // The SDK has already retried a few times; what is left is a quota that drains only at its own pace.
      if (error instanceof Error && SES_THROTTLING.has(error.name)) throw new SendingRateExceeded(`SES: ${error.message}`, { cause: error });
      throw error;
    }
  }
}

/** The mailer of this Lambda environment (see once() in runtime.ts). */
export const mailer = once(() => new Mailer(new SESClient(sdkClientOptions()), mailConfig().SENDER_EMAIL));
