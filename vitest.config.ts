import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{common,drizzle,collector,worker,web,sdk-otel,scripts}/**/*.test.ts"],
          exclude: ["**/node_modules/**", "**/dist/**", "**/build/**", "**/*.int.test.ts"],
          // CI runs every suite at once on 2 cores: a few unit tests open sockets and need more than 5 s then.
          testTimeout: 20_000,
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
