import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  AllowedMethods,
  CachedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  OriginProtocolPolicy,
  OriginRequestCookieBehavior,
  OriginRequestHeaderBehavior,
  OriginRequestPolicy,
  OriginRequestQueryStringBehavior,
  OriginSslPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { HttpOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { HSTS_MAX_AGE_SECONDS, ORIGIN_VERIFICATION_HEADER, VIEWER_ADDRESS_HEADER } from '../lambdas/core/edge.js';
import { PAGE_SECURITY_HEADERS } from '../lambdas/core/html.js';

export interface LinkPagesDistributionProps {
  /** The HTTP API of the link pages (LinkPagesApi), the one origin. */
  readonly httpApi: HttpApi;
  /** ARN of the web ACL (LinkPagesWebAcl, in us-east-1). */
  readonly webAclArn: string;
}

/**
 * The viewer headers the pages read: the body's type (form posts arrive base64-encoded, lambdas/adapters/http.ts), the
 * user agent recorded with a confirmation, and what a cross-site check reads (Origin, Sec-Fetch-Site); with the
 * viewer's address CloudFront adds itself. Not Host: API Gateway routes by its own host name.
 */
export const FORWARDED_HEADERS = ['content-type', 'user-agent', 'origin', 'sec-fetch-site', VIEWER_ADDRESS_HEADER] as const;

/**
 * CloudFront in front of the link pages' HTTP API: HTTPS only (viewers redirected, TLS 1.2 to the origin), nothing
 * cached (CachingDisabled: every page is personal or signed), the query string, the FORWARDED_HEADERS and the body
 * passed on for every method the routes take, AWS WAF (LinkPagesWebAcl) on every request, and a response-headers
 * policy with HSTS and the pages' security headers on every answer, API Gateway's own (404, 429, 500) included.
 *
 * CloudFront adds the origin-verification header to every request to the API; its value is a generated secret in
 * Secrets Manager, in the template only as a dynamic reference that CloudFormation resolves at deploy time, and the
 * page functions refuse every request without it (lambdas/adapters/http.ts pageHandler): the API's own endpoint
 * answers nothing but a 403 page, so WAF cannot be bypassed.
 */
export class LinkPagesDistribution extends Construct {
  public readonly distribution: Distribution;
  public readonly originSecret: Secret;
  public readonly responseHeaders: ResponseHeadersPolicy;
  public readonly originRequests: OriginRequestPolicy;

  public constructor(scope: Construct, id: string, props: LinkPagesDistributionProps) {
    super(scope, id);
    this.originSecret = new Secret(this, 'OriginVerification', {
      description: `Value of the ${ORIGIN_VERIFICATION_HEADER} header CloudFront sends to the link pages' HTTP API`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true, includeSpace: false },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.responseHeaders = new ResponseHeadersPolicy(this, 'ResponseHeaders', {
      comment: 'Zmiana dostawcy SD: HSTS and the pages security headers on every answer',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.seconds(HSTS_MAX_AGE_SECONDS), includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        // The pages' own policy is the same; API Gateway's JSON answers get it from here.
        contentSecurityPolicy: { contentSecurityPolicy: PAGE_SECURITY_HEADERS['content-security-policy'], override: true },
      },
      customHeadersBehavior: { customHeaders: [{ header: 'cache-control', value: PAGE_SECURITY_HEADERS['cache-control'], override: true }] },
    });

    this.originRequests = new OriginRequestPolicy(this, 'OriginRequests', {
      comment: 'Zmiana dostawcy SD: query string, the headers the pages read and the viewer address; no cookies',
      queryStringBehavior: OriginRequestQueryStringBehavior.all(),
      headerBehavior: OriginRequestHeaderBehavior.allowList(...FORWARDED_HEADERS),
      cookieBehavior: OriginRequestCookieBehavior.none(),
    });

    // https://<id>.execute-api.<region>.amazonaws.com → its host name.
    const apiDomain = Fn.select(2, Fn.split('/', props.httpApi.apiEndpoint));
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Zmiana dostawcy SD: link pages',
      defaultBehavior: {
        origin: new HttpOrigin(apiDomain, {
          protocolPolicy: OriginProtocolPolicy.HTTPS_ONLY,
          originSslProtocols: [OriginSslPolicy.TLS_V1_2],
          customHeaders: { [ORIGIN_VERIFICATION_HEADER]: this.originSecret.secretValue.unsafeUnwrap() },
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachedMethods: CachedMethods.CACHE_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        originRequestPolicy: this.originRequests,
        responseHeadersPolicy: this.responseHeaders,
        compress: true,
      },
      webAclId: props.webAclArn,
      httpVersion: HttpVersion.HTTP2_AND_3,
      // Participants are in Poland: edge locations in Europe and North America suffice.
      priceClass: PriceClass.PRICE_CLASS_100,
    });
  }

  /** https://<id>.cloudfront.net — no trailing slash: the base of every link in e-mails (PUBLIC_BASE_URL). */
  public get url(): string {
    return `https://${this.distribution.distributionDomainName}`;
  }
}
