//go:build race

package lambdadtest

const raceEnabled = true
