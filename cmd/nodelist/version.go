package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"nodelist/internal/buildinfo"
)

// version and revision name the release and its source when the build
// sets them: go build -ldflags "-X main.version=v1.2.0 -X main.revision=$(git rev-parse HEAD)"
// (make build does). Empty, they come from what go build recorded.
var version, revision string

// versionCmd prints the build: version, source revision, Go release.
func versionCmd(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := flag.NewFlagSet("version", flag.ContinueOnError)
	if _, err := parseFlags(fs, args, nil, stdout); err != nil {
		return err
	}
	_, err := fmt.Fprint(stdout, buildinfo.Read(version, revision))
	return err
}
