package collab

import (
	"context"

	"kokeilu/ent"
	"kokeilu/ent/material"
	"kokeilu/graph/model"
	"kokeilu/internal/fault"
	"kokeilu/internal/lang"
)

// materialFields checks the fields a material may be given; nil fields are
// left as they are.
type materialFields struct {
	title, description, url, language *string
	kind                              *material.Kind
}

func (f materialFields) check(current *ent.Material) (materialFields, error) {
	var out materialFields
	if f.title != nil {
		t, err := text("title", *f.title, true)
		if err != nil {
			return out, err
		}
		out.title = &t
	}
	if f.description != nil {
		d, err := text("description", *f.description, false)
		if err != nil {
			return out, err
		}
		out.description = &d
	}
	if f.url != nil {
		u, err := webURL("url", f.url)
		if err != nil {
			return out, err
		}
		out.url = &u
	}
	if f.language != nil {
		code, ok := lang.Code(*f.language)
		if *f.language != "" && !ok {
			return out, fault.BadInput("language", "language %q is not an ISO 639-1 code such as \"fi\"", *f.language)
		}
		out.language = &code
	}
	out.kind = f.kind
	// What it will be after the change: links, tools and videos need an address.
	kind, link := material.KindDOCUMENT, ""
	if current != nil {
		kind, link = current.Kind, current.URL
	}
	if out.kind != nil {
		kind = *out.kind
	}
	if out.url != nil {
		link = *out.url
	}
	if link == "" && (kind == material.KindLINK || kind == material.KindTOOL || kind == material.KindVIDEO) {
		return out, fault.BadInput("url", "a %s needs a url", kind)
	}
	return out, nil
}

// AddMaterial adds a document, link or tool to a workspace (members).
func AddMaterial(ctx context.Context, c *ent.Client, in model.AddMaterialInput) (*ent.Material, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	f, err := materialFields{&in.Title, in.Description, in.URL, in.Language, in.Kind}.check(nil)
	if err != nil {
		return nil, err
	}
	if err := workspaceRef(ctx, c, in.WorkspaceID); err != nil {
		return nil, err
	}
	return c.Material.Create().SetWorkspaceID(in.WorkspaceID).SetTitle(*f.title).
		SetNillableDescription(f.description).SetNillableURL(f.url).SetNillableLanguage(f.language).
		SetNillableKind(f.kind).Save(ctx)
}

// UpdateMaterial changes a material (its author, ADMIN or OWNER).
func UpdateMaterial(ctx context.Context, c *ent.Client, id int, in model.UpdateMaterialInput) (*ent.Material, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return nil, err
	}
	current, err := c.Material.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	f, err := materialFields{in.Title, in.Description, in.URL, in.Language, in.Kind}.check(current)
	if err != nil {
		return nil, err
	}
	m, err := c.Material.UpdateOneID(id).SetNillableTitle(f.title).SetNillableDescription(f.description).
		SetNillableURL(f.url).SetNillableLanguage(f.language).SetNillableKind(f.kind).Save(ctx)
	if err != nil {
		return nil, err
	}
	// current was read before the row was locked: a concurrent update may
	// have changed the kind or the address since (PostgreSQL, READ
	// COMMITTED). The row as written, read under the write's lock, is
	// judged again; the refusal rolls the mutation back.
	if _, err := (materialFields{}).check(m); err != nil {
		return nil, err
	}
	return m, nil
}

// RemoveMaterial deletes a material (its author, ADMIN or OWNER).
func RemoveMaterial(ctx context.Context, c *ent.Client, id int) (int, error) {
	c, err := begin(ctx, c)
	if err != nil {
		return 0, err
	}
	if _, err := c.Material.Get(ctx, id); err != nil {
		return 0, err
	}
	return id, c.Material.DeleteOneID(id).Exec(ctx)
}
