/**
 * Zero-code entry point:
 *   node --import @codewarden/sdk-otel/register app.js     (ES modules)
 *   node --require @codewarden/sdk-otel/register app.cjs   (CommonJS)
 * Configured from the environment only (CODEWARDEN_* and OTEL_* variables).
 */
import { init } from "./init.js";

init();
