package dataset

import (
	"context"
	"fmt"
	"kokeilu/internal/revision"
	"math/rand/v2"
	"strings"
	"time"

	"kokeilu/ent"
	"kokeilu/ent/link"
	"kokeilu/ent/membership"
	"kokeilu/ent/municipality"
	"kokeilu/ent/network"
	"kokeilu/ent/organization"
	"kokeilu/ent/pilot"
	"kokeilu/ent/workspace"
)

// World is the size of a whole synthetic data set: the pilots, networks,
// organisations and themes of Size, and what people do around them.
type World struct {
	Size
	Links, Workspaces, Discussions, Posts, Notices, Users int
}

// DefaultWorld is the data set of issue 6: 20k pilots, 2k networks, 100k
// links, 1k workspaces, 50k discussions, 500k posts, 20k notices, 10k users.
var DefaultWorld = World{
	Size:  Size{Pilots: 20000, Networks: 2000, Organizations: 500, Themes: 30},
	Links: 100000, Workspaces: 1000, Discussions: 50000, Posts: 500000, Notices: 20000, Users: 10000,
}

// Progress hears how far generation is: done of total rows of a stage.
type Progress func(stage string, done, total int)

// Password is the password of every generated user (user1@example.org …).
const Password = "kokeilu-synthetic"

// GenerateWorld adds a whole synthetic data set to client, reproducibly
// from seed. Reference data must be loaded first. passwordHash is stored
// for every user: hashing is deliberately slow (argon2id, ~64 MiB and tens
// of milliseconds each), so 10,000 hashes would take minutes and prove
// nothing; one hash of Password, computed by the caller, serves them all.
func GenerateWorld(ctx context.Context, client *ent.Client, w World, seed uint64, passwordHash string, progress Progress) error {
	if progress == nil {
		progress = func(string, int, int) {}
	}
	defer revision.Bump(ctx, client)
	ctx = revision.Deferred(ctx)
	progress("pilots, networks, organisations, themes", 0, w.Pilots)
	if err := Generate(ctx, client, w.Size, seed); err != nil {
		return err
	}
	progress("pilots, networks, organisations, themes", w.Pilots, w.Pilots)
	g := &generator{ctx: ctx, c: client, rnd: rand.New(rand.NewPCG(seed, 2)), progress: progress, hash: passwordHash}
	for _, step := range []func(World) error{g.makeUsers, g.makeLinks, g.makeWorkspaces, g.makeDiscussions, g.makeNotices} {
		if err := step(w); err != nil {
			return err
		}
	}
	return nil
}

type generator struct {
	ctx      context.Context
	c        *ent.Client
	rnd      *rand.Rand
	progress Progress
	hash     string

	users      []int
	workspaces []int
	members    map[int][]int // workspace → its members' user ids (owner first)
}

