/** Limits of the Alerts settings page, shared by its form and its action. */
export const MAX_EMAIL_RECIPIENTS = 10;
export const MAX_ALERT_FILTER_LENGTH = 256;
