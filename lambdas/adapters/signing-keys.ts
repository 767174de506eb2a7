import { statusLinks, type StatusLinks } from '../core/links.js';
import { keySecret } from './key-secrets.js';
import { mailConfig } from './runtime.js';

/** The HMAC keys for links: LINK_KEYS_SECRET_ARN on AWS, LINK_SIGNING_KEYS in the local stack. */
export const loadSigningKeys = keySecret('Link signing keys', 'LINK_KEYS_SECRET_ARN', 'LINK_SIGNING_KEYS');

/** Read-only status links for e-mails, signed with the current link key. */
export async function statusLinksNow(): Promise<StatusLinks> {
  return statusLinks(mailConfig().PUBLIC_BASE_URL, await loadSigningKeys(), Math.floor(Date.now() / 1000));
}
