import { vitePlugin as remix } from "@remix-run/dev";
import { defineConfig } from "vite";

declare module "@remix-run/server-runtime" {
  interface Future {
    v3_singleFetch: true;
  }
}

/**
 * Workspace packages the server build must import at run time rather than bundle, so the process
 * that loads the build (launcher, tests) shares one copy with it. `ssr.external` alone is not
 * enough: Vite never externalizes packages whose entry is a .ts file, so rollup is told directly.
 */
const SHARED_WORKSPACE_PACKAGES = /^@codewarden\/(drizzle|common)(\/|$)/;

export default defineConfig(({ isSsrBuild }) => ({
  plugins: [
    remix({
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_lazyRouteDiscovery: true,
        v3_singleFetch: true,
        v3_routeConfig: true,
      },
    }),
  ],
  ssr: { external: ["@codewarden/drizzle", "@codewarden/common"] },
  build: {
    sourcemap: false,
    rollupOptions: isSsrBuild ? { external: (id: string) => SHARED_WORKSPACE_PACKAGES.test(id) } : {},
  },
  logLevel: "warn",
}));
