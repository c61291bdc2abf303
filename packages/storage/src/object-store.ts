import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { PassThrough, type Readable } from 'node:stream';
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
import { DependencyError, NotFoundError, type SpanHandle, withSpan } from '@etml/domain';

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

export interface ReadHandle {
  body: Readable;
  /** Pass it back as `ifMatch` to read the very same version again. */
  etag: string | undefined;
  size: number | undefined;
}

/** Lines per chunk: big enough to amortize, small enough to stream. */
const LINES_PER_CHUNK = 2_000;

/** Rows as NDJSON text, many lines per chunk. */
export async function* ndjsonChunks(
  rows: Iterable<unknown> | AsyncIterable<unknown>,
): AsyncGenerator<string> {
  let batch: string[] = [];
  for await (const row of rows) {
    batch.push(`${JSON.stringify(row)}\n`);
    if (batch.length === LINES_PER_CHUNK) {
      yield batch.join('');
      batch = [];
    }
  }
  if (batch.length > 0) yield batch.join('');
}

function isAbort(error: unknown): boolean {
  const e = error as { name?: string; code?: string };
  return e?.name === 'AbortError' || e?.code === 'ERR_STREAM_PREMATURE_CLOSE';
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/**
 * Objects under one bucket and prefix. Keys passed in and returned are relative to the prefix.
 * Large bodies stream both ways: a 1M-ride day does not fit in one JS string. Failures other
 * than a missing object are DependencyErrors naming the operation, the object and the endpoint.
 */
export class ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** Where the bucket lives, for messages: an endpoint URL or "AWS S3". */
  readonly where: string;

  constructor(client: S3Client, bucket: string, prefix = '', where = 'S3') {
    this.client = client;
    this.bucket = bucket;
    this.prefix = prefix;
    this.where = where;
  }

  /** `s3://bucket/prefix/key`, for messages and manifests. */
  uri(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }

  private fullKey(key: string): string {
    return `${this.prefix}${key}`;
  }

  private failure(what: string, error: unknown): DependencyError {
    const message = error instanceof Error ? error.message || error.name : String(error);
    return new DependencyError(`S3 ${what} failed at ${this.where}: ${message}`, { cause: error });
  }

  /** A span for one S3 call, when tracing is on and a job is running: bucket and key, no data. */
  private traced<T>(
    operation: string,
    key: string,
    fn: (span: SpanHandle) => Promise<T>,
  ): Promise<T> {
    const attributes = {
      'rpc.system': 'aws-api',
      'rpc.service': 'S3',
      'rpc.method': operation,
      'aws.s3.bucket': this.bucket,
      'aws.s3.key': this.fullKey(key),
    };
    return withSpan(`S3 ${operation}`, attributes, fn);
  }

  private async send<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      throw this.failure(what, error);
    }
  }

  /** Creates the bucket if it is missing (local and test servers only; never needed on AWS). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw this.failure(`HeadBucket ${this.bucket}`, error);
      await this.send(`CreateBucket ${this.bucket}`, () =>
        this.client.send(new CreateBucketCommand({ Bucket: this.bucket })),
      );
    }
  }

  exists(key: string): Promise<boolean> {
    return this.traced('HeadObject', key, span => this.head(key, span));
  }

  private async head(key: string, span: SpanHandle): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }),
      );
      return true;
    } catch (error) {
      if (isNotFound(error)) {
        span.set({ 'etml.s3.found': false });
        return false;
      }
      throw this.failure(`HeadObject ${this.uri(key)}`, error);
    }
  }

  /**
   * Opens the object for streaming; NotFoundError when it is missing. With `ifMatch`, S3 refuses
   * (412) when the object changed since the read that gave that ETag.
   */
  async openRead(key: string, options: { ifMatch?: string | undefined } = {}): Promise<ReadHandle> {
    // The span ends with S3's answer; the body is streamed by the caller afterwards. A missing
    // object is an answer (a cache miss), not a failed call.
    const handle = await this.traced('GetObject', key, async span => {
      const read = await this.get(key, options).catch((error: Error) => {
        if (error instanceof NotFoundError) return error;
        throw error;
      });
      span.set(
        read instanceof NotFoundError ? { 'etml.s3.found': false } : { 'etml.s3.bytes': read.size },
      );
      return read;
    });
    if (handle instanceof NotFoundError) throw handle;
    return handle;
  }

  private async get(key: string, options: { ifMatch?: string | undefined }): Promise<ReadHandle> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.fullKey(key),
          ...(options.ifMatch ? { IfMatch: options.ifMatch } : {}),
        }),
      );
      return { body: out.Body as Readable, etag: out.ETag, size: out.ContentLength };
    } catch (error) {
      if (isNotFound(error)) {
        throw new NotFoundError(`${this.uri(key)} does not exist`, { cause: error });
      }
      throw this.failure(`GetObject ${this.uri(key)}`, error);
    }
  }

  async getStream(key: string): Promise<Readable> {
    return (await this.openRead(key)).body;
  }

  async getBytes(key: string): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.getStream(key)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async getJson<T = unknown>(key: string): Promise<T> {
    return JSON.parse((await this.getBytes(key)).toString('utf8')) as T;
  }

  /** The object's JSON, or undefined when there is no such object. */
  async getJsonIfExists<T = unknown>(key: string): Promise<T | undefined> {
    try {
      return await this.getJson<T>(key);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  }

  async putBytes(
    key: string,
    body: Uint8Array | string,
    contentType: string,
  ): Promise<WriteResult> {
    const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    await this.traced('PutObject', key, async span => {
      span.set({ 'etml.s3.bytes': bytes.byteLength });
      await this.send(`PutObject ${this.uri(key)}`, () =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.fullKey(key),
            Body: bytes,
            ContentType: contentType,
          }),
        ),
      );
    });
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
  putStream(
    key: string,
    source: Readable | AsyncIterable<Uint8Array | string>,
    contentType: string,
  ): Promise<WriteResult> {
    return this.traced('Upload', key, async span => {
      const result = await this.upload(key, source, contentType);
      span.set({ 'etml.s3.bytes': result.bytes });
      return result;
    });
  }

  private async upload(
    key: string,
    source: Readable | AsyncIterable<Uint8Array | string>,
    contentType: string,
  ): Promise<WriteResult> {
    const hash = createHash('sha256');
    let bytes = 0;
    const body = new PassThrough();
    const counted = pipeline(
      source,
      async function* (chunks: AsyncIterable<Uint8Array | string>) {
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
      body.destroy();
      throw this.failure(`upload of ${this.uri(key)}`, error);
    });
    const [fed, sent] = await Promise.allSettled([counted, uploaded]);
    // A failed upload aborts the stream feeding it; a failed source fails the upload. Report the
    // cause, not its echo.
    if (fed.status === 'rejected' && !isAbort(fed.reason)) throw fed.reason;
    if (sent.status === 'rejected') throw sent.reason;
    if (fed.status === 'rejected') throw fed.reason;
    return { key, bytes, sha256: hash.digest('hex') };
  }

  /** Writes one JSON value per line. `rows` may be any (async) iterable, consumed once. */
  async writeNdjson(
    key: string,
    rows: Iterable<unknown> | AsyncIterable<unknown>,
  ): Promise<NdjsonWriteResult> {
    let lines = 0;
    async function* counted() {
      for await (const row of rows) {
        lines += 1;
        yield row;
      }
    }
    const result = await this.putStream(key, ndjsonChunks(counted()), 'application/x-ndjson');
    return { ...result, lines };
  }

  /**
   * The object's lines, without their line breaks, streamed. With `sha256`, the bytes read are
   * checked against it after the last line: an object rewritten meanwhile makes the reader throw.
   */
  async *readLines(key: string, options: { sha256?: string } = {}): AsyncGenerator<string> {
    const body = await this.getStream(key);
    const expected = options.sha256;
    const hash = expected ? createHash('sha256') : undefined;
    if (hash) body.on('data', chunk => hash.update(chunk as Buffer));
    try {
      yield* createInterface({ input: body, crlfDelay: Infinity });
    } finally {
      // A reader that stops early would otherwise leave the response, and its socket, open.
      body.destroy();
    }
    const sha256 = hash?.digest('hex');
    if (sha256 !== expected) {
      throw new Error(
        `${this.uri(key)} changed while it was being read (sha256 ${sha256}, expected ${expected})`,
      );
    }
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
      const page = await this.traced('ListObjectsV2', prefix, () =>
        this.send(`ListObjectsV2 ${this.uri(prefix)}`, () =>
          this.client.send(
            new ListObjectsV2Command({
              Bucket: this.bucket,
              Prefix: this.fullKey(prefix),
              ContinuationToken: token,
            }),
          ),
        ),
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
    await this.traced('DeleteObject', key, () =>
      this.send(`DeleteObject ${this.uri(key)}`, () =>
        this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) })),
      ),
    );
  }
}
