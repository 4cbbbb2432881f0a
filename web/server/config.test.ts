import { ConfigError } from "@codewarden/common";
import { describe, expect, it } from "vitest";
import { loadWebConfig } from "./config";

describe("loadWebConfig", () => {
  it("works with no configuration at all", () => {
    const c = loadWebConfig({});
    expect(c).toMatchObject({
      port: 3000,
      host: "127.0.0.1",
      publicUrl: "http://localhost:3000",
      publicUrlExplicit: false,
      secureCookies: false,
      sessionSecretGenerated: true,
      smtpUrl: undefined,
      dataDir: "./.codewarden",
      adminEmail: "admin@localhost",
    });
    expect(c.sessionSecret.length).toBeGreaterThanOrEqual(32);
    expect(loadWebConfig({}).sessionSecret).not.toBe(c.sessionSecret);
  });

  it("reads every variable", () => {
    const c = loadWebConfig({
      WEB_PORT: "8080",
      HOST: "0.0.0.0",
      SESSION_SECRET: "a-long-enough-secret",
      SMTP_URL: "smtps://u:p@mail.example.com",
      SMTP_FROM: "noreply@example.com",
      CODEWARDEN_PUBLIC_URL: "https://cw.example.com/",
      DATABASE_URL: "postgres://u@db/cw",
      CODEWARDEN_DATA_DIR: "/var/lib/cw",
      CODEWARDEN_ADMIN_EMAIL: "Ops@Example.com",
    });
    expect(c).toMatchObject({
      port: 8080,
      host: "0.0.0.0",
      sessionSecret: "a-long-enough-secret",
      sessionSecretGenerated: false,
      smtpUrl: "smtps://u:p@mail.example.com",
      smtpFrom: "noreply@example.com",
      publicUrl: "https://cw.example.com",
      secureCookies: true,
      databaseUrl: "postgres://u@db/cw",
      dataDir: "/var/lib/cw",
      adminEmail: "ops@example.com",
    });
  });

  it("treats empty values as unset", () => {
    expect(loadWebConfig({ WEB_PORT: "", SMTP_URL: "" })).toMatchObject({ port: 3000, smtpUrl: undefined });
  });

  it("fails fast naming each bad variable", () => {
    let error: unknown;
    try {
      loadWebConfig({
        WEB_PORT: "70000",
        SMTP_URL: "http://x",
        SESSION_SECRET: "short",
        CODEWARDEN_PUBLIC_URL: "nope",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const name of ["WEB_PORT", "SMTP_URL", "SESSION_SECRET", "CODEWARDEN_PUBLIC_URL"])
      expect(message).toContain(name);
  });
});
