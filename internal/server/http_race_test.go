//go:build race

package server_test

// The race detector slows Go code 5–10×: timing bounds are then scaled.
const raceSlowdown = 10
