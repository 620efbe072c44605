package store

import (
	"context"
	"fmt"
	"strings"
)

// Opener opens one backend; the backends register in cmd/nodelist, so
// that this package does not import them (they import it).
type Opener func(ctx context.Context, dsn string) (Store, error)

// Open opens the store named by dsn: "none" (nil store), "sqlite:PATH" or
// "mysql://user:pass@host:port/db?params".
func Open(ctx context.Context, dsn string, sqlite, mysql Opener) (Store, error) {
	switch {
	case dsn == "none":
		return nil, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(dsn, "sqlite:")
		if path == "" {
			return nil, fmt.Errorf("--db %q: want sqlite:PATH", dsn)
		}
		return sqlite(ctx, path)
	case strings.HasPrefix(dsn, "mysql://"):
		return mysql(ctx, dsn)
	}
	return nil, fmt.Errorf("--db %q: want none, sqlite:PATH or mysql://user:pass@host:port/db", redact(dsn))
}

// redact hides a password in a DSN for error messages.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn[i+3:], "@"); j >= 0 {
			return dsn[:i+3] + "…" + dsn[i+3+j:]
		}
	}
	return dsn
}
