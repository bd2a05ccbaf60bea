package server_test

import (
	"os/exec"
	"path/filepath"
	"testing"

	"kokeilu/internal/testdb"
)

// TestGraphQLOverHTTPAudit runs graphql-http's server audit (the npm
// package pinned in test/audit) against the real handler: every audit,
// MUST and SHOULD alike, has to pass. It needs node and `npm ci` in
// test/audit (.ci/run does both); without them it skips, except under CI.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node, dir := nodePackages(t, "audit", "graphql-http")
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		_, endpoint := cachedAPI(t, b) // as `go run .` serves: response cache and rate limit on
		out, err := exec.Command(node, filepath.Join(dir, "audit.mjs"), endpoint).CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("audit failed: %v", err)
		}
	})
}