// inBatches runs fill for batches of at most size rows of n, each batch in
// one transaction (one commit, not one per row).
func (g *generator) inBatches(stage string, n, size int, fill func(tx *ent.Client, from, to int) error) error {
	for from := 0; from < n; from += size {
		to := min(from+size, n)
		tx, err := g.c.Tx(g.ctx)
		if err != nil {
			return err
		}
		if err := fill(tx.Client(), from, to); err != nil {
			tx.Rollback()
			return fmt.Errorf("%s %d–%d: %w", stage, from, to, err)
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		g.progress(stage, to, n)
	}
	return nil
}

func (g *generator) makeUsers(w World) error {
	hash := g.hash
	err := g.inBatches("users", w.Users, 2000, func(c *ent.Client, from, to int) error {
		creates := make([]*ent.UserCreate, 0, to-from)
		for i := from; i < to; i++ {
			first, last := pickOne(g.rnd, firstNames), pickOne(g.rnd, lastNames)
			creates = append(creates, c.User.Create().SetDisplayName(first+" "+last).
				SetEmail(fmt.Sprintf("user%d@example.org", i+1)).SetPasswordHash(hash))
		}
		ids, err := idsOf(c.User.CreateBulk(creates...).Save(g.ctx))
		g.users = append(g.users, ids...)
		return err
	})
	return err
}

func (g *generator) makeLinks(w World) error {
	var actors []int
	for _, q := range []func() ([]int, error){
		func() ([]int, error) { return g.c.Municipality.Query().Order(municipality.ByID()).IDs(g.ctx) },
		func() ([]int, error) { return g.c.Organization.Query().Order(organization.ByID()).IDs(g.ctx) },
		func() ([]int, error) { return g.c.Network.Query().Order(network.ByID()).IDs(g.ctx) },
		func() ([]int, error) { return g.c.Pilot.Query().Order(pilot.ByID()).IDs(g.ctx) },
	} {
		ids, err := q()
		if err != nil {
			return err
		}
		actors = append(actors, ids...)
	}
	if len(actors) < 2 {
		return nil
	}
	kinds := []link.Kind{link.KindCOLLABORATION, link.KindFUNDING, link.KindKNOWLEDGE_SHARING, link.KindADOPTION, link.KindSUCCESSOR, link.KindOTHER}
	base := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
	return g.inBatches("links", w.Links, 2000, func(c *ent.Client, from, to int) error {
		creates := make([]*ent.LinkCreate, 0, to-from)
		for i := from; i < to; i++ {
			src := actors[g.rnd.IntN(len(actors))]
			dst := actors[g.rnd.IntN(len(actors))]
			for dst == src {
				dst = actors[g.rnd.IntN(len(actors))]
			}
			validFrom := base.AddDate(0, 0, g.rnd.IntN(18*365))
			lc := c.Link.Create().SetSourceID(src).SetTargetID(dst).SetKind(kinds[g.rnd.IntN(len(kinds))]).
				SetWeight(float64(1+g.rnd.IntN(100)) / 10).SetValidFrom(validFrom)
			if g.rnd.IntN(3) > 0 {
				lc.SetValidTo(validFrom.AddDate(0, 1+g.rnd.IntN(60), 0))
			}
			creates = append(creates, lc)
		}
		return c.Link.CreateBulk(creates...).Exec(g.ctx)
	})
}

func (g *generator) makeWorkspaces(w World) error {
	pilots, err := g.c.Pilot.Query().Order(pilot.ByID()).Limit(w.Workspaces / 2).IDs(g.ctx)
	if err != nil {
		return err
	}
	networks, err := g.c.Network.Query().Order(network.ByID()).IDs(g.ctx)
	if err != nil {
		return err
	}
	g.members = map[int][]int{}
	err = g.inBatches("workspaces", w.Workspaces, 500, func(c *ent.Client, from, to int) error {
		creates := make([]*ent.WorkspaceCreate, 0, to-from)
		for i := from; i < to; i++ {
			visibility := workspace.VisibilityPUBLIC
			if g.rnd.IntN(10) < 3 {
				visibility = workspace.VisibilityMEMBERS_ONLY
			}
			topic := pickOne(g.rnd, topics)
			wc := c.Workspace.Create().SetName(fmt.Sprintf("%s – työtila %d", capitalize(topic), i+1)).
				SetSlug(fmt.Sprintf("synthetic-workspace-%d", i)).SetVisibility(visibility).
				SetDescription(sentences(g.rnd, 2))
			if len(networks) > 0 && g.rnd.IntN(2) == 0 {
				wc.SetNetworkID(networks[g.rnd.IntN(len(networks))])
			}
			creates = append(creates, wc)
		}
		ids, err := idsOf(c.Workspace.CreateBulk(creates...).Save(g.ctx))
		if err != nil {
			return err
		}
		// Half the pilots' workspaces: the first pilots get one each.
		for k, id := range ids {
			if n := from + k; n < len(pilots) && n%2 == 0 {
				if err := c.Pilot.UpdateOneID(pilots[n]).SetWorkspaceID(id).Exec(g.ctx); err != nil {
					return err
				}
			}
		}
		g.workspaces = append(g.workspaces, ids...)
		// Members: an owner, an admin or two, 5–40 members, a few pending.
		var ms []*ent.MembershipCreate
		for _, ws := range ids {
			seen := map[int]bool{}
			n := 5 + g.rnd.IntN(36)
			for j := 0; j < n && len(g.users) > 0; j++ {
				u := g.users[g.rnd.IntN(len(g.users))]
				if seen[u] {
					continue
				}
				seen[u] = true
				role := membership.RoleMEMBER
				switch {
				case j == 0:
					role = membership.RoleOWNER
				case j < 3:
					role = membership.RoleADMIN
				case g.rnd.IntN(20) == 0:
					role = membership.RolePENDING
				}
				if role != membership.RolePENDING {
					g.members[ws] = append(g.members[ws], u)
				}
				ms = append(ms, c.Membership.Create().SetWorkspaceID(ws).SetUserID(u).SetRole(role))
			}
		}
		for start := 0; start < len(ms); start += 2000 {
			if err := c.Membership.CreateBulk(ms[start:min(start+2000, len(ms))]...).Exec(g.ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return err
}

// discussions writes the discussions with their posts: the first post by
// the discussion's author, the rest by members, replying now and then.
func (g *generator) makeDiscussions(w World) error {
	if len(g.workspaces) == 0 || w.Discussions == 0 {
		return nil
	}
	// Posts are spread over discussions: each gets at least one.
	perDiscussion := make([]int, w.Discussions)
	for i := range perDiscussion {
		perDiscussion[i] = 1
	}
	for p := w.Discussions; p < w.Posts; p++ {
		perDiscussion[g.rnd.IntN(w.Discussions)]++
	}
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	done := 0
	return g.inBatches("discussions and posts", w.Discussions, 500, func(c *ent.Client, from, to int) error {
		type thread struct {
			ws, author int
			at         time.Time
		}
		threads := make([]thread, 0, to-from)
		creates := make([]*ent.DiscussionCreate, 0, to-from)
		for i := from; i < to; i++ {
			ws := g.workspaces[g.rnd.IntN(len(g.workspaces))]
			author := g.member(ws)
			at := base.Add(time.Duration(g.rnd.IntN(10*365*24)) * time.Hour)
			last := at.Add(time.Duration(perDiscussion[i]) * 3 * time.Hour)
			creates = append(creates, c.Discussion.Create().SetWorkspaceID(ws).SetAuthorID(author).
				SetTitle(capitalize(pickOne(g.rnd, questions))+" "+pickOne(g.rnd, topics)+"?").
				SetPinned(g.rnd.IntN(50) == 0).SetLocked(g.rnd.IntN(100) == 0).
				SetPostCount(perDiscussion[i]).SetLastPostAt(last).SetCreatedAt(at).SetUpdatedAt(last))
			threads = append(threads, thread{ws, author, at})
		}
		ids, err := idsOf(c.Discussion.CreateBulk(creates...).Save(g.ctx))
		if err != nil {
			return err
		}
		var posts []*ent.PostCreate
		flush := func() error {
			if len(posts) == 0 {
				return nil
			}
			err := c.Post.CreateBulk(posts...).Exec(g.ctx)
			done += len(posts)
			posts = posts[:0]
			return err
		}
		for k, id := range ids {
			t := threads[k]
			for j := 0; j < perDiscussion[from+k]; j++ {
				author := t.author
				if j > 0 {
					author = g.member(t.ws)
				}
				posts = append(posts, c.Post.Create().SetDiscussionID(id).SetAuthorID(author).
					SetBody(sentences(g.rnd, 1+g.rnd.IntN(4))).SetCreatedAt(t.at.Add(time.Duration(j)*3*time.Hour)))
				if len(posts) == 2000 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return flush()
	})
}

func (g *generator) makeNotices(w World) error {
	if len(g.workspaces) == 0 {
		return nil
	}
	base := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	return g.inBatches("notices", w.Notices, 2000, func(c *ent.Client, from, to int) error {
		creates := make([]*ent.NoticeCreate, 0, to-from)
		for i := from; i < to; i++ {
			ws := g.workspaces[g.rnd.IntN(len(g.workspaces))]
			published := base.Add(time.Duration(g.rnd.IntN(10*365*24)) * time.Hour)
			event := published.AddDate(0, 0, 7+g.rnd.IntN(60)).Truncate(24 * time.Hour)
			creates = append(creates, c.Notice.Create().SetWorkspaceID(ws).SetAuthorID(g.member(ws)).
				SetTitle(capitalize(pickOne(g.rnd, events))+": "+pickOne(g.rnd, topics)).
				SetBody(sentences(g.rnd, 2+g.rnd.IntN(3))).SetPublishedAt(published).SetEventOn(event).
				SetURL(fmt.Sprintf("https://example.org/tapahtumat/%d", i+1)))
		}
		return c.Notice.CreateBulk(creates...).Exec(g.ctx)
	})
}

// member picks a member of workspace ws (any user if it has none).
func (g *generator) member(ws int) int {
	if m := g.members[ws]; len(m) > 0 {
		return m[g.rnd.IntN(len(m))]
	}
	return g.users[g.rnd.IntN(len(g.users))]
}

func idsOf[T any](rows []T, err error) ([]int, error) {
	if err != nil {
		return nil, err
	}
	ids := make([]int, len(rows))
	for i, r := range rows {
		ids[i] = idOf(any(r))
	}
	return ids, nil
}

func idOf(v any) int {
	switch r := v.(type) {
	case *ent.User:
		return r.ID
	case *ent.Workspace:
		return r.ID
	case *ent.Discussion:
		return r.ID
	}
	panic(fmt.Sprintf("dataset: no id for %T", v))
}

func pickOne(rnd *rand.Rand, words []string) string { return words[rnd.IntN(len(words))] }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
