package config

import (
	"errors"
	"flag"
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDefaultsEnvironmentAndFlags(t *testing.T) {
	none := func(string) string { return "" }
	cfg, err := Load(nil, none)
	if err != nil || cfg.Addr != ":8080" || cfg.DSN != "kokeilu.db" || !cfg.Demo || cfg.Origins != nil || cfg.LogLevel != slog.LevelInfo {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	env := map[string]string{"KOKEILU_ADDR": ":9000", "KOKEILU_DSN": "postgres://x", "KOKEILU_DEMO": "false",
		"KOKEILU_ORIGINS": "https://a.example, https://b.example", "KOKEILU_LOG_LEVEL": "debug"}
	cfg, err = Load(nil, func(k string) string { return env[k] })
	if err != nil || cfg.Addr != ":9000" || cfg.DSN != "postgres://x" || cfg.Demo ||
		!slices.Equal(cfg.Origins, []string{"https://a.example", "https://b.example"}) || cfg.LogLevel != slog.LevelDebug {
		t.Fatalf("environment: %+v %v", cfg, err)
	}
	// Flags win over the environment.
	cfg, err = Load([]string{"-addr", ":7000", "-demo=true"}, func(k string) string { return env[k] })
	if err != nil || cfg.Addr != ":7000" || !cfg.Demo || cfg.DSN != "postgres://x" {
		t.Fatalf("flags: %+v %v", cfg, err)
	}
	if _, err := Load(nil, func(k string) string { return map[string]string{"KOKEILU_DEMO": "maybe"}[k] }); err == nil {
		t.Error("KOKEILU_DEMO=maybe accepted")
	}
}

// TestHelpNamesEveryEnvironmentVariable checks that -h lists every flag
// with the variable Load really reads for it: setting the variable named
// in the help to a bad value makes Load fail (or, for free-text settings,
// changes the flag's value).
func TestHelpNamesEveryEnvironmentVariable(t *testing.T) {
	_, err := Load([]string{"-h"}, func(string) string { return "" })
	var help *Help
	if !errors.As(err, &help) || !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	names := 0
	for _, line := range strings.Split(help.Text, "\n") {
		if !strings.HasPrefix(line, "  -") {
			continue
		}
		names++
		flagName := strings.Fields(line)[0][1:]
		env := EnvName(flagName)
		if !strings.Contains(help.Text, "environment "+env+")") {
			t.Errorf("-%s: help does not name %s", flagName, env)
		}
		got, err := Load(nil, func(k string) string {
			if k == env {
				return "not-a-valid-value"
			}
			return ""
		})
		def, _ := Load(nil, func(string) string { return "" })
		if err == nil && reflect.DeepEqual(got, def) {
			t.Errorf("-%s: %s is not read", flagName, env)
		}
	}
	if names < 15 {
		t.Errorf("help lists %d flags:\n%s", names, help.Text)
	}
}
