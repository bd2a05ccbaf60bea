package noticeboard

import (
	"kokeilu/ent/predicate"
	"kokeilu/ent/workspace"
)

func workspaceIs(id int) predicate.Workspace { return workspace.ID(id) }
