import { statusLinks, type StatusLinks } from '../core/links.js';
import { keySecret } from './key-secrets.js';
import { mailConfig } from './runtime.js';

/** The keys of the confirmation links, which act on a step: LINK_KEYS_SECRET_ARN on AWS, LINK_SIGNING_KEYS locally. */
export const loadSigningKeys = keySecret('Link signing keys', 'LINK_KEYS_SECRET_ARN', 'LINK_SIGNING_KEYS');

/**
 * The keys of the read-only status links only (STATUS_KEYS_SECRET_ARN, locally STATUS_LINK_KEYS): the status page
 * holds no key that could mint an action link.
 */
export const loadStatusKeys = keySecret('Status link keys', 'STATUS_KEYS_SECRET_ARN', 'STATUS_LINK_KEYS');

/** Read-only status links for e-mails, signed with the current status key. */
export async function loadStatusLinks(): Promise<StatusLinks> {
  return statusLinks(mailConfig().PUBLIC_BASE_URL, await loadStatusKeys());
}
