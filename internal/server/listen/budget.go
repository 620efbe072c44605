package listen

import "nodelist/internal/config"

// reservedFiles are the descriptors kept for everything but the prober
// and the clients: the store (SQLite holds three per connection, five
// connections), logs, the listener, TLS files, and headroom.
const reservedFiles = 256

// ConnBudget is the bound on open client connections: maxConns when set,
// else the open-file limit less what the prober may hold (proberFiles:
// its idle pool and its requests in flight) and reservedFiles, at least
// 64 and at most 16384 (some 500 MB at about 30 KB a connection). Call it
// after raising the open-file limit.
func ConnBudget(maxConns, proberFiles int) int {
	if maxConns > 0 {
		return maxConns
	}
	return min(16384, max(64, config.OpenFileLimit()-proberFiles-reservedFiles))
}
