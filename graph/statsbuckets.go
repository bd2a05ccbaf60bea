package graph

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strconv"

	"kokeilu/internal/analytics"
	"kokeilu/internal/lang"

	"github.com/99designs/gqlgen/graphql"
)

// writtenWhole is the @writtenWhole directive of PilotStats.buckets. A
// grouping can have tens of thousands of buckets (MUNICIPALITY × NETWORK:
// 57,000 at 20,000 pilots), and gqlgen writes each field of each bucket
// and key through its field machinery (a field context, the middleware,
// a marshaler per value): about 90 allocations a bucket, most of a large
// grouping's time. The buckets are loaded data with no field that can fail,
// so the directive hands gqlgen the whole list already written (a field's
// middleware may answer a graphql.Marshaler), from the collected selection:
// the same JSON, fields in the same order, aliases, fragments and
// @skip/@include as gqlgen resolved them. A key (one for all the buckets
// that have it) is written once per selection of keys and copied. A
// selection this writer does not know (a @defer, a field added to the
// schema later) is left to gqlgen.
func writtenWhole(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	v, err := next(ctx)
	buckets, ok := v.([]*analytics.Bucket)
	if err != nil || !ok {
		return v, err
	}
	if w := newBucketWriter(ctx, buckets); w != nil {
		return w, nil
	}
	return buckets, nil
}

// bucketWriter writes a list of buckets as PilotStatsBucket objects.
type bucketWriter struct {
	ctx     context.Context
	buckets []*analytics.Bucket
	fields  []bucketField
}

// A bucketField is a field of the bucket selection.
type bucketField struct {
	prefix string // "alias": (a GraphQL name needs no escaping)
	name   string
	keys   []keyField                // of keys
	memo   map[*analytics.Key][]byte // of keys: each key written once
	// of keys: the key last written at each place, and its JSON. The
	// buckets come sorted by their keys, so the first keys repeat from
	// one bucket to the next (a municipality for each of its networks):
	// no lookup in memo for them.
	last     []*analytics.Key
	lastJSON [][]byte
}

// A keyField is a field of a keys selection.
type keyField struct {
	prefix string
	name   string
	lang   *lang.Language // of name
}

func newBucketWriter(ctx context.Context, buckets []*analytics.Bucket) *bucketWriter {
	oc := graphql.GetOperationContext(ctx)
	fc := graphql.GetFieldContext(ctx)
	w := &bucketWriter{ctx: ctx, buckets: buckets}
	for _, b := range buckets { // gqlgen reports a null as an error
		if b == nil || slices.Contains(b.Keys, nil) {
			return nil
		}
	}
	// CollectFields merges the fields of one alias, fragments included.
	for _, f := range graphql.CollectFields(oc, fc.Field.Selections, pilotStatsBucketImplementors) {
		if f.IsDeferred() {
			return nil
		}
		bf := bucketField{prefix: `"` + f.Alias + `":`, name: f.Name}
		switch f.Name {
		case "__typename", "pilots", "municipalities", "population":
		case "keys":
			bf.memo = map[*analytics.Key][]byte{}
			for _, k := range graphql.CollectFields(oc, f.Selections, pilotStatsKeyImplementors) {
				if k.IsDeferred() {
					return nil
				}
				kf := keyField{prefix: `"` + k.Alias + `":`, name: k.Name}
				switch k.Name {
				case "__typename", "dimension", "code":
				case "name":
					if v := k.ArgumentMap(oc.Variables)["lang"]; v != nil {
						l := new(lang.Language)
						if err := l.UnmarshalGQL(v); err != nil {
							return nil
						}
						kf.lang = l
					}
				default:
					return nil
				}
				bf.keys = append(bf.keys, kf)
			}
		default:
			return nil
		}
		w.fields = append(w.fields, bf)
	}
	return w
}

// MarshalGQL writes the list, in pieces of about 32 kB.
func (w *bucketWriter) MarshalGQL(out io.Writer) {
	buf := make([]byte, 0, 40<<10)
	buf = append(buf, '[')
	grown := false
	for i, b := range w.buckets {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '{')
		for j := range w.fields {
			f := &w.fields[j]
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, f.prefix...)
			switch f.name {
			case "__typename":
				buf = append(buf, `"PilotStatsBucket"`...)
			case "pilots":
				buf = strconv.AppendInt(buf, int64(b.Pilots), 10)
			case "municipalities":
				buf = strconv.AppendInt(buf, int64(b.Municipalities), 10)
			case "population":
				buf = strconv.AppendInt(buf, int64(b.Population), 10)
			case "keys":
				buf = append(buf, '[')
				if len(f.last) < len(b.Keys) {
					f.last, f.lastJSON = make([]*analytics.Key, len(b.Keys)), make([][]byte, len(b.Keys))
				}
				for k, key := range b.Keys {
					if k > 0 {
						buf = append(buf, ',')
					}
					if f.last[k] != key {
						f.last[k], f.lastJSON[k] = key, w.key(f, key)
					}
					buf = append(buf, f.lastJSON[k]...)
				}
				buf = append(buf, ']')
			}
		}
		buf = append(buf, '}')
		if len(buf) >= 32<<10 {
			if !grown {
				// gqlgen writes the answer into a bytes.Buffer, which
				// would double (and copy) itself to its size piece by
				// piece, about 6 MB for 57,000 buckets: grown once, to
				// the size the buckets so far tell (and a little more).
				if g, ok := out.(interface{ Grow(int) }); ok {
					g.Grow(len(buf) / (i + 1) * (len(w.buckets) - i) * 9 / 8)
				}
				grown = true
			}
			_, _ = out.Write(buf)
			buf = buf[:0]
		}
	}
	buf = append(buf, ']')
	_, _ = out.Write(buf)
}

// key is k written as f selects it, with gqlgen's own marshalers.
func (w *bucketWriter) key(f *bucketField, k *analytics.Key) []byte {
	if b, ok := f.memo[k]; ok {
		return b
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, kf := range f.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kf.prefix)
		switch kf.name {
		case "__typename":
			graphql.MarshalString("PilotStatsKey").MarshalGQL(&b)
		case "dimension":
			k.Dimension.MarshalGQL(&b)
		case "code":
			graphql.MarshalString(k.Code).MarshalGQL(&b)
		case "name":
			graphql.MarshalString(localName(w.ctx, kf.lang, k.NameFi, k.NameSv, k.NameEn)).MarshalGQL(&b)
		}
	}
	b.WriteByte('}')
	f.memo[k] = b.Bytes()
	return b.Bytes()
}
