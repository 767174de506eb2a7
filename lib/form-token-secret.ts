import { RemovalPolicy } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * HMAC keys of the notification form's token (every rendering of the form carries one, the POST must return it).
 * Its own secret, not the link-signing one: the public form's function must not be able to mint action links.
 * Same format and rotation as LinkSigningSecret: `{"current":"k1","k1":"<64 random alphanumerics>"}`, generated
 * by Secrets Manager (never in the template); rotate by adding "k2" and pointing "current" at it, and drop "k1"
 * a day later (a token lives 24 hours). Nothing outstanding depends on it for longer, so it goes with the stack.
 */
export class FormTokenSecret extends Construct {
  public readonly secret: Secret;

  public constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new Secret(this, 'Secret', {
      description: 'Keys of the notification form token of the SD supplier change procedure',
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
        includeSpace: false,
      },
      removalPolicy: RemovalPolicy.DESTROY,
    });
  }
}
