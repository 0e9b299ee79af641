package openbanking

import (
	"context"
	"regexp"
	"testing"
	"time"
)

func TestFormatBankTranID(t *testing.T) {
	tests := []struct {
		name    string
		code    string
		seq     uint64
		want    string
		wantErr bool
	}{
		{"Zero", "M202500123", 0, "M202500123U000000000", false},
		{"Base36", "M202500123", 35, "M202500123U00000000Z", false},
		{"Max", "M202500123", maxTranSeq, "M202500123UZZZZZZZZZ", false},
		{"TooLarge", "M202500123", maxTranSeq + 1, "", true},
		{"ShortCode", "M2025", 1, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FormatBankTranID(tt.code, tt.seq)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMemorySequenceUniqueAcrossRestart(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, kst)
	clock := func() time.Time { return now }
	ctx := context.Background()
	seen := map[uint64]bool{}
	first := &MemorySequence{Now: clock}
	for range 1000 {
		n, err := first.Next(ctx, "20261125")
		if err != nil {
			t.Fatal(err)
		}
		if seen[n] {
			t.Fatalf("duplicate %d", n)
		}
		seen[n] = true
	}
	// A restart a second later starts past everything the first run drew.
	now = now.Add(time.Second)
	second := &MemorySequence{Now: clock}
	for range 1000 {
		n, _ := second.Next(ctx, "20261125")
		if seen[n] {
			t.Fatalf("restarted sequence reused %d", n)
		}
		seen[n] = true
	}
	// A new day starts a new sequence.
	now = time.Date(2026, 11, 26, 0, 0, 0, 0, kst)
	if n, _ := second.Next(ctx, "20261126"); n != 0 {
		t.Errorf("first number of a new day at midnight = %d, want 0", n)
	}
}

func TestNewBankTranIDShape(t *testing.T) {
	c, err := New(Config{BaseURL: "http://127.0.0.1:1", ClientID: "id", ClientSecret: "secret", ClientUseCode: "M202600001"})
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^M202600001U[0-9A-Z]{9}$`)
	seen := map[string]bool{}
	for range 100 {
		id, err := c.newBankTranID(context.Background(), time.Date(2026, time.November, 25, 23, 59, 59, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(id) || len(id) != 20 {
			t.Fatalf("bank_tran_id %q has the wrong shape", id)
		}
		if seen[id] {
			t.Fatalf("duplicate bank_tran_id %q", id)
		}
		seen[id] = true
	}
}
