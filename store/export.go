package store

import (
	"context"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/moimbot/moimbot/ledger"
)

// Export is everything a treasurer may want out of the store about one
// group: the members' standing month by month and every transaction with
// its decision. It holds no secrets.
type Export struct {
	Group    Group                 `json:"group"`
	AsOf     ledger.Period         `json:"as_of"`
	Statuses []ledger.MemberStatus `json:"statuses"`
	// Deposits are the transactions of the group's accounts, in time
	// order (money out included, as the bank lists it).
	Deposits []DepositRecord `json:"deposits"`
	// Manual are the payments the treasurer recorded by hand.
	Manual []PaymentRecord `json:"manual,omitempty"`
}

// Export gathers a group's export as of the month asOf, from one
// consistent snapshot.
func (db *DB) Export(ctx context.Context, groupID string, asOf ledger.Period) (Export, error) {
	var ex Export
	err := db.view(ctx, "export", func(tx *bolt.Tx) error {
		g, err := getGroup(tx, groupID)
		if err != nil {
			return err
		}
		ex = Export{Group: g, AsOf: asOf}
		bk, err := loadBook(tx, &g.Group)
		if err != nil {
			return err
		}
		ex.Statuses = bk.Statuses(asOf)
		accts, err := accountsTx(tx, groupID)
		if err != nil {
			return err
		}
		for _, a := range accts {
			ds, err := depositsTx(tx, a.ID)
			if err != nil {
				return err
			}
			for _, d := range ds {
				r, err := depositRecord(tx, d.ID)
				if err != nil {
					return err
				}
				ex.Deposits = append(ex.Deposits, r)
			}
		}
		slices.SortStableFunc(ex.Deposits, func(a, b DepositRecord) int { return a.Deposit.At.Compare(b.Deposit.At) })
		return forPayments(tx, groupID, func(p PaymentRecord) error {
			if p.Source == SourceManual {
				ex.Manual = append(ex.Manual, p)
			}
			return nil
		})
	})
	return ex, err
}
