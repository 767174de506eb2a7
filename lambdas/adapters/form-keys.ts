import { keySecret } from './key-secrets.js';

/**
 * The HMAC keys of the notification form's token: FORM_KEYS_SECRET_ARN on AWS, FORM_TOKEN_KEYS in the local stack.
 * A secret of their own, so the public form's function holds no key that signs action links.
 */
export const loadFormKeys = keySecret('Form token keys', 'FORM_KEYS_SECRET_ARN', 'FORM_TOKEN_KEYS');
