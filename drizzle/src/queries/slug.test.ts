import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { firstFreeSlug, MAX_SLUG_LENGTH, slugify } from "./slug";

describe("slugify", () => {
  it.each([
    ["Checkout API", "checkout-api"],
    ["  Café Ünïcode  ", "cafe-unicode"],
    ["web/app (prod)", "web-app-prod"],
    ["--Already-Slugged--", "already-slugged"],
    ["<script>alert(1)</script>", "script-alert-1-script"],
    ["日本語", "project"],
    ["", "project"],
  ])("%j → %j", (name, slug) => {
    expect(slugify(name, "project")).toBe(slug);
  });

  it("always yields a short, URL-safe slug", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (name) => {
        const slug = slugify(name, "x");
        expect(slug).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
        expect(slug.length).toBeLessThanOrEqual(MAX_SLUG_LENGTH);
      }),
    );
  });
});

describe("firstFreeSlug", () => {
  it("adds the first free numeric suffix", () => {
    expect(firstFreeSlug("api", new Set())).toBe("api");
    expect(firstFreeSlug("api", new Set(["api"]))).toBe("api-2");
    expect(firstFreeSlug("api", new Set(["api", "api-2", "api-3"]))).toBe("api-4");
  });
});
