//go:build race

package refresh

// raceDetector: the race detector is on, making each request five to ten
// times slower; the largest fleets run without it (make test does).
const raceDetector = true
