package database

import (
	"fmt"
	"net/url"
	"strings"
)

// SQLiteFile is where an SQLite DSN points; ParseSQLite reads it, and
// both the server's start-up check and Open go by it.
type SQLiteFile struct {
	Path   string     // the file as the operating system names it (":memory:" for SQLite's unnamed one)
	Memory bool       // a database in memory (":memory:" or mode=memory)
	params url.Values // the driver's parameters, Kokeilu's defaults added
	base   string     // the URI of the file, without its parameters
}

// URI is what the driver opens: the file's URI with its parameters.
func (f SQLiteFile) URI() string { return f.base + "?" + f.params.Encode() }

// ParseSQLite reads an SQLite DSN. A path (with or without sqlite:// in
// front) names its file as written, # and % included; ? starts the
// driver's parameters, each name=value. A file: URI is read as SQLite
// reads it: %HH decoded, # ending it, no host but localhost. A database
// in memory must be shared (cache=shared): otherwise each of the pool's
// connections would see an empty database of its own. SQLite always gets
// foreign keys, WAL (on a file), a busy timeout and immediate
// transactions (a mutation's read-then-write never hits BUSY).
func ParseSQLite(dsn string) (SQLiteFile, error) {
	var f SQLiteFile
	rest := dsn
	if len(rest) >= len("sqlite://") && strings.EqualFold(rest[:len("sqlite://")], "sqlite://") {
		rest = rest[len("sqlite://"):]
	}
	base, query, _ := strings.Cut(rest, "?")
	if strings.HasPrefix(base, "file:") {
		base, _, _ = strings.Cut(base, "#")
		query, _, _ = strings.Cut(query, "#")
		path := strings.TrimPrefix(base, "file:")
		if strings.HasPrefix(path, "//") {
			host, p, _ := strings.Cut(path[2:], "/")
			if host != "" && host != "localhost" {
				return f, fmt.Errorf("SQLite DSN %q: a file: URI names no host but localhost (file:///path for an absolute path)", dsn)
			}
			path = "/" + p
		}
		var err error
		if f.Path, err = url.PathUnescape(path); err != nil {
			return f, fmt.Errorf("SQLite DSN %q: %w", dsn, err)
		}
		f.base = base
	} else {
		f.Path = base
		escaped := uriPath.Replace(base)
		if strings.HasPrefix(base, "/") {
			// file://<no host>/path: a path that starts with // is a
			// path too, not a host.
			f.base = "file://" + escaped
		} else {
			f.base = "file:" + escaped
		}
	}
	if f.Path == "" {
		return f, fmt.Errorf("SQLite DSN %q names no file", dsn)
	}
	for _, p := range strings.Split(query, "&") {
		if p != "" && !strings.Contains(p, "=") {
			return f, fmt.Errorf("SQLite DSN %q: parameter %q has no value: ? starts the driver's parameters (a name with ? is written as a file: URI, with %%3F)", dsn, p)
		}
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return f, fmt.Errorf("SQLite DSN %q: %w", dsn, err)
	}
	f.Memory = f.Path == ":memory:" || params.Get("mode") == "memory"
	if f.Memory && params.Get("cache") != "shared" {
		return f, fmt.Errorf("SQLite DSN %q: a database in memory needs cache=shared (file::memory:?cache=shared), or each connection sees an empty one of its own", dsn)
	}
	// LIKE matches case as PostgreSQL's does, so …Contains and …HasPrefix
	// are case-sensitive on both databases (the …Fold filters ignore case).
	defaults := map[string]string{"_fk": "1", "_busy_timeout": "5000", "_txlock": "immediate", "_cslike": "1"}
	if !f.Memory {
		defaults["_journal_mode"] = "WAL"
	}
	for k, v := range defaults {
		if params.Get(k) == "" {
			params.Set(k, v)
		}
	}
	f.params = params
	return f, nil
}

// uriPath escapes a path for a file: URI: # would end it and %HH would be
// decoded, so /data/a#1.db opened /data/a.
var uriPath = strings.NewReplacer("%", "%25", "#", "%23")
