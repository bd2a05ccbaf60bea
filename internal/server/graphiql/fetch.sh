#!/usr/bin/env bash
# Rebuilds assets/ from the npm registry: the UMD builds GraphiQL's page
# loads, at the pinned versions, with each package's licence. Run it from
# any directory; change a version here and in graphiql.go together.
set -euo pipefail
cd "$(dirname "$0")"
GRAPHIQL=4.1.2 # the last GraphiQL with a UMD build (5.x is ES modules only)
REACT=18.2.0   # the last React major with UMD builds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for p in graphiql-$GRAPHIQL react-$REACT react-dom-$REACT; do
  mkdir -p "$tmp/$p" && tar xzf "$tmp/$p.tgz" -C "$tmp/$p"
done
rm -rf assets && mkdir assets
cp "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.js" "$tmp/graphiql-$GRAPHIQL/package/graphiql.min.css" assets/
cp "$tmp/graphiql-$GRAPHIQL/package/LICENSE" assets/LICENSE.graphiql
cp "$tmp/react-$REACT/package/umd/react.production.min.js" assets/
cp "$tmp/react-$REACT/package/LICENSE" assets/LICENSE.react
cp "$tmp/react-dom-$REACT/package/umd/react-dom.production.min.js" assets/
cp "$tmp/react-dom-$REACT/package/LICENSE" assets/LICENSE.react-dom
(cd assets && sha256sum * > SHA256SUMS)
