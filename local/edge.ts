import { request as httpRequest, createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ORIGIN_VERIFICATION_HEADER, VIEWER_ADDRESS_HEADER } from '../lambdas/core/edge.js';
import { PAGE_SECURITY_HEADERS } from '../lambdas/core/html.js';
import { FORM_POST_PATHS, RATE_LIMITED_ANSWER } from '../lib/link-page-routes.js';
import { FORWARDED_HEADERS } from '../lib/link-pages-distribution.js';

/**
 * CloudFront and AWS WAF in front of the local pages server, as lib/link-pages-distribution.ts and
 * lib/link-pages-web-acl.ts deploy them; the public port (`PAGES_PORT`, what `npm start` prints and the tests use)
 * is this server, the pages server behind it stands for the API's own endpoint.
 *
 * Modelled as on AWS:
 * - the origin request policy: only FORWARDED_HEADERS reach the origin; CloudFront-Viewer-Address is set from the
 *   socket (address and source port, IPv6 unbracketed), overwriting any a client sends; the origin-verification
 *   header is added with the stack's secret, overwriting any a client sends;
 * - the web ACL's rate-based rule: form POSTs (FORM_POST_PATHS) counted per client address over a trailing window
 *   (AWS: 5 minutes, `FORM_POST_RATE_WINDOW_SECONDS` here), every matching request counted, blocked ones too; a
 *   client over the limit gets WAF's custom response (RATE_LIMITED_ANSWER) before any function runs, others go on;
 * - the response-headers policy: the pages' security headers (HSTS among them) on every answer, API Gateway's own
 *   404/413/500 included, overriding the origin's.
 * Differs: no TLS (plain HTTP on loopback, so no redirect to HTTPS), no caching to model (CachingDisabled), none of
 * the managed rule groups (AWS's rules are not published), WAF counts exactly here while AWS's counts are
 * approximate and take effect within seconds, and no edge-location timeouts or size limits.
 */

export interface EdgeOptions {
  /** The origin (the pages server's URL). */
  readonly origin: string;
  /** The origin-verification header's value, which the page functions expect (ORIGIN_VERIFICATION_VALUE). */
  readonly originSecret: string;
  /** The web ACL's rate rule (lib/config.ts formPostsPerClient). */
  readonly formPostsPerClient: number;
  readonly windowSeconds: number;
  readonly host: string;
  readonly port: number;
  /** Clock of the rate rule (tests move it instead of waiting). */
  readonly now?: () => number;
}

export interface LocalEdge {
  readonly server: Server;
  readonly url: string;
}

/** The client's IP as CloudFront sees it: IPv4 as is (not IPv4-mapped IPv6), IPv6 as is. */
const clientIp = (address: string | undefined): string => (address ?? '').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const name of [...FORWARDED_HEADERS, 'content-length', 'transfer-encoding']) {
    const value = headers[name];
    if (value !== undefined) kept[name] = Array.isArray(value) ? value.join(',') : value;
  }
  return kept;
}

export function startLocalEdge(options: EdgeOptions): Promise<LocalEdge> {
  const now = options.now ?? Date.now;
  /** Form POSTs per client address, the times they arrived (ms), within the window. */
  const formPosts = new Map<string, number[]>();
  const overLimit = (ip: string): boolean => {
    const since = now() - options.windowSeconds * 1000;
    const times = (formPosts.get(ip) ?? []).filter((time) => time > since);
    times.push(now());
    formPosts.set(ip, times);
    return times.length > options.formPostsPerClient;
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const ip = clientIp(req.socket.remoteAddress);
    if (req.method === 'POST' && FORM_POST_PATHS.includes(path) && overLimit(ip)) {
      req.resume();
      res.writeHead(RATE_LIMITED_ANSWER.status, { 'content-type': 'text/html', ...RATE_LIMITED_ANSWER.headers }).end(RATE_LIMITED_ANSWER.body);
      return;
    }
    const upstream = httpRequest(
      new URL(req.url ?? '/', options.origin),
      {
        method: req.method,
        headers: {
          ...forwardedHeaders(req.headers),
          // IPv6 unbracketed, the port after the last colon, as CloudFront writes it.
          [VIEWER_ADDRESS_HEADER]: `${ip}:${req.socket.remotePort ?? 0}`,
          [ORIGIN_VERIFICATION_HEADER]: options.originSecret,
        },
      },
      (answer) => {
        const headers: Record<string, string | string[]> = {};
        for (const [name, value] of Object.entries(answer.headers)) if (value !== undefined) headers[name] = value;
        res.writeHead(answer.statusCode ?? 502, { ...headers, ...PAGE_SECURITY_HEADERS });
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      // CloudFront's own answer when the origin cannot be reached.
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain', ...PAGE_SECURITY_HEADERS });
      res.end('502 Bad Gateway');
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      const address = server.address() as AddressInfo;
      resolve({ server, url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${address.port}` });
    });
  });
}
