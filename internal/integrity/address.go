package integrity

import (
	"context"

	"kokeilu/ent"
	"kokeilu/internal/text"
)

// WebAddresses stores every web address (text.AddressColumns) in its
// normal form (text.WebAddress), with the length counted on what was
// written: the one place every write passes, GraphQL mutations, imports,
// the seed and the generated data sets alike. ent validates the stored
// form after it (text.WebAddressRule). internal/database adds it to every
// client it opens.
func WebAddresses(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		for _, name := range m.Fields() {
			field, ok := text.AddressColumns[name]
			if !ok {
				continue
			}
			v, _ := m.Field(name)
			s, ok := v.(string)
			if !ok {
				continue
			}
			n, err := text.WebAddress(field, s)
			if err != nil {
				return nil, err
			}
			if n != s {
				if err := m.SetField(name, n); err != nil {
					return nil, err
				}
			}
		}
		return next.Mutate(ctx, m)
	})
}
