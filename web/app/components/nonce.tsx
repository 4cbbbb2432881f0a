import { createContext, type ReactNode, useContext } from "react";

/**
 * The CSP nonce of the current response, provided by entry.server. In the browser it is empty:
 * browsers hide nonce attributes, and scripts added after hydration are modules from /assets.
 */
const NonceContext = createContext("");

export function NonceProvider({ value, children }: { value: string; children: ReactNode }) {
  return <NonceContext.Provider value={value}>{children}</NonceContext.Provider>;
}

export function useNonce(): string {
  return useContext(NonceContext);
}
