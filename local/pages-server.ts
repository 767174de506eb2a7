import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { LINK_PAGE_ROUTES, type LinkPageRoute, type PageAction, type RouteMethod } from '../lib/link-page-routes.js';

export type HttpLambda = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** The function behind each page action; the stack fills it in once the handlers are loaded (they need the server's URL). */
export type PageHandlers = Partial<Record<PageAction, HttpLambda>>;

/**
 * The HTTP API of lib/link-pages-api.ts on this machine: the same route table (lib/link-page-routes.ts), and
 * API Gateway's own answers where no handler is reached, so the handlers and the tests meet what AWS sends.
 * In the local stack it is the API's own endpoint, behind the CloudFront and WAF model (local/edge.ts) on the public
 * port: the page functions refuse what reaches it without the edge's origin-verification header, as on AWS.
 */

// HTTP APIs take request bodies up to 10 MB (API Gateway's quotas, "HTTP API quotas"); its front end answers a larger one
// itself, in plain text, before any route is selected. Observed on AWS: 413 `content-type: text; charset=utf-8`
// "HTTP content length exceeded 10485760 bytes." (github.com/koki-develop/lgtm-generator/issues/10).
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
// Lambda's synchronous invocation payload limit (6 MB): a larger response fails the invocation ("Exceeded maximum
// allowed payload size (6291556 bytes)", errorType RequestEntityTooLarge), which API Gateway answers as an integration failure.
const MAX_LAMBDA_RESPONSE_BYTES = 6_291_556;

/** The route API Gateway selects and the route key it puts on the event. */
export interface SelectedRoute {
  routeKey: string;
  target: PageAction;
}

/**
 * Route selection of HTTP APIs ("Routing API requests",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html#http-api-develop-routes.evaluation):
 * a route naming the path and the method wins over the path's `ANY` route; no match (these routes have no path
 * variables and there is no `$default` route) is API Gateway's 404.
 */
export function selectRoute(routes: readonly LinkPageRoute[], method: string, path: string): SelectedRoute | undefined {
  const ofPath = routes.filter((route) => route.path === path);
  for (const key of [method as RouteMethod, 'ANY' as const]) {
    const route = ofPath.find((r) => r.methods.includes(key));
    if (route) return { routeKey: `${key} ${path}`, target: route.target };
  }
  return undefined;
}

/**
 * Whether an HTTP API passes a request body to Lambda as text. Payload format 2.0 sends other bodies base64-encoded
 * with `isBase64Encoded: true` ("Create AWS Lambda proxy integrations for HTTP APIs",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html); AWS does not
 * list which types count as text. Verified against AWS (github.com/ministackorg/ministack/pull/766): `text/*`,
 * `application/json`, `application/xml` and `application/javascript` only, so a form post
 * (`application/x-www-form-urlencoded`, `multipart/form-data`) and a body without a content type arrive base64-encoded.
 */
export function passesAsText(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return type.startsWith('text/') || type === 'application/json' || type === 'application/xml' || type === 'application/javascript';
}

/** Reads the whole body (the client is still sending it); undefined once it passes HTTP API's limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Read to the end but not kept: answering before the upload ends would reset the connection under the client.
    if (size <= MAX_REQUEST_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_REQUEST_BYTES ? undefined : Buffer.concat(chunks);
}

/** Builds the payload-2.0 event API Gateway would send for the selected route, so the handlers run exactly as deployed. */
function toEvent(req: IncomingMessage, routeKey: string, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  const now = Date.now();
  const text = passesAsText(headers['content-type']);
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: `HTTP/${req.httpVersion}`, sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
      requestId: `${now}-${Math.random().toString(36).slice(2)}`,
      routeKey,
      stage: '$default',
      time: new Date(now).toISOString(),
      timeEpoch: now,
    },
    // A request without a body has no `body` field.
    ...(body.length ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0 && !text,
  } as APIGatewayProxyEventV2;
}

/** API Gateway's own JSON answers (no route; a failed integration). */
function gatewayAnswer(res: ServerResponse, status: 404 | 500, message: 'Not Found' | 'Internal Server Error'): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
}

export function startPagesServer(
  handlers: PageHandlers,
  host: string,
  port: number,
  routes: readonly LinkPageRoute[] = LINK_PAGE_ROUTES,
): Promise<{ server: Server; url: string; requests: Map<string, number> }> {
  /** Requests handed to a route, by `METHOD /path` (what API Gateway would bill). */
  const requests = new Map<string, number>();
  const server = createServer(async (req, res) => {
    try {
      const body = await readBody(req);
      if (!body) {
        res.writeHead(413, { 'content-type': 'text; charset=utf-8' }).end(`HTTP content length exceeded ${MAX_REQUEST_BYTES} bytes.`);
        return;
      }
      const method = req.method ?? 'GET';
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      const route = selectRoute(routes, method, path);
      if (!route) {
        gatewayAnswer(res, 404, 'Not Found');
        return;
      }
      const handler = handlers[route.target];
      if (!handler) throw new Error(`no handler for ${route.target}`);
      const key = `${method} ${path}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      const result = await handler(toEvent(req, route.routeKey, body));
      if (Buffer.byteLength(JSON.stringify(result)) > MAX_LAMBDA_RESPONSE_BYTES) {
        console.error('pages server: response over Lambda’s payload limit', route.routeKey);
        gatewayAnswer(res, 500, 'Internal Server Error');
        return;
      }
      res.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
      res.end(result.body ?? '');
    } catch (error) {
      // A failed invocation (an unhandled error, a timeout) is what API Gateway answers for any integration failure.
      console.error('pages server error', error instanceof Error ? error.name : error);
      if (res.headersSent) res.end();
      else gatewayAnswer(res, 500, 'Internal Server Error');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve({ server, url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`, requests });
    });
  });
}
