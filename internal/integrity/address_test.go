package integrity_test

import (
	"context"
	"testing"

	"kokeilu/ent"
	"kokeilu/ent/network"
	_ "kokeilu/ent/runtime"
	"kokeilu/internal/auth"
	"kokeilu/internal/fault"
	"kokeilu/internal/testdb"
)

// TestWebAddressesOnEveryPath: a write straight through ent (as the seed,
// imports and the generated data sets do) stores the normal form too, and
// an ent client without the hook cannot store any other form.
func TestWebAddressesOnEveryPath(t *testing.T) {
	testdb.Each(t, func(t *testing.T, b testdb.Backend) {
		db := testdb.Open(t, b)
		ctx := auth.System(context.Background())
		p, err := db.Client.Pilot.Create().SetTitle("p").SetSourceURL("HTTPS://Example.FI/%c3%a4").Save(ctx)
		if err != nil || p.SourceURL != "https://example.fi/ä" {
			t.Fatalf("pilot stored %q, %v", p.SourceURL, err)
		}
		n, err := db.Client.Network.Create().SetName("n").SetKind(network.KindPROGRAMME).SetWebsite("hTtP://xn--4ca.fi").Save(ctx)
		if err != nil || n.Website != "http://ä.fi" {
			t.Fatalf("network stored %q, %v", n.Website, err)
		}
		if err := db.Client.Network.UpdateOne(n).SetWebsite("http://exam<ple.fi/").Exec(ctx); !badInput(err) {
			t.Errorf("a bad host on update: %v", err)
		}
		bare := ent.NewClient(ent.Driver(db.Driver))
		if err := bare.Network.UpdateOne(n).SetWebsite("HTTP://x.fi").Exec(ctx); err == nil {
			t.Error("a client without the hook stored an address not in normal form")
		}
	})
}

func badInput(err error) bool {
	f, ok := fault.As(err)
	return ok && f.Code == fault.BadUserInput
}
