package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"kokeilu/internal/database"
)

var scheme = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*)://`)

// checkDSN refuses, before anything starts, a DSN that cannot work: an
// unknown scheme (mysql://…), one that database.ParseSQLite refuses, or a
// SQLite file whose directory is missing or not writable (SQLite writes
// its journal beside the file), with the reason (e.g. "permission
// denied") in the message.
func checkDSN(dsn string) error {
	if m := scheme.FindStringSubmatch(dsn); m != nil {
		switch strings.ToLower(m[1]) {
		case "postgres", "postgresql", "sqlite", "file":
		default:
			return fmt.Errorf("database %q: unsupported scheme %q: use a SQLite file path, sqlite://path or postgres://…", redactDSN(dsn), m[1])
		}
	}
	if database.IsPostgres(dsn) {
		return nil
	}
	f, err := database.ParseSQLite(dsn) // where Open will look
	if err != nil || f.Memory {
		return err
	}
	path := f.Path
	dir := filepath.Dir(path)
	if info, err := os.Stat(dir); err != nil {
		return fmt.Errorf("SQLite database %s: directory %s: %w", path, dir, errors.Unwrap(err))
	} else if !info.IsDir() {
		return fmt.Errorf("SQLite database %s: %s is not a directory", path, dir)
	}
	probe, err := os.CreateTemp(dir, ".kokeilu-write-check-*")
	if err != nil {
		return fmt.Errorf("SQLite database %s: cannot write in directory %s (%w): choose a -dsn in a directory you may write", path, dir, errors.Unwrap(err))
	}
	probe.Close()
	os.Remove(probe.Name())
	if f, err := os.OpenFile(path, os.O_RDWR, 0); err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("SQLite database %s: %w", path, errors.Unwrap(err))
	}
	return nil
}

// redactDSN is dsn fit for a log: a PostgreSQL URL without its password.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		if scheme.MatchString(dsn) {
			return scheme.FindString(dsn) + "…" // unparsable: show the scheme alone
		}
		return dsn
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}
