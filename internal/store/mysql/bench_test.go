package mysql

import (
	"testing"
	"time"

	"nodelist/internal/store/storetest"
)

func BenchmarkWriteRound1000(b *testing.B) {
	st := openStore(b, testDSN(b))
	defer st.Close()
	storetest.BenchWriteRound(b, st, 1000)
}

func BenchmarkHistory7d(b *testing.B) {
	st := openStore(b, testDSN(b))
	defer st.Close()
	storetest.BenchHistory7d(b, st, 1000, 10*time.Minute)
}
