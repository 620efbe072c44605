package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Large bodies (the last snapshot here, the replicas' publications) are
// written in parts, each a row that fits in one statement of the
// connection that writes it: MySQL and MariaDB refuse a statement larger
// than max_allowed_packet (16 MiB by default on MariaDB, 64 MiB on MySQL
// 8) by dropping the connection, so a body over it could never be
// written, whatever the retries. The packet is read on the writing
// connection, in the writing transaction: an operator may change the
// global value at any time, and each connection takes it when it opens.

// ClientMaxPacket is the largest packet the driver sends (mysql.ParseDSN
// sets it): a part fits in it too.
const ClientMaxPacket = 64 << 20

// sqliteMaxLength is SQLite's default bound on a blob (SQLITE_MAX_LENGTH).
const sqliteMaxLength = 1_000_000_000

// statementRoom is what a part's statement needs beside the part: its SQL
// text, the other columns, the packet's header.
const statementRoom = 4 << 10

// MinPacket is the smallest packet a part can be cut for.
const MinPacket = 4 * statementRoom

// Packet returns the largest statement the connection of q accepts: the
// session's max_allowed_packet on MySQL, which the connection took from
// the global value when it opened; SQLite's blob bound otherwise.
func (d Dialect) Packet(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}) (int64, error) {
	if d.PacketQuery == "" {
		return sqliteMaxLength, nil
	}
	var n int64
	if err := q.QueryRowContext(ctx, d.PacketQuery).Scan(&n); err != nil {
		return 0, fmt.Errorf("read max_allowed_packet: %w", err)
	}
	return n, nil
}

// PartSize is the size of the parts a body is cut into for a connection
// whose packet is packet bytes (bound, when positive, lowers it: tests
// use it to stand for a small server setting). Arguments are escaped into
// the statement's text (the pool interpolates them), which at worst
// doubles a binary part, so a part is half of what the packet leaves.
func PartSize(packet int64, bound int) (int, error) {
	if bound > 0 {
		packet = min(packet, int64(bound))
	}
	packet = min(packet, ClientMaxPacket)
	if packet < MinPacket {
		return 0, fmt.Errorf("max_allowed_packet of %d bytes is too small: a part needs at least %d", packet, MinPacket)
	}
	return int(packet-statementRoom) / 2, nil
}

// Split cuts b into parts of at most size bytes; an empty b is one empty
// part. The parts share b's memory.
func Split(b []byte, size int) [][]byte {
	parts := make([][]byte, 0, len(b)/size+1)
	for len(b) > size {
		parts = append(parts, b[:size:size])
		b = b[size:]
	}
	return append(parts, b)
}

// ErrParts is a body whose parts do not add up: fewer or more rows than
// its head says, or out of order.
var ErrParts = errors.New("body parts missing")

// JoinParts reads the rest of a body whose first part is first and whose
// head says it has n parts: rows yields (part, body) in part order,
// numbered from 1. It closes rows.
func JoinParts(first []byte, n int, rows *sql.Rows, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := first
	want := 1
	for rows.Next() {
		var i int
		var b []byte
		if err := rows.Scan(&i, &b); err != nil {
			return nil, err
		}
		if i != want {
			return nil, fmt.Errorf("%w: part %d where %d was expected", ErrParts, i, want)
		}
		if want == 1 {
			out = append(make([]byte, 0, len(first)+len(b)*(n-1)), first...)
		}
		out = append(out, b...)
		want++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if want != n {
		return nil, fmt.Errorf("%w: %d of %d parts", ErrParts, want, n)
	}
	return out, nil
}
