import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Target } from '../../config/backup.config';
import type { BackupSink, BackupStorage, ByteRange } from './backup-storage';

const PART_SIZE = 8 * 1024 * 1024;

/**
 * Backups as objects in an S3-compatible bucket, uploaded in parts: the
 * object exists only once CompleteMultipartUpload (or the single PutObject of
 * a small file) succeeds, so an interrupted upload never shows as a backup.
 */
export class S3BackupStorage implements BackupStorage {
  readonly kind = 's3';
  private readonly client: S3Client;

  constructor(private readonly target: S3Target) {
    this.client = new S3Client({
      region: target.region,
      endpoint: target.endpoint,
      forcePathStyle: target.forcePathStyle,
      credentials: target.credentials,
      // Under the default mode a streamed upload stores the checksum framing as data on some servers;
      // the file carries its own SHA-256 and authenticated chunks.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  locationOf(name: string): string {
    return `s3://${this.target.bucket}/${this.target.prefix}${name}`;
  }

  create(name: string): Promise<BackupSink> {
    return Promise.resolve(new S3Sink(this.client, this.target.bucket, this.keyOf(this.locationOf(name)), this));
  }

  async read(location: string, range?: ByteRange): Promise<Readable> {
    const response = await this.client.send(
      new GetObjectCommand({
        Bucket: this.target.bucket,
        Key: this.keyOf(location),
        Range: range && `bytes=${range.start}-${range.end}`,
      }),
    );
    if (!(response.Body instanceof Readable)) throw new Error(`no body for ${location}`);
    return response.Body;
  }

  async size(location: string): Promise<number> {
    const head = await this.client.send(
      new HeadObjectCommand({ Bucket: this.target.bucket, Key: this.keyOf(location) }),
    );
    return head.ContentLength ?? 0;
  }

  async exists(location: string): Promise<boolean> {
    return this.size(location).then(
      () => true,
      () => false,
    );
  }

  async remove(location: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.target.bucket, Key: this.keyOf(location) }));
  }

  /** Aborts unfinished uploads of the object; servers without ListMultipartUploads keep them invisible anyway. */
  async removePartial(name: string): Promise<void> {
    const key = this.keyOf(this.locationOf(name));
    const listed = await this.client
      .send(new ListMultipartUploadsCommand({ Bucket: this.target.bucket, Prefix: key }))
      .catch(() => undefined);
    for (const upload of listed?.Uploads ?? []) {
      if (upload.Key !== key || !upload.UploadId) continue;
      await this.client.send(
        new AbortMultipartUploadCommand({ Bucket: this.target.bucket, Key: key, UploadId: upload.UploadId }),
      );
    }
  }

  private keyOf(location: string): string {
    const prefix = `s3://${this.target.bucket}/`;
    if (!location.startsWith(prefix)) throw new Error(`backup location ${location} is not in this bucket`);
    return location.slice(prefix.length);
  }
}

class S3Sink implements BackupSink {
  readonly location: string;
  private readonly body = new PassThrough();
  private readonly upload: Upload;
  private readonly uploaded: Promise<unknown>;
  private written = 0;

  constructor(
    client: S3Client,
    bucket: string,
    private readonly key: string,
    private readonly storage: S3BackupStorage,
  ) {
    this.location = storage.locationOf(key.slice(key.lastIndexOf('/') + 1));
    this.upload = new Upload({
      client,
      params: { Bucket: bucket, Key: key, Body: this.body },
      partSize: PART_SIZE,
      queueSize: 2,
    });
    this.uploaded = this.upload.done();
    // Observed here so a failure between writes is not an unhandled rejection; write/commit rethrow it.
    this.uploaded.catch(() => undefined);
  }

  async write(chunk: Buffer): Promise<void> {
    this.written += chunk.length;
    if (this.body.write(chunk)) return;
    await Promise.race([once(this.body, 'drain'), this.uploaded]);
  }

  async commit(): Promise<void> {
    this.body.end();
    await this.uploaded;
    const size = await this.storage.size(this.location);
    if (size !== this.written) {
      await this.storage.remove(this.location);
      throw new Error(`the bucket holds ${size} bytes of ${this.key}, not the ${this.written} written`);
    }
  }

  async abort(): Promise<void> {
    await this.upload.abort().catch(() => undefined);
    this.body.destroy();
  }
}
