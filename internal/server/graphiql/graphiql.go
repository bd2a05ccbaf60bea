// Package graphiql serves the GraphiQL IDE with its scripts and styles
// embedded in the binary: the page makes no request to another host.
package graphiql

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

// AssetPath is where the handler from Assets is mounted.
const AssetPath = "/graphiql/"

//go:embed assets
var embedded embed.FS

var assets, _ = fs.Sub(embedded, "assets")

// Page is the GraphiQL page for the GraphQL endpoint at path (e.g.
// "/query"); subscriptions go to the same path over a WebSocket. Its
// scripts load from AssetPath, checked by their SHA-256 (subresource
// integrity).
func Page(title, endpoint string) http.Handler {
	src := func(name string) string { return AssetPath + name }
	return playground.Handler(title, endpoint,
		playground.WithGraphiqlVersion(src("graphiql.min.js"), src("graphiql.min.css"),
			integrity("graphiql.min.js"), integrity("graphiql.min.css")),
		playground.WithGraphiqlReactVersion(src("react.production.min.js"), src("react-dom.production.min.js"),
			integrity("react.production.min.js"), integrity("react-dom.production.min.js")),
		playground.WithGraphiqlEnablePluginExplorer(false),
		playground.WithStoragePrefix("kokeilu:"),
	)
}

// Assets serves the embedded files under AssetPath (licences included).
func Assets() http.Handler {
	files := http.StripPrefix(AssetPath, http.FileServerFS(assets))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change only with the binary; a day's caching spares
		// 1.6 MB per page load.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}

// integrity is the subresource-integrity value of an embedded file.
func integrity(name string) string {
	b, err := fs.ReadFile(assets, name)
	if err != nil {
		panic("graphiql: missing asset " + name) // the embed pattern guarantees them
	}
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
