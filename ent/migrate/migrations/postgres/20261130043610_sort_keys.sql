-- Modify "discussions" table
ALTER TABLE "discussions" ADD COLUMN "title_sortkey" bytea NULL;
-- Modify "materials" table
ALTER TABLE "materials" ADD COLUMN "title_sortkey" bytea NULL;
-- Modify "municipalities" table
ALTER TABLE "municipalities" ADD COLUMN "name_fi_sortkey" bytea NULL, ADD COLUMN "name_sv_sortkey" bytea NULL, ADD COLUMN "name_en_sortkey" bytea NULL;
-- Modify "networks" table
ALTER TABLE "networks" ADD COLUMN "name_sortkey" bytea NULL;
-- Modify "notices" table
ALTER TABLE "notices" ADD COLUMN "title_sortkey" bytea NULL;
-- Modify "operating_models" table
ALTER TABLE "operating_models" ADD COLUMN "name_sortkey" bytea NULL;
-- Modify "organizations" table
ALTER TABLE "organizations" ADD COLUMN "name_sortkey" bytea NULL;
-- Modify "pilots" table
ALTER TABLE "pilots" ADD COLUMN "title_sortkey" bytea NULL;
-- Modify "regions" table
ALTER TABLE "regions" ADD COLUMN "name_fi_sortkey" bytea NULL, ADD COLUMN "name_sv_sortkey" bytea NULL, ADD COLUMN "name_en_sortkey" bytea NULL;
-- Modify "surveys" table
ALTER TABLE "surveys" ADD COLUMN "title_sortkey" bytea NULL;
-- Modify "themes" table
ALTER TABLE "themes" ADD COLUMN "name_fi_sortkey" bytea NULL, ADD COLUMN "name_sv_sortkey" bytea NULL, ADD COLUMN "name_en_sortkey" bytea NULL;
-- Modify "users" table
ALTER TABLE "users" ADD COLUMN "display_name_sortkey" bytea NULL;
-- Modify "wellbeing_counties" table
ALTER TABLE "wellbeing_counties" ADD COLUMN "name_fi_sortkey" bytea NULL, ADD COLUMN "name_sv_sortkey" bytea NULL, ADD COLUMN "name_en_sortkey" bytea NULL;
-- Modify "workshops" table
ALTER TABLE "workshops" ADD COLUMN "title_sortkey" bytea NULL;
-- Modify "workspaces" table
ALTER TABLE "workspaces" ADD COLUMN "name_sortkey" bytea NULL;
