CREATE TABLE "event_keys" (
	"project_id" uuid NOT NULL,
	"event_key" text NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "event_keys_project_id_event_key_pk" PRIMARY KEY("project_id","event_key")
);
--> statement-breakpoint
CREATE TABLE "issue_users" (
	"issue_id" uuid NOT NULL,
	"user_digest" text NOT NULL,
	"first_seen" timestamp with time zone NOT NULL,
	CONSTRAINT "issue_users_issue_id_user_digest_pk" PRIMARY KEY("issue_id","user_digest")
);
--> statement-breakpoint
CREATE TABLE "llm_summary_cache" (
	"project_id" uuid NOT NULL,
	"prompt_digest" text NOT NULL,
	"model" text NOT NULL,
	"title" text,
	"text" text NOT NULL,
	"likely_cause" text,
	"suggested_fix" text,
	"confidence" real,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "llm_summary_cache_project_id_prompt_digest_pk" PRIMARY KEY("project_id","prompt_digest")
);
--> statement-breakpoint
ALTER TABLE "events" DROP CONSTRAINT "events_project_event_key_uq";--> statement-breakpoint
ALTER TABLE "issues" ADD COLUMN "user_count" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "issues" ADD COLUMN "first_release" text;--> statement-breakpoint
ALTER TABLE "issues" ADD COLUMN "last_release" text;--> statement-breakpoint
ALTER TABLE "issues" ADD COLUMN "resolution" text;--> statement-breakpoint
ALTER TABLE "issues" ADD COLUMN "resolved_in_release" text;--> statement-breakpoint
ALTER TABLE "issues" ADD COLUMN "ignore_until_count" bigint;--> statement-breakpoint
ALTER TABLE "summaries" ADD COLUMN "title" text;--> statement-breakpoint
ALTER TABLE "summaries" ADD COLUMN "confidence" real;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "in_app_include" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "in_app_exclude" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "event_keys" ADD CONSTRAINT "event_keys_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issue_users" ADD CONSTRAINT "issue_users_issue_id_issues_id_fk" FOREIGN KEY ("issue_id") REFERENCES "public"."issues"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "llm_summary_cache" ADD CONSTRAINT "llm_summary_cache_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "event_keys_seen_at_brin" ON "event_keys" USING brin ("seen_at");--> statement-breakpoint
CREATE INDEX "events_received_at_brin" ON "events" USING brin ("received_at");--> statement-breakpoint
-- Events stored before this migration keep counting once when an OTLP retry brings them again.
INSERT INTO "event_keys" ("project_id", "event_key", "seen_at")
SELECT "project_id", "event_key", "received_at" FROM "events"
ON CONFLICT DO NOTHING;--> statement-breakpoint
UPDATE "issues" SET "resolution" = 'now' WHERE "status" = 'resolved';--> statement-breakpoint
UPDATE "issues" i SET "first_release" = e."service_version"
FROM (SELECT DISTINCT ON ("issue_id") "issue_id", "service_version" FROM "events" ORDER BY "issue_id", "timestamp" ASC) e
WHERE e."issue_id" = i."id";--> statement-breakpoint
UPDATE "issues" i SET "last_release" = e."service_version"
FROM (SELECT DISTINCT ON ("issue_id") "issue_id", "service_version" FROM "events" ORDER BY "issue_id", "timestamp" DESC) e
WHERE e."issue_id" = i."id";
