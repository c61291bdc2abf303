import { S3Client } from '@aws-sdk/client-s3';

export interface S3Settings {
  bucket: string;
  /** "" or "some/prefix/": prepended to every key. */
  prefix: string;
  /** Unset means AWS S3. */
  endpoint?: string | undefined;
  forcePathStyle?: boolean | undefined;
  /** Unset: the AWS chain's region (AWS_REGION, profile), or us-east-1 for a custom endpoint. */
  region?: string | undefined;
  /** Total tries per request, the first included; the SDK backs off between them. */
  maxAttempts?: number;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * One S3 client for AWS, MinIO and the embedded server. Non-AWS endpoints get path-style
 * addressing and checksums only WHEN_REQUIRED: MinIO versions and s3rver reject or ignore the
 * flexible checksums that SDK 3.7xx+ sends by default. Retries on 5xx and throttling come from
 * the SDK's standard retry strategy (exponential backoff with jitter).
 */
export function createS3Client(settings: S3Settings): S3Client {
  const custom = settings.endpoint !== undefined;
  const region = settings.region ?? (custom ? 'us-east-1' : undefined);
  return new S3Client({
    ...(region ? { region } : {}),
    maxAttempts: settings.maxAttempts ?? 5,
    retryMode: 'standard',
    ...(custom
      ? {
          endpoint: settings.endpoint,
          forcePathStyle: settings.forcePathStyle ?? true,
          requestChecksumCalculation: 'WHEN_REQUIRED' as const,
          responseChecksumValidation: 'WHEN_REQUIRED' as const,
        }
      : { forcePathStyle: settings.forcePathStyle ?? false, followRegionRedirects: true }),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
  });
}
