import { randomBytes } from "node:crypto";
import { isAlertUrl } from "@codewarden/common";
import {
  ALERT_RULE_KINDS,
  type AlertChannelConfig,
  type AlertChannelKind,
  type AlertRuleKind,
  type NewAlertRule,
} from "@codewarden/drizzle";
import { MAX_ALERT_FILTER_LENGTH, MAX_EMAIL_RECIPIENTS } from "../utils/alerts";
import { normaliseEmail } from "../utils/email";
import { isUuid } from "../utils/ids";
import { field, parseDisplayName } from "./forms.server";

/** The Alerts page's channel and rule forms, parsed the same way when adding and when editing. */

type Refusal = { error: string };

/** A one-line optional filter value ("" = any). */
function optionalTag(raw: string): string | null | Refusal {
  const v = raw.trim();
  if (v === "") return null;
  if (v.length > MAX_ALERT_FILTER_LENGTH || /[\p{Cc}\p{Zl}\p{Zp}]/u.test(v))
    return { error: "Filters are one line of at most 256 characters." };
  return v;
}

function optionalNumber(raw: string, min: number, max: number, integer: boolean): number | null | undefined {
  const v = raw.trim();
  if (v === "") return null;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) return undefined;
  return n;
}

const isRuleKind = (v: string): v is AlertRuleKind => (ALERT_RULE_KINDS as readonly string[]).includes(v);

/** A rule form (name, condition, filters, channels, digest), or why it is refused. */
export function parseRule(form: FormData): NewAlertRule | Refusal {
  const name = parseDisplayName(field(form, "name"), "rule");
  if ("error" in name) return name;
  const kind = field(form, "kind");
  if (!isRuleKind(kind)) return { error: "Choose what the rule alerts on." };
  const windowMinutes = optionalNumber(field(form, "windowMinutes"), 5, 1440, true);
  if (windowMinutes === undefined) return { error: "The window is 5 to 1440 minutes." };
  const spikeCount = optionalNumber(field(form, "spikeCount"), 1, 10_000_000, true);
  const spikeFactor = optionalNumber(field(form, "spikeFactor"), 1, 10_000, false);
  if (spikeCount === undefined || spikeFactor === undefined)
    return { error: "A spike needs a whole number of events (≥ 1) and/or a factor (≥ 1)." };
  if (kind === "spike" && spikeCount === null && spikeFactor === null)
    return { error: "A spike rule needs a number of events, a factor over the usual rate, or both." };
  const environment = optionalTag(field(form, "environment"));
  const service = optionalTag(field(form, "service"));
  if (environment && typeof environment === "object") return environment;
  if (service && typeof service === "object") return service;
  const channelIds = form.getAll("channelIds").filter((v): v is string => typeof v === "string");
  if (channelIds.length === 0 || !channelIds.every(isUuid))
    return { error: "Choose at least one channel for the rule." };
  return {
    name: name.name,
    kind,
    windowMinutes: windowMinutes ?? 60,
    spikeCount: kind === "spike" ? spikeCount : null,
    spikeFactor: kind === "spike" ? spikeFactor : null,
    environment,
    service,
    digest: field(form, "digest") === "on",
    channelIds,
  };
}

export interface ChannelInput {
  name: string;
  kind: AlertChannelKind;
  config: AlertChannelConfig;
  /** A signing secret made for a webhook whose form left it empty: shown once. */
  generatedSecret: string | null;
}

/**
 * A channel form, or why it is refused. When editing, `current` is the channel's configuration:
 * an empty URL or signing secret keeps the current one (the page never shows them, since a
 * webhook URL often carries a token), where adding a webhook without a secret generates one.
 */
export function parseChannel(form: FormData, current?: AlertChannelConfig): ChannelInput | Refusal {
  const name = parseDisplayName(field(form, "name"), "channel");
  if ("error" in name) return name;
  const kind = field(form, "kind");
  if (kind === "slack" || kind === "webhook") {
    let url = field(form, "url").trim();
    if (url === "" && current && "url" in current) url = current.url;
    if (!isAlertUrl(url))
      return { error: "Enter the webhook's http:// or https:// URL (without credentials)." };
    if (kind === "slack") return { name: name.name, kind, config: { url }, generatedSecret: null };
    let secret = field(form, "secret").trim();
    let generatedSecret: string | null = null;
    if (secret === "" && current && "secret" in current) secret = current.secret;
    else if (secret === "") {
      secret = `whsec_${randomBytes(24).toString("base64url")}`;
      generatedSecret = secret;
    } else if (secret.length < 16 || secret.length > 200 || /\s/.test(secret)) {
      return {
        error: "A signing secret is 16 to 200 characters without spaces (or leave it empty to get one).",
      };
    }
    return { name: name.name, kind, config: { url, secret }, generatedSecret };
  }
  if (kind === "email") {
    const parts = field(form, "addresses")
      .split(/[\s,;]+/)
      .filter((p) => p !== "");
    if (parts.length === 0) return { error: "Enter at least one email address." };
    if (parts.length > MAX_EMAIL_RECIPIENTS) return { error: `At most ${MAX_EMAIL_RECIPIENTS} addresses.` };
    const addresses: string[] = [];
    for (const p of parts) {
      const a = normaliseEmail(p);
      if (!a) return { error: "One of the addresses is not an email address." };
      if (!addresses.includes(a)) addresses.push(a);
    }
    return { name: name.name, kind, config: { addresses }, generatedSecret: null };
  }
  return { error: "Choose the channel type." };
}
