import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { LocalReportsConfig, ReportsConfig, S3ReportsConfig } from "./config";

export interface StoredReport {
  bytes: Uint8Array;
  contentType: string;
}

/**
 * Private storage of generated reports. Reports are small (tens to hundreds of KB), so they are
 * read whole: the caller can check the bytes against the SHA-256 recorded in the database
 * before serving them.
 */
export interface ReportStorage {
  readonly kind: "s3" | "local";
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  /** The stored report, or null when there is none under `key`. */
  get(key: string): Promise<StoredReport | null>;
  /** A URL that downloads `key` for `ttlSeconds` (S3 only; the local folder is streamed by the app). */
  signedUrl?(key: string, ttlSeconds: number): Promise<string>;
}

/** Longest key accepted. */
const MAX_KEY_LENGTH = 512;
/** Segments start with a letter or digit (no `.`, `..` or hidden names) and hold [A-Za-z0-9._-]. */
const KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;

export class InvalidReportKeyError extends Error {
  constructor(key: string) {
    super(`invalid report key ${JSON.stringify(key.slice(0, 80))}`);
    this.name = "InvalidReportKeyError";
  }
}

/** Throws InvalidReportKeyError unless `key` is a relative path of safe segments. */
export function assertReportKey(key: string): void {
  if (typeof key !== "string" || key.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(key)) {
    throw new InvalidReportKeyError(String(key));
  }
}

/** The storage key of a report: `orgs/<org id>/evidence/<report id>.pdf`. */
export function evidenceReportKey(orgId: string, reportId: string): string {
  const key = `orgs/${orgId}/evidence/${reportId}.pdf`;
  assertReportKey(key);
  return key;
}

const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

export interface S3StorageOptions {
  /** Clock for signed URLs (tests). */
  now?: () => Date;
}

/** An S3-compatible bucket: Cloudflare R2 in production, any S3 API (MinIO, AWS) otherwise. */
export function createS3ReportStorage(
  config: S3ReportsConfig,
  options: S3StorageOptions = {},
): ReportStorage {
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
    // Checksums only where the API requires them: not every S3-compatible service accepts the
    // SDK's default CRC32 headers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: 3,
  });
  const now = options.now ?? (() => new Date());
  return {
    kind: "s3",
    async put(key, bytes, contentType) {
      assertReportKey(key);
      await client.send(
        new PutObjectCommand({
          Bucket: config.bucket,
          Key: key,
          Body: bytes,
          ContentType: contentType,
          ContentLength: bytes.byteLength,
          Metadata: { sha256: sha256Hex(bytes) },
        }),
      );
    },
    async get(key) {
      assertReportKey(key);
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: key }));
        if (!out.Body) return null;
        return {
          bytes: await out.Body.transformToByteArray(),
          contentType: out.ContentType ?? "application/octet-stream",
        };
      } catch (err) {
        if (
          err instanceof S3ServiceException &&
          (err.name === "NoSuchKey" || err.$metadata.httpStatusCode === 404)
        ) {
          return null;
        }
        throw err;
      }
    },
    async signedUrl(key, ttlSeconds) {
      assertReportKey(key);
      if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 3600) {
        throw new RangeError("signed URL lifetime: 1 to 3600 seconds");
      }
      return getSignedUrl(client, new GetObjectCommand({ Bucket: config.bucket, Key: key }), {
        expiresIn: ttlSeconds,
        signingDate: now(),
      });
    },
  };
}

/**
 * A private folder (the all-in-one mode): `<dir>/<key>`, with the content type beside it in
 * `<dir>/.meta/<key>.json` (no key can start with a dot, so the two never meet). Files are
 * written whole (temporary file, then rename) and readable by this user only.
 */
export function createLocalReportStorage(config: LocalReportsConfig): ReportStorage {
  const root = resolve(config.dir);
  const pathOf = (base: string, key: string, suffix = "") => {
    assertReportKey(key);
    const path = resolve(base, `${key}${suffix}`);
    // Belt and braces: the key pattern already rules out `..`.
    if (!path.startsWith(root + sep)) throw new InvalidReportKeyError(key);
    return path;
  };
  const writeWhole = async (path: string, data: Uint8Array | string) => {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
    try {
      await writeFile(tmp, data, { mode: 0o600 });
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  };
  return {
    kind: "local",
    async put(key, bytes, contentType) {
      const path = pathOf(root, key);
      const meta = pathOf(join(root, ".meta"), key, ".json");
      await writeWhole(meta, JSON.stringify({ contentType, sha256: sha256Hex(bytes) }));
      await writeWhole(path, bytes);
    },
    async get(key) {
      const path = pathOf(root, key);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
        throw err;
      }
      let contentType = "application/octet-stream";
      try {
        const meta = JSON.parse(await readFile(pathOf(join(root, ".meta"), key, ".json"), "utf8")) as {
          contentType?: unknown;
        };
        if (typeof meta.contentType === "string") contentType = meta.contentType;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      }
      return { bytes: new Uint8Array(bytes), contentType };
    },
  };
}

/** The storage `config` names. */
export function createReportStorage(config: ReportsConfig, options: S3StorageOptions = {}): ReportStorage {
  return config.storage.kind === "s3"
    ? createS3ReportStorage(config.storage, options)
    : createLocalReportStorage(config.storage);
}
