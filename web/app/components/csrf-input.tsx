import { CSRF_FIELD } from "../utils/csrf-field";

/** The hidden CSRF field every POST form carries. */
export function CsrfInput({ token }: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={token} />;
}
