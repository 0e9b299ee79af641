package store

import (
	"encoding/binary"
	"errors"

	"github.com/moimbot/moimbot/ledger"
)

// rowKey is what the bank tells about a row: its second, direction,
// amount, text and the balance after it. Two stored rows may share a key
// (see the package documentation); position tells them apart.
type rowKey struct {
	sec     int64
	dir     ledger.Direction
	amount  int64
	balance int64
	text    string
}

func keyOf(d ledger.Deposit) rowKey {
	return rowKey{sec: d.At.Unix(), dir: d.Direction, amount: d.Amount, balance: d.Balance, text: d.Text}
}

// pre is the balance before the row.
func (k rowKey) pre() int64 {
	if k.dir == ledger.Out {
		return k.balance + k.amount
	}
	return k.balance - k.amount
}

// edge says which part of one second's rows a fetch can show. A fetch is
// a contiguous run of the account's rows in time order, so every second
// strictly inside it is shown whole; only its first and last seconds can
// be cut.
type edge uint8

const (
	edgeInside edge = iota // rows before and after it: the whole second
	edgeFirst              // the fetch's first second: a suffix of it
	edgeLast               // the fetch's last second: a prefix of it
	edgeOnly               // the fetch's only second: any run of it
)

// slot is one row of a merged second: a stored row (stored >= 0, and
// fetched >= 0 when the fetch showed it again) or a new row from the fetch
// (stored < 0).
type slot struct{ stored, fetched int }

// hasNew reports whether fetched holds more rows of some key than stored:
// only then can the fetch add anything.
func hasNew(stored, fetched []rowKey) bool {
	if len(fetched) > len(stored) {
		return true
	}
	count := make(map[rowKey]int, len(stored))
	for _, k := range stored {
		count[k]++
	}
	for _, k := range fetched {
		count[k]--
		if count[k] < 0 {
			return true
		}
	}
	return false
}

// wholeSecond handles a fetch that shows a second whole (edgeInside): its
// rows, in its order, are the second. Stored rows are matched to fetched
// rows with the same key, in order. It reports false when the store holds
// a row the fetch lacks (which a consistent bank never causes); the caller
// then merges instead, so that no stored row is dropped.
func wholeSecond(stored, fetched []rowKey) ([]slot, bool) {
	queue := make(map[rowKey][]int, len(stored))
	for i, k := range stored {
		queue[k] = append(queue[k], i)
	}
	out := make([]slot, len(fetched))
	used := 0
	for j, k := range fetched {
		out[j] = slot{-1, j}
		if q := queue[k]; len(q) > 0 {
			out[j].stored = q[0]
			queue[k] = q[1:]
			used++
		}
	}
	return out, used == len(stored)
}

// mergeSecond merges the stored rows of one second (in stored order) with
// the same second's rows in a fetch (in bank order) into their shortest
// common supersequence: every row of either appears, a fetched row equal
// to a stored row at a compatible position is the same row, and nothing is
// counted twice. Where several merges are equally short it follows the
// balance chain (the next row's balance before it equals the last row's
// balance after), then the fetch's edge: a prefix goes first, a suffix
// last. prev is the balance after the previous second, when known.
func mergeSecond(stored, fetched []rowKey, e edge, prev int64, havePrev bool) []slot {
	n, m := len(stored), len(fetched)
	// scs[i][j] is the length of the shortest common supersequence of
	// stored[i:] and fetched[j:].
	w := m + 1
	scs := make([]int, (n+1)*w)
	for i := n; i >= 0; i-- {
		for j := m; j >= 0; j-- {
			switch {
			case i == n:
				scs[i*w+j] = m - j
			case j == m:
				scs[i*w+j] = n - i
			case stored[i] == fetched[j]:
				scs[i*w+j] = 1 + scs[(i+1)*w+j+1]
			default:
				scs[i*w+j] = 1 + min(scs[(i+1)*w+j], scs[i*w+j+1])
			}
		}
	}
	out := make([]slot, 0, scs[0])
	cur, have := prev, havePrev
	for i, j := 0, 0; i < n || j < m; {
		var s slot
		var k rowKey
		switch {
		case i < n && j < m && stored[i] == fetched[j]:
			s, k = slot{i, j}, stored[i]
			i++
			j++
		case j == m:
			s, k = slot{i, -1}, stored[i]
			i++
		case i == n:
			s, k = slot{-1, j}, fetched[j]
			j++
		default:
			a, b := scs[(i+1)*w+j], scs[i*w+j+1]
			takeStored := a < b
			if a == b {
				takeStored = preferStored(stored[i], fetched[j], e, cur, have)
			}
			if takeStored {
				s, k = slot{i, -1}, stored[i]
				i++
			} else {
				s, k = slot{-1, j}, fetched[j]
				j++
			}
		}
		out = append(out, s)
		cur, have = k.balance, true
	}
	return capNew(stored, fetched, out, e)
}

