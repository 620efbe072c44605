//go:build !race

package refresh

const raceDetector = false
