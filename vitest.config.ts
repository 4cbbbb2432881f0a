import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{common,drizzle,collector,worker,web,sdk-otel,scripts}/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", "**/build/**", "**/*.int.test.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["{common,drizzle,collector,worker,web,sdk-otel,scripts,test}/**/*.int.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", "**/build/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
