package openbanking

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SequenceSource hands out the numbers bank_tran_id values are built from. KFTC
// requires a bank_tran_id to be unique per institution per day, so Next must
// never return the same number twice for the same day (YYYYMMDD, KST), even
// across process restarts. The store provides a persistent implementation;
// MemorySequence is the in-process one.
type SequenceSource interface {
	Next(ctx context.Context, day string) (uint64, error)
}

// tranIDDigits is the length of the part of bank_tran_id after the "U".
const tranIDDigits = 9

// maxTranSeq is the largest number that fits the 9 base-36 characters.
var maxTranSeq = func() uint64 {
	n := uint64(1)
	for range tranIDDigits {
		n *= 36
	}
	return n - 1
}()

// MemorySequence is a SequenceSource kept in memory. So that a restarted
// process does not reuse numbers handed out earlier the same day, each day's
// sequence starts at the milliseconds elapsed since KST midnight times 1,000: a
// restart collides only if the earlier run drew more than 1,000 numbers per
// millisecond of its life. The zero value is ready to use.
type MemorySequence struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	day  string
	next uint64
}

// Next implements SequenceSource.
func (m *MemorySequence) Next(_ context.Context, day string) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if day != m.day {
		now := time.Now
		if m.Now != nil {
			now = m.Now
		}
		t := now().In(kst)
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, kst)
		m.day = day
		m.next = uint64(t.Sub(midnight).Milliseconds()) * 1000
	}
	n := m.next
	m.next++
	return n, nil
}

// newBankTranID returns the next bank_tran_id: the institution code, "U", and
// the day's sequence number in 9 upper-case base-36 characters.
func (c *Client) newBankTranID(ctx context.Context, now time.Time) (string, error) {
	if c.cfg.ClientUseCode == "" {
		return "", fmt.Errorf("bank_tran_id: client use code is not configured")
	}
	n, err := c.seq.Next(ctx, now.In(kst).Format("20060102"))
	if err != nil {
		return "", fmt.Errorf("bank_tran_id: %w", err)
	}
	return FormatBankTranID(c.cfg.ClientUseCode, n)
}

// FormatBankTranID builds a bank_tran_id from an institution code and a daily
// sequence number.
func FormatBankTranID(clientUseCode string, seq uint64) (string, error) {
	if len(clientUseCode) != 10 {
		return "", fmt.Errorf("bank_tran_id: client use code %q must be 10 characters", clientUseCode)
	}
	if seq > maxTranSeq {
		return "", fmt.Errorf("bank_tran_id: sequence %d exceeds 9 base-36 characters", seq)
	}
	s := strings.ToUpper(strconv.FormatUint(seq, 36))
	return clientUseCode + "U" + strings.Repeat("0", tranIDDigits-len(s)) + s, nil
}
