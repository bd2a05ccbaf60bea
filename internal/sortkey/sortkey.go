// Package sortkey orders names and titles as Finnish and Swedish readers
// expect, identically on SQLite and PostgreSQL: each ordered text column has
// a hidden <column>_sortkey column holding its Unicode collation key
// (golang.org/x/text/collate, CLDR rules), and both databases order those
// bytes the same way (memcmp: SQLite BLOB, PostgreSQL bytea). So …, Z, Å, Ä,
// Ö in Finnish and Swedish, NFC and NFD forms of a text sort as one, and the
// order's cursors carry the key.
//
// The language of a column follows its name: name_sv is Swedish, name_en
// English, every other name and title Finnish (Lang).
package sortkey

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"sync"

	"entgo.io/ent"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// Suffix ends the name of every sort-key column: title → title_sortkey.
const Suffix = "_sortkey"

// Key is a collation key: its bytes compare (bytewise, shorter first on a
// common prefix) as the texts they come from collate. A NULL key is a row
// written before the column existed; Backfill fills them.
type Key []byte

// Value stores the key as bytes; an empty key is stored as empty bytes, not
// NULL, so "" sorts first rather than with the NULLs.
func (k Key) Value() (driver.Value, error) {
	if k == nil {
		return nil, nil
	}
	return []byte(k), nil
}

// Scan reads a key stored by Value.
func (k *Key) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*k = nil
	case []byte:
		*k = append(Key{}, v...)
	case string: // not written by Value; tolerated
		*k = Key(v)
	default:
		return fmt.Errorf("sortkey: cannot scan %T", src)
	}
	return nil
}

// Lang is the collation language of column: Swedish for *_sv, English for
// *_en, Finnish for everything else (Finnish is the first language of the
// data).
func Lang(column string) language.Tag {
	switch {
	case strings.HasSuffix(column, "_sv"):
		return language.Swedish
	case strings.HasSuffix(column, "_en"):
		return language.English
	default:
		return language.Finnish
	}
}

// collators are pooled per language: a Collator is not safe for concurrent
// use.
var collators sync.Map // language.Tag → *sync.Pool

// Of returns the key of text in the collation of column (Lang); never nil.
func Of(column, text string) Key {
	tag := Lang(column)
	p, _ := collators.LoadOrStore(tag, &sync.Pool{New: func() any { return collate.New(tag) }})
	pool := p.(*sync.Pool)
	c := pool.Get().(*collate.Collator)
	defer pool.Put(c)
	var buf collate.Buffer
	return append(Key{}, c.KeyFromString(&buf, text)...)
}

// Hook keeps the sort keys of columns current on every create and update
// (one-row and bulk, upserts too): a column given a value gets its key, a
// cleared column and a created row without a value get the key of "" (an
// optional text reads NULL as "").
func Hook(columns ...string) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			for _, c := range columns {
				v, ok := m.Field(c)
				if !ok && !m.FieldCleared(c) && !m.Op().Is(ent.OpCreate) {
					continue
				}
				s, _ := v.(string)
				if err := m.SetField(c+Suffix, Of(c, s)); err != nil {
					return nil, err
				}
			}
			return next.Mutate(ctx, m)
		})
	}
}

// Backfill computes the keys left NULL in the tables' *_sortkey columns:
// rows written before a column existed, or by an instance that does not
// know it yet. It runs after the migrations; each table is one transaction.
func Backfill(ctx context.Context, drv dialect.Driver, tables []*schema.Table) error {
	for _, t := range tables {
		for _, col := range t.Columns {
			source, ok := strings.CutSuffix(col.Name, Suffix)
			if !ok {
				continue
			}
			if err := backfill(ctx, drv, t.Name, source, col.Name); err != nil {
				return fmt.Errorf("sort keys of %s.%s: %w", t.Name, source, err)
			}
		}
	}
	return nil
}

func backfill(ctx context.Context, drv dialect.Driver, table, source, key string) error {
	d := entsql.Dialect(drv.Dialect())
	query, args := d.Select("id", source).From(d.Table(table)).Where(entsql.IsNull(key)).Query()
	var rows entsql.Rows
	if err := drv.Query(ctx, query, args, &rows); err != nil {
		return err
	}
	type row struct {
		id   int
		text string
	}
	var todo []row
	for rows.Next() {
		var r row
		var text *string
		if err := rows.Scan(&r.id, &text); err != nil {
			rows.Close()
			return err
		}
		if text != nil {
			r.text = *text
		}
		todo = append(todo, r)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if len(todo) == 0 {
		return nil
	}
	tx, err := drv.Tx(ctx)
	if err != nil {
		return err
	}
	for _, r := range todo {
		query, args := d.Update(table).Set(key, Of(source, r.text)).
			Where(entsql.And(entsql.EQ("id", r.id), entsql.IsNull(key))).Query()
		if err := tx.Exec(ctx, query, args, nil); err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}
