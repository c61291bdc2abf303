import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NotFoundError } from '@etml/domain';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModified?: Date | undefined;
}

export interface WriteResult {
  key: string;
  bytes: number;
  sha256: string;
}

export interface NdjsonWriteResult extends WriteResult {
  lines: number;
}

/** Lines per chunk handed to the upload stream: big enough to amortize, small enough to stream. */
const LINES_PER_CHUNK = 2_000;

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Objects under one bucket and prefix. Keys passed in and returned are relative to the prefix.
 * Large bodies stream both ways: a 1M-ride day does not fit in one JS string.
 */
export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(client: S3Client, bucket: string, prefix = '') {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
  }

  /** `s3://bucket/prefix/key`, for messages and manifests. */
  uri(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  private fullKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  /** Creates the bucket if it is missing (local and test servers only; never needed on AWS). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  /** The object's body as a Node stream; NotFoundError when it is missing. */
  async getStream(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      return out.Body as Readable;
    } catch (error) {
      if (isNotFound(error))
        throw new NotFoundError(`${this.uri(key)} does not exist`, { cause: error });
      throw error;
    }
  }

  async getBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getStream(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getJson<T = unknown>(key: string): Promise<T> {
    return JSON.parse((await this.getBytes(key)).toString('utf8')) as T;
  }

  async putBytes(
    key: string,
    body: Uint8Array | string,
    contentType: string,
  ): Promise<WriteResult> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.fullKey(key),
        Body: bytes,
        ContentType: contentType,
      }),
    );
    return {
      key,
      bytes: bytes.byteLength,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  }

  /** Pretty, newline-terminated JSON: the same value always gives the same bytes. */
  putJson(key: string, value: unknown): Promise<WriteResult> {
    return this.putBytes(key, `${JSON.stringify(value, null, 2)}\n`, 'application/json');
  }

  /**
   * Streams `source` into the object with a multipart upload, hashing as it goes. Parts are
   * buffered 8 MiB at a time, so memory stays flat whatever the object's size.
   */
  async putStream(key: string, source: Readable, contentType: string): Promise<WriteResult> {
    const hash = createHash('sha256');
    let bytes = 0;
    const body = new PassThrough();
    const counted = pipeline(
      source,
      async function* (chunks: AsyncIterable<Buffer | string>) {
        for await (const chunk of chunks) {
          const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
          hash.update(buffer);
          bytes += buffer.byteLength;
          yield buffer;
        }
      },
      body,
    );
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: this.fullKey(key), Body: body, ContentType: contentType },
      partSize: 8 * 1024 * 1024,
      queueSize: 2,
    });
    const uploaded = upload.done().catch(error => {
      body.destroy(error);
      throw error;
    });
    await Promise.all([counted, uploaded]);
    return { key, bytes, sha256: hash.digest('hex') };
  }

  /** Writes one JSON value per line. `rows` may be any (async) iterable, consumed once. */
  async writeNdjson(
    key: string,
    rows: Iterable<unknown> | AsyncIterable<unknown>,
  ): Promise<NdjsonWriteResult> {
    let lines = 0;
    async function* chunks() {
      let batch: string[] = [];
      for await (const row of rows) {
        batch.push(`${JSON.stringify(row)}\n`);
        lines += 1;
        if (batch.length === LINES_PER_CHUNK) {
          yield batch.join('');
          batch = [];
        }
      }
      if (batch.length > 0) yield batch.join('');
    }
    const result = await this.putStream(key, Readable.from(chunks()), 'application/x-ndjson');
    return { ...result, lines };
  }

  /** The object's lines, without their line breaks, streamed. */
  async *readLines(key: string): AsyncGenerator<string> {
    const lines = createInterface({ input: await this.getStream(key), crlfDelay: Infinity });
    yield* lines;
  }

  /** Parses each non-empty line as JSON, streamed. */
  async *readNdjson<T = unknown>(key: string): AsyncGenerator<T> {
    let lineNumber = 0;
    for await (const line of this.readLines(key)) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      try {
        yield JSON.parse(line) as T;
      } catch (error) {
        throw new Error(
          `${this.uri(key)} line ${lineNumber} is not JSON: ${(error as Error).message}`,
        );
      }
    }
  }

  /** Every object under `prefix` (relative to the store's prefix), in key order. */
  async *list(prefix = ''): AsyncGenerator<ObjectInfo> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.fullKey(prefix),
          ContinuationToken: token,
        }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield {
          key: item.Key.slice(this.prefix.length),
          size: item.Size ?? 0,
          lastModified: item.LastModified,
        };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
    );
  }
}
