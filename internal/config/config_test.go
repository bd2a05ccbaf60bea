package config

import (
	"log/slog"
	"slices"
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
