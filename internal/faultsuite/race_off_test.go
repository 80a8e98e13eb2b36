//go:build !race

package faultsuite

// raceDetector is true when the tests are built with -race.
const raceDetector = false
