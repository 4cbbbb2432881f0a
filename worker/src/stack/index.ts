export { MAX_FRAMES, MAX_STACK_CHARS, type StackFrame } from "./frame";
export { detectStackLanguage, languageFromSdk, parseStack, type StackLanguage } from "./parse-stack";
