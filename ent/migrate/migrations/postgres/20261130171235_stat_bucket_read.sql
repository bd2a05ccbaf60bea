-- Create index "statbucket_read" to table: "stat_buckets"
CREATE INDEX "statbucket_read" ON "stat_buckets" ("dims", "key", "pilots", "municipalities", "population");
