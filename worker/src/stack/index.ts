export { MAX_FRAMES, MAX_STACK_CHARS, type StackFrame } from "./frame";
export {
  type InAppOptions,
  MAX_IN_APP_PATTERN_CHARS,
  MAX_IN_APP_PATTERNS,
} from "./in-app-overrides";
export { detectStackLanguage, languageFromSdk, parseStack, type StackLanguage } from "./parse-stack";
