CREATE TABLE "llm_budget_usage" (
	"project_id" uuid NOT NULL,
	"day" date NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "llm_budget_usage_project_id_day_pk" PRIMARY KEY("project_id","day")
);
--> statement-breakpoint
ALTER TABLE "llm_budget_usage" ADD CONSTRAINT "llm_budget_usage_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Until now the budget counted today's cached answers: carry them over, so an upgrade does not grant a day's budget twice.
INSERT INTO "llm_budget_usage" ("project_id", "day", "calls")
SELECT "project_id", ("created_at" AT TIME ZONE 'UTC')::date, count(*)::int
FROM "llm_summary_cache"
WHERE "created_at" >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
GROUP BY 1, 2;
