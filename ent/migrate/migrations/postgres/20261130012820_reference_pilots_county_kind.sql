-- Modify "pilots" table
ALTER TABLE "pilots" ADD COLUMN "reference" boolean NOT NULL DEFAULT false;
-- Modify "wellbeing_counties" table
ALTER TABLE "wellbeing_counties" ADD COLUMN "kind" character varying NOT NULL DEFAULT 'COUNTY';
