//go:build !race

package lambdadtest

const raceEnabled = false
