import { ConfigError } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { loadReportsConfig } from "./config";

const R2 = {
  CODEWARDEN_REPORTS_S3_ENDPOINT: "https://0123abcd.r2.cloudflarestorage.com",
  CODEWARDEN_REPORTS_S3_BUCKET: "cw-reports",
  CODEWARDEN_REPORTS_S3_ACCESS_KEY_ID: "AKID",
  CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY: "secret",
};

describe("loadReportsConfig", () => {
  it("keeps reports in the data folder when no bucket is configured", () => {
    expect(loadReportsConfig({})).toEqual({
      storage: { kind: "local", dir: "./.codewarden/reports" },
      signedUrlTtlSeconds: 300,
    });
    expect(loadReportsConfig({ CODEWARDEN_DATA_DIR: "/var/lib/cw/" }).storage).toEqual({
      kind: "local",
      dir: "/var/lib/cw/reports",
    });
  });

  it("reads an R2 bucket: region auto, virtual-hosted style unless asked", () => {
    expect(loadReportsConfig(R2)).toEqual({
      storage: {
        kind: "s3",
        endpoint: "https://0123abcd.r2.cloudflarestorage.com",
        bucket: "cw-reports",
        region: "auto",
        accessKeyId: "AKID",
        secretAccessKey: "secret",
        forcePathStyle: false,
      },
      signedUrlTtlSeconds: 300,
    });
    const minio = loadReportsConfig({
      ...R2,
      CODEWARDEN_REPORTS_S3_ENDPOINT: "http://127.0.0.1:9000",
      CODEWARDEN_REPORTS_S3_REGION: "us-east-1",
      CODEWARDEN_REPORTS_S3_FORCE_PATH_STYLE: "true",
      CODEWARDEN_REPORTS_SIGNED_URL_TTL_SECONDS: "60",
    });
    expect(minio.storage).toMatchObject({ region: "us-east-1", forcePathStyle: true });
    expect(minio.signedUrlTtlSeconds).toBe(60);
  });

  it("fails fast, naming each variable", () => {
    expect(() => loadReportsConfig({ ...R2, CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY: "" })).toThrow(
      /CODEWARDEN_REPORTS_S3_SECRET_ACCESS_KEY: required when CODEWARDEN_REPORTS_S3_BUCKET is set/,
    );
    expect(() =>
      loadReportsConfig({ CODEWARDEN_REPORTS_S3_ENDPOINT: R2.CODEWARDEN_REPORTS_S3_ENDPOINT }),
    ).toThrow(/CODEWARDEN_REPORTS_S3_BUCKET: required when CODEWARDEN_REPORTS_S3_ENDPOINT is set/);
    expect(() => loadReportsConfig({ ...R2, CODEWARDEN_REPORTS_S3_ENDPOINT: "ftp://x" })).toThrow(
      /CODEWARDEN_REPORTS_S3_ENDPOINT/,
    );
    expect(() => loadReportsConfig({ ...R2, CODEWARDEN_REPORTS_S3_BUCKET: "Bad_Bucket" })).toThrow(
      /CODEWARDEN_REPORTS_S3_BUCKET: must be a bucket name/,
    );
    expect(() => loadReportsConfig({ ...R2, CODEWARDEN_REPORTS_S3_FORCE_PATH_STYLE: "yes" })).toThrow(
      /CODEWARDEN_REPORTS_S3_FORCE_PATH_STYLE: must be true or false/,
    );
    expect(() => loadReportsConfig({ CODEWARDEN_REPORTS_SIGNED_URL_TTL_SECONDS: "86400" })).toThrow(
      ConfigError,
    );
  });
});
