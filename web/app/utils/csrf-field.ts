/** Name of the hidden form field that carries the CSRF token. */
export const CSRF_FIELD = "_csrf";
