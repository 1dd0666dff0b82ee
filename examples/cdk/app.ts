/**
 * An S3 bucket behind a CloudFront distribution, read by several sites through one cache:
 * cloudfront-cors' construct on the default behavior. The stack may live in any region; the
 * Lambda@Edge functions go to a us-east-1 support stack on their own.
 *
 *   npx cdk synth     (runs this file through cdk.json, and writes the templates to ./cdk.out)
 */
import { App, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { CloudFrontCors } from 'cloudfront-cors/cdk';

class AssetsStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const bucket = new s3.Bucket(this, 'Assets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The policy in ./cors.config.json, built at synth time; a policy object works too.
    const cors = new CloudFrontCors(this, 'Cors', { config: 'cors.config.json' });
    new cloudfront.Distribution(this, 'Distribution', {
      comment: 'assets for app.example.com and its preview sites',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        ...cors.behaviorOptions,
      },
    });
  }
}

const app = new App();
new AssetsStack(app, 'Assets', {
  env: { account: process.env['CDK_DEFAULT_ACCOUNT'] ?? '123456789012', region: process.env['CDK_DEFAULT_REGION'] ?? 'eu-west-1' },
});
app.synth();
