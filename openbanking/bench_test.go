package openbanking_test

import (
	"context"
	"testing"
	"time"

	"github.com/moimbot/moimbot/openbanking"
)

// BenchmarkTransactionList measures the client and the simulator together over
// loopback: one op is one account/transaction_list/fin_num call answering a full
// 25-row page (a new bank_tran_id each, token and parameter validation, JSON
// encoding and tolerant decoding). calls/s is the figure to report.
func BenchmarkTransactionList(b *testing.B) {
	e := newEnv(b)
	tok := e.link(b)
	fin := e.fintechUseNum(b, tok)
	e.post(b, 500, start.Add(-24*time.Hour))
	q := openbanking.TransactionQuery{FintechUseNum: fin, From: start.AddDate(0, 0, -2), To: start}
	ctx := context.Background()

	b.Run("Serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p, err := e.client.TransactionPage(ctx, tok.AccessToken, q, "")
			if err != nil {
				b.Fatal(err)
			}
			if len(p.Rows) != 25 {
				b.Fatalf("page has %d rows, want 25", len(p.Rows))
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
	b.Run("Parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				p, err := e.client.TransactionPage(ctx, tok.AccessToken, q, "")
				if err != nil {
					b.Error(err)
					return
				}
				if len(p.Rows) != 25 {
					b.Errorf("page has %d rows, want 25", len(p.Rows))
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
	})
}
