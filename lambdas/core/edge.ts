import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * What the pages take from the edge in front of them (CloudFront, lib/link-pages-distribution.ts): the header that
 * proves a request came through it, the viewer's address it forwards, and the HSTS every page carries.
 */

/** The header CloudFront adds to every request to the API (an origin custom header); its value is a secret. */
export const ORIGIN_VERIFICATION_HEADER = 'x-origin-verification';
/** The viewer's address and source port, set by CloudFront (never the client's own header: CloudFront overwrites it). */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';
/** Two years, subdomains included: browsers then never ask the pages over plain HTTP (the response-headers policy sends the same). */
export const HSTS_MAX_AGE_SECONDS = 63_072_000;
export const STRICT_TRANSPORT_SECURITY = `max-age=${HSTS_MAX_AGE_SECONDS}; includeSubDomains`;

/**
 * The viewer's IP from `CloudFront-Viewer-Address`: `198.51.100.10:46532`, or IPv6 unbracketed with the port after
 * the last colon (`2001:db8::1:46532`); a bracketed `[2001:db8::1]:46532` is accepted too. The port is dropped.
 */
export const viewerAddressSchema = z
  .string()
  .trim()
  .transform((value, ctx) => {
    const bracketed = /^\[([^\]]+)\]:\d{1,5}$/.exec(value);
    const separator = value.lastIndexOf(':');
    const ip = bracketed ? bracketed[1]! : separator > 0 && /^\d{1,5}$/.test(value.slice(separator + 1)) ? value.slice(0, separator) : '';
    if (isIP(ip) === 0) {
      ctx.addIssue({ code: 'custom', message: 'is not an address and port' });
      return z.NEVER;
    }
    return ip.toLowerCase();
  });

/** The edge's headers on a request (payload 2.0 lower-cases header names). */
export const edgeHeadersSchema = z.object({
  [ORIGIN_VERIFICATION_HEADER]: z.string().min(1),
  [VIEWER_ADDRESS_HEADER]: viewerAddressSchema,
});

/** Whether a request's origin-verification value is the secret, in time independent of where they differ (or of their lengths). */
export function isOriginSecret(given: string, secret: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret)) && secret.length > 0;
}

/** The viewer's IP of a request that came through the edge with the right secret; undefined for any other request. */
export function viewerOf(headers: Record<string, string | undefined>, secret: string): string | undefined {
  const parsed = edgeHeadersSchema.safeParse(headers);
  if (!parsed.success || !isOriginSecret(parsed.data[ORIGIN_VERIFICATION_HEADER], secret)) return undefined;
  return parsed.data[VIEWER_ADDRESS_HEADER];
}
