package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/moimbot/moimbot/ledger"
	"github.com/moimbot/moimbot/statement"
)

// runReconcile is `moimbot reconcile`: the matcher and the allocator over a
// group file and a transaction export, with no network and no database.
func runReconcile(_ context.Context, e env, args []string) error {
	fs := newFlagSet("reconcile")
	groupPath := fs.String("group", "", "group definition `GROUP.json` (required)")
	txPath := fs.String("transactions", "", "transactions: a KFTC transaction_list JSON, a JSON array of res_list entries, a CSV with KFTC's\n"+
		"column names, or the bank's own statement `file` (Excel .xlsx, CSV, HTML .xls) (required)")
	password := fs.String("password", "", "the `password` of an encrypted workbook (default $"+envStatementPassword+")")
	asOfFlag := fs.String("as-of", "", "report months up to this `YYYY-MM-DD` (default: the date of the latest transaction)")
	format := fs.String("format", "text", "output `format`: text or json")
	lang := fs.String("lang", "ko", "language of the text output: ko or en")
	if err := parseFlags(e, fs, args); err != nil {
		return err
	}
	switch {
	case *groupPath == "":
		return usagef("--group is required")
	case *txPath == "":
		return usagef("--transactions is required")
	case *format != "text" && *format != "json":
		return usagef("--format %q: must be text or json", *format)
	case *lang != "ko" && *lang != "en":
		return usagef("--lang %q: must be ko or en", *lang)
	}
	var asOf time.Time
	if *asOfFlag != "" {
		t, err := time.ParseInLocation("2006-01-02", *asOfFlag, ledger.KST())
		if err != nil {
			return usagef("--as-of %q: not a YYYY-MM-DD date", *asOfFlag)
		}
		asOf = t
	}

	groupData, err := readInput(*groupPath, ledger.MaxGroupSize)
	if err != nil {
		return err
	}
	def, err := ledger.ReadGroup(bytes.NewReader(groupData))
	if err != nil {
		return usagef("%s: %s", *groupPath, inputMessage(err))
	}
	txData, err := readInput(*txPath, max(ledger.MaxTransactionsSize, maxStatementFile))
	if err != nil {
		return err
	}
	txs, err := ledger.ReadTransactions(txData)
	if err != nil {
		// Not KFTC's columns: the bank's own statement file, as its app
		// exports it.
		pw := *password
		if pw == "" {
			pw = e.getenv(envStatementPassword)
		}
		st, serr := readStatement(*txPath, pw, "")
		switch {
		case serr == nil:
			txs = st.Rows
		case errors.Is(serr, statement.ErrFormat) && !statementLike(txData):
			// Meant for KFTC's reader: it says best what the file lacks.
			return usagef("%s: %s", *txPath, inputMessage(err))
		case errors.Is(serr, statement.ErrFormat):
			// Neither reader knows it: both say what they missed.
			return usagef("%s: neither KFTC's columns (%s) nor a bank statement (%s)", *txPath, inputMessage(err),
				strings.TrimPrefix(strings.TrimPrefix(serr.Error(), *txPath+": "), "statement: "))
		default:
			return usagef("%s", serr)
		}
	}
	rep, err := ledger.Reconcile(def, txs, asOf)
	if err != nil {
		return fmt.Errorf("reconcile: %w", err)
	}
	if *format == "json" {
		return writeReconcileJSON(e.stdout, def.Group, rep)
	}
	return writeReconcileText(e.stdout, def.Group, rep, *lang)
}

// readInput reads a whole input file of at most limit bytes; a larger
// file (or an endless one, like /dev/zero) is refused after limit+1 bytes.
// Problems are usage errors that name the file.
func readInput(path string, limit int64) ([]byte, error) {
	data, err := readLimited(path, limit)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, usagef("%s: no such file", path)
	case errors.Is(err, fs.ErrPermission):
		return nil, usagef("%s: permission denied", path)
	case err != nil:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usagef("%s: %v", path, err)
	case int64(len(data)) > limit:
		return nil, usagef("%s: larger than %d MiB", path, limit>>20)
	}
	return data, nil
}

