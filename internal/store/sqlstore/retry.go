package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// readAttempts bounds the tries of one read. database/sql already retries
// a query on a pooled connection found dead before it was sent; these
// cover a connection that dies while the query runs (killed, server
// restarting), which only the caller can safely retry: reads are.
const readAttempts = 3

// retryRead runs read until it succeeds, fails for a reason a retry cannot
// fix, or has been tried readAttempts times.
func retryRead(ctx context.Context, read func() error) error {
	var err error
	for i := range readAttempts {
		if err = read(); err == nil || errors.Is(err, sql.ErrNoRows) || ctx.Err() != nil {
			return err
		}
		if i < readAttempts-1 {
			t := time.NewTimer(time.Duration(i+1) * 20 * time.Millisecond)
			select {
			case <-ctx.Done():
				t.Stop()
				return err
			case <-t.C:
			}
		}
	}
	return err
}
