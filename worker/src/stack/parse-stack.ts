import { type StackFrame, type StackParser, traceLines } from "./frame";
import { applyInAppOverrides, type InAppOptions } from "./in-app-overrides";
import { parseDotnetStack } from "./parse-dotnet-stack";
import { parseGenericStack } from "./parse-generic-stack";
import { parseGoStack } from "./parse-go-stack";
import { parseJavaStack } from "./parse-java-stack";
import { parsePhpStack } from "./parse-php-stack";
import { parsePythonStack } from "./parse-python-stack";
import { parseRubyStack } from "./parse-ruby-stack";
import { parseV8Stack } from "./parse-v8-stack";

export type StackLanguage = "javascript" | "python" | "java" | "go" | "dotnet" | "ruby" | "php";

/** `telemetry.sdk.language` values (OTel semantic conventions) → parser family. */
const SDK_LANGUAGES: Record<string, StackLanguage> = {
  nodejs: "javascript",
  webjs: "javascript",
  js: "javascript",
  javascript: "javascript",
  typescript: "javascript",
  bun: "javascript",
  deno: "javascript",
  python: "python",
  java: "java",
  kotlin: "java",
  scala: "java",
  go: "go",
  dotnet: "dotnet",
  csharp: "dotnet",
  ruby: "ruby",
  php: "php",
};

const PARSERS: Record<StackLanguage, StackParser> = {
  javascript: parseV8Stack,
  python: parsePythonStack,
  java: parseJavaStack,
  go: parseGoStack,
  dotnet: parseDotnetStack,
  ruby: parseRubyStack,
  php: parsePhpStack,
};

export function languageFromSdk(sdkLanguage: string | null | undefined): StackLanguage | null {
  if (!sdkLanguage) return null;
  return SDK_LANGUAGES[sdkLanguage.trim().toLowerCase()] ?? null;
}

/** Guesses the trace format from its shape when the SDK language is unknown or did not parse. */
export function detectStackLanguage(stacktrace: string): StackLanguage | null {
  const lines = traceLines(stacktrace).slice(0, 400);
  const some = (re: RegExp) => lines.some((l) => re.test(l));
  if (some(/^[\s|+]*Traceback \(most recent call last\):/) || some(/^[\s|+]*File ".+", line \d+/))
    return "python";
  if (some(/^goroutine \d+ \[/) || some(/^\t.+\.go:\d+(\s+\+0x[0-9a-f]+)?$/)) return "go";
  if (some(/^\s*at\s+[^\s(]+\(([^()]*\.php(:\d+)?)\)\s*$/) || some(/^\s*at\s+\{main\}\(/)) return "php";
  if (
    some(
      /^\s*at\s+\S+\.[^.\s(]+\(([^()]+\.(java|kt|scala|groovy|clj):\d+|Native Method|Unknown Source)\)(\s+~?\[[^\][]*\])?\s*$/,
    )
  )
    return "java";
  if (
    some(/^\s*at\s+\S+\([^()]*\)\s+in\s+.+:line\s+\d+/) ||
    some(/^\s*at\s+[^\s(]+\(([^\s()]+ [^\s(),]+(, )?)*\)\s*$/)
  )
    return "dotnet";
  if (some(/^\s*at\s+/)) return "javascript";
  if (some(/^\s*#\d+\s+.+\(\d+\):\s/)) return "php";
  if (some(/^\s*(from\s+)?[^\s:][^:]*\.rb:\d+(:in\s|$)/)) return "ruby";
  if (some(/^\s*[^@\s]*@.+:\d+:\d+\s*$/)) return "javascript";
  return null;
}

function safely(parser: StackParser, stacktrace: string): StackFrame[] {
  try {
    return parser(stacktrace);
  } catch {
    return [];
  }
}

function parseFrames(stacktrace: string, language: string | null): StackFrame[] {
  const declared = languageFromSdk(language);
  if (declared) {
    const frames = safely(PARSERS[declared], stacktrace);
    if (frames.length > 0) return frames;
  }
  const detected = detectStackLanguage(stacktrace);
  if (detected && detected !== declared) {
    const frames = safely(PARSERS[detected], stacktrace);
    if (frames.length > 0) return frames;
  }
  return safely(parseGenericStack, stacktrace);
}

/**
 * Frames of a stack trace, innermost call first (the order V8, the JVM, .NET, Go, Ruby and
 * PHP print; Python tracebacks are reversed). The SDK language picks the parser; when it is
 * unknown or yields nothing, the trace's shape decides, then a generic `file:line` scan.
 * `options` adjusts which frames are in-app for one project (patterns: see {@link InAppOptions}).
 * Never throws; frames and input are capped.
 */
export function parseStack(
  stacktrace: string | null,
  language: string | null,
  options?: InAppOptions,
): StackFrame[] {
  try {
    if (typeof stacktrace !== "string" || stacktrace.trim() === "") return [];
    return applyInAppOverrides(parseFrames(stacktrace, language), options);
  } catch {
    return [];
  }
}