// readLimited reads at most limit+1 bytes of the file at path.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit+1))
}

func inputMessage(err error) string {
	return strings.TrimPrefix(err.Error(), ledger.ErrInput.Error()+": ")
}

// The JSON document of the reconcile contract.
type (
	reconcileDoc struct {
		AsOf         string            `json:"as_of"`
		Transactions []reconcileTx     `json:"transactions"`
		Manual       []reconcileManual `json:"manual,omitempty"`
		Members      []reconcileMember `json:"members"`
	}
	reconcileTx struct {
		Index        int             `json:"index"`
		TranDate     string          `json:"tran_date"`
		TranTime     string          `json:"tran_time"`
		InoutType    string          `json:"inout_type"`
		PrintContent string          `json:"print_content"`
		TranAmt      int64           `json:"tran_amt"`
		Outcome      string          `json:"outcome"`
		Allocations  []reconcileAllc `json:"allocations"`
		Candidates   []string        `json:"candidates"`
		Confidence   int             `json:"confidence"`
		Reason       string          `json:"reason"`
	}
	reconcileAllc struct {
		Member string `json:"member"`
		Period string `json:"period"`
		Amount int64  `json:"amount"`
		Credit bool   `json:"credit,omitempty"`
	}
	reconcileManual struct {
		Member      string          `json:"member"`
		Date        string          `json:"date"`
		Amount      int64           `json:"amount"`
		Allocations []reconcileAllc `json:"allocations"`
	}
	reconcileMember struct {
		ID      string            `json:"id"`
		Name    string            `json:"name"`
		Balance int64             `json:"balance"`
		Credit  int64             `json:"credit"`
		Periods []reconcilePeriod `json:"periods"`
	}
	reconcilePeriod struct {
		Period string `json:"period"`
		Due    int64  `json:"due"`
		Paid   int64  `json:"paid"`
		Status string `json:"status"`
	}
)

func allocsJSON(as []ledger.Allocation) []reconcileAllc {
	out := make([]reconcileAllc, 0, len(as))
	for _, a := range as {
		out = append(out, reconcileAllc{Member: a.MemberID, Period: a.Period.String(), Amount: a.Amount, Credit: a.Credit()})
	}
	return out
}

func writeReconcileJSON(w io.Writer, g *ledger.Group, rep *ledger.Report) error {
	doc := reconcileDoc{
		AsOf:         rep.AsOf.Format("2006-01-02"),
		Transactions: make([]reconcileTx, 0, len(rep.Transactions)),
		Members:      make([]reconcileMember, 0, len(rep.Members)),
	}
	for _, l := range rep.Transactions {
		t := l.Transaction
		cands := make([]string, 0, len(l.Match.Candidates))
		for _, c := range l.Match.Candidates {
			cands = append(cands, c.MemberID)
		}
		doc.Transactions = append(doc.Transactions, reconcileTx{
			Index: l.Index, TranDate: t.Date, TranTime: t.Time, InoutType: t.InoutType,
			PrintContent: t.PrintContent, TranAmt: t.Amount,
			Outcome:     l.Match.Outcome.String(),
			Allocations: allocsJSON(l.Allocations),
			Candidates:  cands,
			Confidence:  l.Match.Confidence,
			Reason:      l.Match.Reason.String(),
		})
	}
	for _, mp := range rep.Manual {
		doc.Manual = append(doc.Manual, reconcileManual{
			Member: mp.Payment.MemberID, Date: mp.Payment.At.Format("2006-01-02"),
			Amount: mp.Payment.Amount, Allocations: allocsJSON(mp.Allocations),
		})
	}
	for _, ms := range rep.Members {
		rm := reconcileMember{ID: ms.MemberID, Name: ms.Name, Balance: ms.Balance, Credit: ms.Credit, Periods: make([]reconcilePeriod, 0, len(ms.Periods))}
		for _, p := range ms.Periods {
			rm.Periods = append(rm.Periods, reconcilePeriod{Period: p.Period.String(), Due: p.Due, Paid: p.Paid, Status: p.Status.String()})
		}
		doc.Members = append(doc.Members, rm)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