// capNew keeps a merge from storing a row more times than any one fetch
// showed it: for each key, the new rows are at most the fetch's count
// minus the stored count. The shortest supersequence adds more only when
// the stored order and the fetch's disagree (identical rows seen in
// pieces); the surplus rows are then the stored ones at other positions.
// A suffix keeps its earliest new rows, anything else its latest.
func capNew(stored, fetched []rowKey, slots []slot, e edge) []slot {
	allowed := make(map[rowKey]int)
	for _, k := range fetched {
		allowed[k]++
	}
	for _, k := range stored {
		allowed[k]--
	}
	added := make(map[rowKey]int)
	for _, s := range slots {
		if s.stored < 0 {
			added[fetched[s.fetched]]++
		}
	}
	drop := make(map[rowKey]int)
	for k, n := range added {
		if surplus := n - max(0, allowed[k]); surplus > 0 {
			drop[k] = surplus
		}
	}
	if len(drop) == 0 {
		return slots
	}
	keep := make([]bool, len(slots))
	for i := range keep {
		keep[i] = true
	}
	for n := range slots {
		i := n
		if e == edgeFirst {
			i = len(slots) - 1 - n // a suffix drops its latest new rows
		}
		if s := slots[i]; s.stored < 0 {
			if k := fetched[s.fetched]; drop[k] > 0 {
				drop[k]--
				keep[i] = false
			}
		}
	}
	out := slots[:0]
	for i, s := range slots {
		if keep[i] {
			out = append(out, s)
		}
	}
	return out
}

// preferStored breaks a tie between emitting a stored row or a fetched row
// next.
func preferStored(s, f rowKey, e edge, cur int64, have bool) bool {
	if have {
		sOK, fOK := s.pre() == cur, f.pre() == cur
		if sOK != fOK {
			return sOK
		}
	}
	switch e {
	case edgeLast, edgeInside:
		// A prefix of the second (or all of it) comes before anything
		// else the store knows of it.
		return false
	}
	return true
}

// Index values of the txtime bucket: the row's position within its second,
// then its key (so deduplication never decodes a row's JSON).
//
//	pos u32 | dir u8 | amount i64 | balance i64 | text
func encodeIdx(pos uint32, k rowKey) []byte {
	b := make([]byte, 0, 21+len(k.text))
	b = binary.BigEndian.AppendUint32(b, pos)
	b = append(b, byte(k.dir))
	b = binary.BigEndian.AppendUint64(b, uint64(k.amount))
	b = binary.BigEndian.AppendUint64(b, uint64(k.balance))
	return append(b, k.text...)
}

func decodeIdx(sec int64, v []byte) (uint32, rowKey, error) {
	if len(v) < 21 {
		return 0, rowKey{}, errors.New("short index value")
	}
	return binary.BigEndian.Uint32(v), rowKey{
		sec:     sec,
		dir:     ledger.Direction(v[4]),
		amount:  int64(binary.BigEndian.Uint64(v[5:])),
		balance: int64(binary.BigEndian.Uint64(v[13:])),
		text:    string(v[21:]),
	}, nil
}

// idxKey is the txtime key of a row: its second and its sequence number.
func idxKey(sec int64, seq uint64) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(sec))
	return binary.BigEndian.AppendUint64(b, seq)
}
