package store

import (
	"reflect"
	"testing"

	"github.com/moimbot/moimbot/ledger"
)

// Rows of one second for the merge tests. a and a2 are identical twins
// told apart by their balances; x is a full twin of a (same balance too),
// possible after b took the money back out.
var (
	kA  = rowKey{sec: 1, dir: ledger.In, amount: 1000, balance: 11000, text: "김민수"}
	kA2 = rowKey{sec: 1, dir: ledger.In, amount: 1000, balance: 12000, text: "김민수"}
	kB  = rowKey{sec: 1, dir: ledger.Out, amount: 1000, balance: 10000, text: "환불"}
	kC  = rowKey{sec: 1, dir: ledger.In, amount: 500, balance: 10500, text: "이영희"}
)

func keysOf(stored, fetched []rowKey, slots []slot) []rowKey {
	var out []rowKey
	for _, s := range slots {
		if s.stored >= 0 {
			out = append(out, stored[s.stored])
		} else {
			out = append(out, fetched[s.fetched])
		}
	}
	return out
}

func TestMergeSecond(t *testing.T) {
	tests := []struct {
		name            string
		stored, fetched []rowKey
		edge            edge
		prev            int64
		havePrev        bool
		want            []rowKey
		wantNew         int
	}{
		{"Empty", nil, []rowKey{kA, kA2}, edgeInside, 10000, true, []rowKey{kA, kA2}, 2},
		{"SameAgain", []rowKey{kA, kA2}, []rowKey{kA, kA2}, edgeOnly, 0, false, []rowKey{kA, kA2}, 0},
		{"LongerPrefix", []rowKey{kA}, []rowKey{kA, kA2}, edgeLast, 10000, true, []rowKey{kA, kA2}, 1},
		{"SuffixAfterPrefix", []rowKey{kA}, []rowKey{kA2}, edgeFirst, 10000, true, []rowKey{kA, kA2}, 1},
		// a, b, a: the two a rows are identical in every field.
		{"FullTwinsWhole", nil, []rowKey{kA, kB, kA}, edgeInside, 10000, true, []rowKey{kA, kB, kA}, 3},
		{"FullTwinsPrefixGrows", []rowKey{kA, kB}, []rowKey{kA, kB, kA}, edgeLast, 10000, true, []rowKey{kA, kB, kA}, 1},
		// Pieces a, b and b, a fit a, b, a but also a, b: a row is never
		// stored more times than one fetch showed it.
		{"FullTwinsFromPiecesKeepFewer", []rowKey{kA, kB}, []rowKey{kB, kA}, edgeFirst, 10000, true, []rowKey{kA, kB}, 0},
		{"OrderConflictAddsOnlyTheSurplus", []rowKey{kB, kA}, []rowKey{kA, kB, kA}, edgeLast, 10000, true, []rowKey{kA, kB, kA}, 1},
		// The chain puts c (balance before 10000) right after a withdrawal
		// that leaves 10000.
		{"ChainOrders", []rowKey{kA, kB}, []rowKey{kC}, edgeOnly, 10000, true, []rowKey{kA, kB, kC}, 1},
		{"ChainOrdersFirst", []rowKey{kA2}, []rowKey{kA}, edgeOnly, 10000, true, []rowKey{kA, kA2}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slots := mergeSecond(tt.stored, tt.fetched, tt.edge, tt.prev, tt.havePrev)
			if got := keysOf(tt.stored, tt.fetched, slots); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("merged = %v, want %v", got, tt.want)
			}
			n := 0
			seen := map[int]bool{}
			for _, s := range slots {
				if s.stored < 0 {
					n++
				} else if seen[s.stored] {
					t.Errorf("stored row %d used twice", s.stored)
				} else {
					seen[s.stored] = true
				}
			}
			if n != tt.wantNew {
				t.Errorf("new rows = %d, want %d", n, tt.wantNew)
			}
			if len(seen) != len(tt.stored) {
				t.Errorf("merge dropped stored rows: kept %d of %d", len(seen), len(tt.stored))
			}
		})
	}
}

func TestWholeSecond(t *testing.T) {
	t.Run("Reorders", func(t *testing.T) {
		stored, fetched := []rowKey{kA2, kA}, []rowKey{kA, kA2, kC}
		slots, ok := wholeSecond(stored, fetched)
		if !ok {
			t.Fatal("not whole")
		}
		if want := []slot{{1, 0}, {0, 1}, {-1, 2}}; !reflect.DeepEqual(slots, want) {
			t.Errorf("slots = %v, want %v", slots, want)
		}
	})
	t.Run("StoredRowMissing", func(t *testing.T) {
		if _, ok := wholeSecond([]rowKey{kA, kC}, []rowKey{kA}); ok {
			t.Error("a fetch lacking a stored row counted as whole")
		}
	})
}

func TestHasNew(t *testing.T) {
	tests := []struct {
		name            string
		stored, fetched []rowKey
		want            bool
	}{
		{"Nothing", []rowKey{kA}, nil, false},
		{"Subset", []rowKey{kA, kB, kA}, []rowKey{kB, kA}, false},
		{"MoreTwins", []rowKey{kA, kB}, []rowKey{kA, kB, kA}, true},
		{"Other", []rowKey{kA}, []rowKey{kC}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hasNew(tt.stored, tt.fetched); got != tt.want {
				t.Errorf("hasNew = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestIndexValue(t *testing.T) {
	k := rowKey{sec: 1710028800, dir: ledger.Out, amount: 123456789, balance: -5, text: "관리비 3월"}
	pos, got, err := decodeIdx(k.sec, encodeIdx(7, k))
	if err != nil || pos != 7 || got != k {
		t.Errorf("decode(encode) = %d, %+v, %v; want 7, %+v", pos, got, err, k)
	}
	if _, _, err := decodeIdx(0, []byte{1, 2}); err == nil {
		t.Error("short value decoded")
	}
}
