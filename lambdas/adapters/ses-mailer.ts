import { SendEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { once } from './runtime.js';
import { sdkClientOptions } from './sdk-client-options.js';
import { mailTags, type MailTags } from '../core/delivery-events.js';
import type { EmailMessage } from '../core/emails.js';
import { parseConfig, sesConfigSchema } from '../core/config.js';
import type { Mailer } from '../core/outbox.js';
import { EmailRejected, SendingPaused, SendingRateExceeded, SesAccessDenied } from '../core/errors.js';

/** SES's answers when the account's sending rate or daily quota is used up (SES v1 `Throttling`). */
const SES_THROTTLING = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException']);

/**
 * SES's answers that no retry can change (SES v1 SendEmail errors, https://docs.aws.amazon.com/ses/latest/APIReference/API_SendEmail.html,
 * and IAM's AccessDenied), each with the error Step Functions sees and what it says went wrong.
 */
const SES_PERMANENT: Record<string, { error: new (message: string, options: ErrorOptions) => Error; what: string }> = {
  MessageRejected: { error: EmailRejected, what: 'SES rejected the message' },
  AccountSendingPausedException: { error: SendingPaused, what: 'sending is paused for the SES account' },
  AccessDenied: { error: SesAccessDenied, what: 'this function may not send through SES as the sender' },
  AccessDeniedException: { error: SesAccessDenied, what: 'this function may not send through SES as the sender' },
};

/**
 * Sends one Polish e-mail (HTML with a plain-text part) from the configured sender through SES — only the
 * send-email function does, draining the outbox (adapters/outbox.ts) — with the
 * configuration set whose event destination reports its delivery, bounces and complaints (when one is given),
 * and message tags naming the case, the message and the step (core/delivery-events.ts), which come back in
 * those events.
 */
export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESClient,
    private readonly sender: string,
    private readonly configurationSet?: string,
  ) {}

  async send(message: EmailMessage, about: MailTags): Promise<string | undefined> {
    const command = new SendEmailCommand({
      ...(this.configurationSet ? { ConfigurationSetName: this.configurationSet } : {}),
      Tags: mailTags(about),
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
      const permanent = error instanceof Error ? SES_PERMANENT[error.name] : undefined;
      if (permanent) {
        const recipients = [...message.to, ...message.cc].join(', ');
        throw new permanent.error(`Not sent to ${recipients}: ${permanent.what} (${(error as Error).name}: ${(error as Error).message})`, { cause: error });
      }
      throw error;
    }
  }
}

/** SES as this Lambda environment sends with it (see once() in runtime.ts). */
export const sesMailer = once(() => {
  const config = parseConfig(sesConfigSchema, process.env);
  return new SesMailer(new SESClient(sdkClientOptions()), config.SENDER_EMAIL, config.SES_CONFIGURATION_SET);
});
