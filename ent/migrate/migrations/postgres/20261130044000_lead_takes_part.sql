-- A pilot's lead municipality takes part in it (policy.LeadTakesPart): add
-- the leads missing from their pilots' participants. SQLite runs the same
-- at every start (internal/database, sqliteData).
INSERT INTO "pilot_municipalities" ("pilot_id", "municipality_id")
SELECT "id", "pilot_lead_municipality" FROM "pilots" WHERE "pilot_lead_municipality" IS NOT NULL
ON CONFLICT DO NOTHING;
-- Views of the data cached by running instances (the research graph) are older now.
UPDATE "data_revisions" SET "number" = "number" + 1;
